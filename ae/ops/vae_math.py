"""Variational autoencoder math as plain functions on arrays. All log-densities in nats.

Kingma and Welling 2014, "Auto-Encoding Variational Bayes" (reparameterization,
analytic Gaussian KL: appendix B); Burda, Grosse and Salakhutdinov 2016,
"Importance Weighted Autoencoders" (the k-sample bound, eq. 8).

Shapes: `mean`, `logvar`, `z` are [..., D]; per-example results sum over the
last axis (or over all pixel axes for images [B, H, W, C]) and keep the rest.
Pixels are in [0, 1]; Bernoulli likelihoods take binary x in {0, 1}; the discretized
logistic takes 8-bit pixels scaled to [0, 1] (x = k / 255, k in 0..255).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

LOG_2PI = math.log(2 * math.pi)


def reparameterize(
  rng: jax.Array, mean: jax.Array, logvar: jax.Array, num_samples: int | None = None
) -> jax.Array:
  """z = mean + exp(logvar / 2) * eps, eps ~ N(0, I); [K, ...] if num_samples is set."""
  shape = mean.shape if num_samples is None else (num_samples, *mean.shape)
  return mean + jnp.exp(0.5 * logvar) * jax.random.normal(rng, shape, mean.dtype)


def gaussian_kl(mean: jax.Array, logvar: jax.Array) -> jax.Array:
  """KL(N(mean, diag(exp(logvar))) || N(0, I)) in nats, summed over the last axis.

  = 1/2 sum_j (exp(logvar_j) + mean_j^2 - 1 - logvar_j)   (Kingma and Welling 2014, app. B)
  """
  return 0.5 * jnp.sum(jnp.exp(logvar) + jnp.square(mean) - 1.0 - logvar, axis=-1)


def log_normal(z: jax.Array, mean: jax.Array, logvar: jax.Array) -> jax.Array:
  """log N(z; mean, diag(exp(logvar))), summed over the last axis."""
  return -0.5 * jnp.sum(LOG_2PI + logvar + jnp.square(z - mean) * jnp.exp(-logvar), axis=-1)


def log_standard_normal(z: jax.Array) -> jax.Array:
  """log N(z; 0, I), summed over the last axis."""
  return -0.5 * jnp.sum(LOG_2PI + jnp.square(z), axis=-1)


def _sum_pixels(x: jax.Array, batch_dims: int) -> jax.Array:
  return jnp.sum(x.reshape(*x.shape[:batch_dims], -1), axis=-1)


def bernoulli_log_likelihood(x: jax.Array, logits: jax.Array, batch_dims: int = 1) -> jax.Array:
  """sum_pixels log Bernoulli(x; sigmoid(logits)) = sum x*l - softplus(l); x in {0, 1}."""
  return _sum_pixels(x * logits - jax.nn.softplus(logits), batch_dims)


def gaussian_log_likelihood(
  x: jax.Array, mean: jax.Array, log_scale: jax.Array, batch_dims: int = 1
) -> jax.Array:
  """sum_pixels log N(x; mean, exp(log_scale)^2), a density on pixel values in [0, 1]."""
  ll = -0.5 * (LOG_2PI + jnp.square((x - mean) * jnp.exp(-log_scale))) - log_scale
  return _sum_pixels(jnp.broadcast_to(ll, jnp.broadcast_shapes(x.shape, mean.shape)), batch_dims)


LOGISTIC_LOG_SCALE_MIN = -7.0  # log scale clip in [0, 1] pixel units (Salimans et al. 2017)
LOGISTIC_LOG_SCALE_MAX = 1.0
PIXEL_LEVELS = 255.0


def discretized_logistic_log_likelihood(
  x: jax.Array, mean: jax.Array, log_scale: jax.Array, batch_dims: int = 1
) -> jax.Array:
  """sum_pixels log P(x) of 8-bit pixels under a logistic discretized to 256 bins, in nats.

  Salimans, Karpathy, Chen, Kingma 2017 ("PixelCNN++", eq. 2): for k = 255 x,
  P(k) = sigmoid((x + 1/510 - mean) / s) - sigmoid((x - 1/510 - mean) / s), with the
  edge bins k = 0 and k = 255 taking the tails below and above; s = exp(log_scale) with
  log_scale clipped to [LOGISTIC_LOG_SCALE_MIN, LOGISTIC_LOG_SCALE_MAX]. All in [0, 1]
  pixel units; `mean` and `log_scale` broadcast against x [..., H, W, C].
  """
  half_bin = 0.5 / PIXEL_LEVELS
  log_scale = jnp.clip(log_scale, LOGISTIC_LOG_SCALE_MIN, LOGISTIC_LOG_SCALE_MAX)
  inv_s = jnp.exp(-log_scale)
  centred = x - mean
  plus, minus = inv_s * (centred + half_bin), inv_s * (centred - half_bin)
  log_cdf_plus = plus - jax.nn.softplus(plus)  # log sigmoid(plus): the k = 0 bin
  log_sf_minus = -jax.nn.softplus(minus)  # log (1 - sigmoid(minus)): the k = 255 bin
  delta = jax.nn.sigmoid(plus) - jax.nn.sigmoid(minus)
  # Where the bin's mass underflows, the density at its centre times the bin width.
  mid = inv_s * centred
  log_mid = mid - log_scale - 2.0 * jax.nn.softplus(mid) - jnp.log(PIXEL_LEVELS)
  log_inner = jnp.where(delta > 1e-5, jnp.log(jnp.maximum(delta, 1e-12)), log_mid)
  ll = jnp.where(x < half_bin, log_cdf_plus, jnp.where(x > 1.0 - half_bin, log_sf_minus, log_inner))
  return _sum_pixels(ll, batch_dims)


def iwae_bound(log_weights: jax.Array) -> jax.Array:
  """log (1/K sum_k w_k) from log-weights [K, ...] (Burda et al. 2016, eq. 8).

  log w_k = log p(x, z_k) - log q(z_k | x); K = 1 is the one-sample ELBO estimate,
  and the bound does not decrease in expectation as K grows.
  """
  return jax.nn.logsumexp(log_weights, axis=0) - jnp.log(log_weights.shape[0])


def kl_bernoulli(rho: float, rho_hat: jax.Array, eps: float = 1e-6) -> jax.Array:
  """KL(Bernoulli(rho) || Bernoulli(rho_hat)) in nats, elementwise (sparse AE target)."""
  rho_hat = jnp.clip(rho_hat, eps, 1.0 - eps)
  return rho * jnp.log(rho / rho_hat) + (1.0 - rho) * jnp.log((1.0 - rho) / (1.0 - rho_hat))
