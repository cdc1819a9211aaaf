"""Pictures of runs: image grids (Pillow) and matplotlib figures."""
