"""Classical baselines the learned models are measured against."""
