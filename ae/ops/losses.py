"""Reconstruction losses and image-quality metrics, as plain functions on arrays.

Pixel scale: every function here takes images as float in [0, 1].
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def per_image_sse(x: jax.Array, x_hat: jax.Array) -> jax.Array:
  """Sum of squared errors over all pixels of each image: [B, ...] -> [B]."""
  return jnp.sum(jnp.square(x - x_hat).reshape(x.shape[0], -1), axis=-1)


def half_sse_loss(x: jax.Array, x_hat: jax.Array) -> jax.Array:
  """The seed article's L(W, b) = 1/2 E_x ||x - x_hat||^2, the expectation taken
  as the minibatch mean: per image, half the squared L2 norm of the error over
  all pixels. Scalar, in [0, 1]^2 pixel units."""
  return 0.5 * jnp.mean(per_image_sse(x, x_hat))


def mse(x: jax.Array, x_hat: jax.Array) -> jax.Array:
  """Mean squared error per pixel over the whole batch (scalar)."""
  return jnp.mean(jnp.square(x - x_hat))


def psnr_from_mse(mse_value: jax.Array, peak: float = 1.0) -> jax.Array:
  """Peak signal-to-noise ratio in dB: 10 log10(peak^2 / MSE); peak 1 for [0, 1] data."""
  return 10.0 * jnp.log10(peak**2 / mse_value)
