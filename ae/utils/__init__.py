"""Small utilities with no machine-learning dependency: console output, atomic writes."""
