"""Variational autoencoder math as plain functions on arrays. All log-densities in nats.

Kingma and Welling 2014, "Auto-Encoding Variational Bayes" (reparameterization,
analytic Gaussian KL: appendix B); Burda, Grosse and Salakhutdinov 2016,
"Importance Weighted Autoencoders" (the k-sample bound, eq. 8).

Shapes: `mean`, `logvar`, `z` are [..., D]; per-example results sum over the
last axis (or over all pixel axes for images [B, H, W, C]) and keep the rest.
Pixels are in [0, 1]; Bernoulli likelihoods take binary x in {0, 1}.
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
