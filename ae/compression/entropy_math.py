"""Entropy-model math as plain functions on arrays, separate from the linen modules.

Rates are in bits (log base 2). Values are latents in quantization-bin units;
likelihoods are of a unit-width bin centred on the value, which is the density
of the value under additive uniform noise (Balle et al. 2017, sec. 2.1) and the
probability mass of the integer symbol when the value is rounded.

- Deep factorized density, one univariate CDF per channel built from monotone
  layers (Balle, Minnen, Singh, Hwang, Johnston 2018, appendix 6.1).
- Conditional Gaussian and Laplace with a predicted mean and scale (Balle et al.
  2018; Minnen, Balle, Toderici 2018), scales bounded below by 0.11.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erfc

LIKELIHOOD_BOUND = 1e-9  # probabilities below this are clipped: at most ~29.9 bits a value
SCALE_BOUND = 0.11  # lower bound on predicted scales (as in CompressAI and tfc)


def bits_from_likelihood(p: jax.Array) -> jax.Array:
  """-log2(max(p, 1e-9)) elementwise, in bits."""
  return -jnp.log2(jnp.maximum(p, LIKELIHOOD_BOUND))


def logits_cumulative(x: jax.Array, matrices, biases, factors) -> jax.Array:
  """Logit of the per-channel CDF at x [C, 1, N] (Balle et al. 2018, eq. 13-17).

  matrices[k] [C, d_{k+1}, d_k] pass through softplus (so the map is monotone),
  biases[k] [C, d_{k+1}, 1], factors[k] [C, d_{k+1}, 1] through tanh; the last
  layer has no factor. Returns [C, 1, N].
  """
  logits = x
  for k, (m, b) in enumerate(zip(matrices, biases)):
    logits = jnp.matmul(jax.nn.softplus(m), logits) + b
    if k < len(factors):
      logits = logits + jnp.tanh(factors[k]) * jnp.tanh(logits)
  return logits


def factorized_likelihood(x: jax.Array, matrices, biases, factors) -> jax.Array:
  """P(x - 1/2 < X <= x + 1/2) per element of x [C, 1, N], computed on the side of
  the CDF where it does not cancel (sigmoid of negated logits above the median)."""
  lower = logits_cumulative(x - 0.5, matrices, biases, factors)
  upper = logits_cumulative(x + 0.5, matrices, biases, factors)
  sign = jax.lax.stop_gradient(-jnp.sign(lower + upper))
  return jnp.abs(jax.nn.sigmoid(sign * upper) - jax.nn.sigmoid(sign * lower))


def to_channel_rows(y: jax.Array) -> jax.Array:
  """[..., C] -> [C, 1, N], N the product of the leading axes."""
  return jnp.moveaxis(y.reshape(-1, y.shape[-1]), -1, 0)[:, None, :]


def from_channel_rows(p: jax.Array, shape: tuple[int, ...]) -> jax.Array:
  """Inverse of `to_channel_rows`: [C, 1, N] -> shape [..., C]."""
  return jnp.moveaxis(p[:, 0, :], 0, -1).reshape(shape)


def standard_normal_cdf(x: jax.Array) -> jax.Array:
  return 0.5 * erfc(-x / math.sqrt(2.0))


def gaussian_likelihood(y: jax.Array, mean: jax.Array, scale: jax.Array) -> jax.Array:
  """P of the unit bin around y under N(mean, scale^2), scale >= 0.11; evaluated
  on the lower tail (|y - mean| folded) so it stays accurate far from the mean."""
  scale = jnp.maximum(scale, SCALE_BOUND)
  v = jnp.abs(y - mean)
  return standard_normal_cdf((0.5 - v) / scale) - standard_normal_cdf((-0.5 - v) / scale)


def laplace_likelihood(y: jax.Array, mean: jax.Array, scale: jax.Array) -> jax.Array:
  """P of the unit bin around y under Laplace(mean, scale), scale >= 0.11."""
  scale = jnp.maximum(scale, SCALE_BOUND)
  v = jnp.abs(y - mean)

  def cdf(t):  # Laplace(0, scale) CDF
    return 0.5 + 0.5 * jnp.sign(t) * (1.0 - jnp.exp(-jnp.abs(t) / scale))

  return cdf(0.5 - v) - cdf(-0.5 - v)


CONDITIONALS = {"gaussian": gaussian_likelihood, "laplace": laplace_likelihood}


def default_scale_table(levels: int = 64, lo: float = SCALE_BOUND, hi: float = 256.0) -> jax.Array:
  """Scales exp(linspace(log 0.11, log 256, 64)) that index the conditional CDF tables."""
  return jnp.exp(jnp.linspace(math.log(lo), math.log(hi), levels))
