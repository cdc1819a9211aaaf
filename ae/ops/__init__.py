"""Plain math on arrays (jax): losses, VAE bounds, corruptions for denoising."""
