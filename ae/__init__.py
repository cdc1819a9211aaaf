"""ae: autoencoders in JAX for representation learning, compression and denoising."""

__version__ = "0.1.0"
