"""Entropy models as thin linen modules that own parameters; math in `entropy_math`.

`EntropyBottleneck` (factorized prior, Balle et al. 2018 appendix 6.1) learns one
density per channel and, through an auxiliary loss that touches only its
`quantiles` parameter, the per-channel tail quantiles and median that bound the
coder's tables. The auxiliary loss is added to the training loss by the
rate-distortion objective, so tables never go stale (no separate `update()`).
`conditional_bits` is the conditional Gaussian or Laplace rate for a hyperprior.

Shapes: latents [..., C] (channels last). Rates: bits, summed per example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ae.compression import entropy_math as em


def _sum_per_example(bits: jax.Array) -> jax.Array:
  return jnp.sum(bits.reshape(bits.shape[0], -1), axis=-1)


class EntropyBottleneck(nn.Module):
  channels: int
  filters: Sequence[int] = (3, 3, 3)
  init_scale: float = 10.0
  tail_mass: float = 1e-9

  def setup(self):
    dims = (1, *self.filters, 1)
    scale = self.init_scale ** (1.0 / (len(self.filters) + 1))
    c = self.channels
    mats, biases, factors = [], [], []
    for k in range(len(dims) - 1):
      init = math.log(math.expm1(1.0 / scale / dims[k + 1]))
      mats.append(
        self.param(f"matrix_{k}", nn.initializers.constant(init), (c, dims[k + 1], dims[k]))
      )
      biases.append(self.param(f"bias_{k}", nn.initializers.uniform(1.0), (c, dims[k + 1], 1)))
      if k < len(dims) - 2:
        factors.append(self.param(f"factor_{k}", nn.initializers.zeros, (c, dims[k + 1], 1)))
    self.matrices, self.biases, self.factors = mats, [b - 0.5 for b in biases], factors
    q = np.array([-self.init_scale, 0.0, self.init_scale], np.float32)
    self.quantiles = self.param("quantiles", lambda k: jnp.tile(q, (c, 1, 1)))

  def density_params(self, frozen: bool = False):
    f = jax.lax.stop_gradient if frozen else (lambda t: t)
    return (
      [f(m) for m in self.matrices],
      [f(b) for b in self.biases],
      [f(t) for t in self.factors],
    )

  def likelihood(self, y: jax.Array) -> jax.Array:
    """P of the unit bin around each value of y [..., C]; same shape."""
    p = em.factorized_likelihood(em.to_channel_rows(y), *self.density_params())
    return em.from_channel_rows(p, y.shape)

  def bits(self, y: jax.Array) -> jax.Array:
    """Rate of y [B, ..., C] in bits per example [B]."""
    return _sum_per_example(em.bits_from_likelihood(self.likelihood(y)))

  def medians(self) -> jax.Array:
    """Per-channel medians [C], the offsets that inference rounds around."""
    return jax.lax.stop_gradient(self.quantiles[:, 0, 1])

  def aux_loss(self) -> jax.Array:
    """sum |logit CDF(q) - target| over channels; gradients reach only `quantiles`.

    Targets: logit(tail/2), 0 and logit(1 - tail/2), so q holds the lower tail
    quantile, the median and the upper tail quantile.
    """
    target = math.log(2.0 / self.tail_mass - 1.0)
    logits = em.logits_cumulative(self.quantiles, *self.density_params(frozen=True))
    return jnp.sum(jnp.abs(logits - jnp.array([-target, 0.0, target])))

  def __call__(self, y: jax.Array) -> jax.Array:
    return self.bits(y)


def conditional_bits(
  y: jax.Array, mean: jax.Array, scale: jax.Array, family: str = "gaussian"
) -> jax.Array:
  """Rate of y [B, ..., C] under the conditional `family`(mean, scale), bits per example [B]."""
  return _sum_per_example(em.bits_from_likelihood(em.CONDITIONALS[family](y, mean, scale)))
