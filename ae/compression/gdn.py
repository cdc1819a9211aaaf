"""Generalized divisive normalization (Balle, Laparra, Simoncelli 2016, eq. 6).

GDN:  y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)
IGDN: x_i = y_i * sqrt(beta_i + sum_j gamma_ij y_j^2), the one-step approximate
inverse used in synthesis transforms (Balle et al. 2017); `gdn_inverse` solves
the exact inverse by fixed-point iteration.

beta > 0 and gamma >= 0 are kept by reparameterization: the stored variable v
gives value = max(v, sqrt(minimum + pedestal))^2 - pedestal (tensorflow-compression's
NonnegativeParameterization), with a bound whose gradient still lets v move up.
Shapes: x [..., C]; beta [C]; gamma [C, C] (gamma[i, j]: weight of x_j in unit i).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ae.compression.constants import PEDESTAL


@jax.custom_vjp
def lower_bound(x: jax.Array, bound: float) -> jax.Array:
  """max(x, bound), passing gradients that push x up even where it is clipped."""
  return jnp.maximum(x, bound)


def _lb_fwd(x, bound):
  return jnp.maximum(x, bound), (x, bound)


def _lb_bwd(res, g):
  x, bound = res
  pass_through = (x >= bound) | (g < 0)
  return (jnp.where(pass_through, g, 0.0), None)


lower_bound.defvjp(_lb_fwd, _lb_bwd)


def nonneg(v: jax.Array, minimum: float = 0.0) -> jax.Array:
  return jnp.square(lower_bound(v, (minimum + PEDESTAL) ** 0.5)) - PEDESTAL


def nonneg_init(value: jax.Array) -> jax.Array:
  return jnp.sqrt(jnp.maximum(value + PEDESTAL, PEDESTAL))


def gdn(x: jax.Array, beta: jax.Array, gamma: jax.Array) -> jax.Array:
  return x * jax.lax.rsqrt(beta + jnp.square(x) @ gamma.T)


def igdn(y: jax.Array, beta: jax.Array, gamma: jax.Array) -> jax.Array:
  return y * jnp.sqrt(beta + jnp.square(y) @ gamma.T)


def gdn_inverse(
  y: jax.Array, beta: jax.Array, gamma: jax.Array, iterations: int = 100
) -> jax.Array:
  """Exact inverse of `gdn`: the fixed point of x = y * sqrt(beta + gamma x^2)."""
  return jax.lax.fori_loop(
    0, iterations, lambda _, x: y * jnp.sqrt(beta + jnp.square(x) @ gamma.T), y * jnp.sqrt(beta)
  )


class GDN(nn.Module):
  """GDN over the last axis, or its approximate inverse with `inverse=True`."""

  inverse: bool = False
  beta_min: float = 1e-6
  gamma_init: float = 0.1

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    c = x.shape[-1]
    beta = nonneg(self.param("beta", lambda k: nonneg_init(jnp.ones((c,)))), self.beta_min)
    gamma = nonneg(self.param("gamma", lambda k: nonneg_init(self.gamma_init * jnp.eye(c))))
    return (igdn if self.inverse else gdn)(x, beta, gamma)

  def parameters(self, params) -> tuple[jax.Array, jax.Array]:
    """(beta, gamma) values from this layer's stored variables."""
    return nonneg(params["beta"], self.beta_min), nonneg(params["gamma"])
