"""Quantization for nonlinear transform coding, as plain functions on arrays.

Training replaces rounding by additive uniform noise (Balle, Laparra, Simoncelli
2017, sec. 2.1), whose density is the entropy model convolved with a unit box;
inference rounds. Straight-through rounding and soft rounding (Agustsson and
Theis 2020, "Universally Quantized Neural Compression", eq. 3) are alternatives
for the decoder's input. All values are in latent units (one quantization bin = 1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def add_uniform_noise(rng: jax.Array, x: jax.Array) -> jax.Array:
  """x + u, u ~ U(-1/2, 1/2) elementwise."""
  return x + jax.random.uniform(rng, x.shape, x.dtype, -0.5, 0.5)


def round_st(x: jax.Array) -> jax.Array:
  """round(x) forward, identity gradient backward (straight-through estimator)."""
  return x + jax.lax.stop_gradient(jnp.round(x) - x)


def quantize(x: jax.Array, offset: jax.Array | float = 0.0) -> jax.Array:
  """Rounds around `offset` (e.g. a channel's median or a predicted mean): round(x - o) + o."""
  return jnp.round(x - offset) + offset


def soft_round(x: jax.Array, alpha: float) -> jax.Array:
  """s_a(x) = m + tanh(a r) / (2 tanh(a / 2)), m = floor(x) + 1/2, r = x - m.

  Differentiable; tends to the identity as alpha -> 0 and to rounding as alpha -> inf.
  """
  m = jnp.floor(x) + 0.5
  return m + jnp.tanh(alpha * (x - m)) / (2.0 * jnp.tanh(alpha / 2.0))


def soft_round_inverse(y: jax.Array, alpha: float) -> jax.Array:
  """The inverse of `soft_round` (Agustsson and Theis 2020, eq. 4)."""
  m = jnp.floor(y) + 0.5
  r = jnp.clip(2.0 * jnp.tanh(alpha / 2.0) * (y - m), -1 + 1e-6, 1 - 1e-6)
  return m + jnp.arctanh(r) / alpha
