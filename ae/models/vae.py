"""Variational autoencoder with a dense Gaussian encoder (Kingma and Welling 2014).

Encoder q(z|x) = N(mean(x), diag(exp(logvar(x)))): flatten -> hidden denses ->
two heads. Decoder p(x|z): hidden denses mirrored -> one output per pixel:
  likelihood="bernoulli": logits of Bernoulli pixels (for binarized data);
  likelihood="gaussian":  the mean sigmoid(out) of N(x; mean, sigma^2), with one
                          learned log sigma shared by all pixels (grayscale data);
  likelihood="logistic":  a mean and a log scale per pixel of a logistic discretized to
                          the 256 levels of 8-bit pixels (Salimans et al. 2017): a
                          probability mass function, so -log2 p(x|z) is a code length
                          in bits (ae.codec.bitsback codes with it).
Prior p(z) = N(0, I). The math lives in `ae.vae_math`.

Shapes: images [B, H, W, C] in [0, 1]; mean, logvar, z [B, latent_size].
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import numpy as np

from ae.models.dense import activation
from ae.ops import vae_math

LIKELIHOODS = ("bernoulli", "gaussian", "logistic")


class GaussianEncoder(nn.Module):
  hidden_sizes: Sequence[int] = (500,)
  latent_size: int = 20
  hidden_activation: str = "relu"

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    x = x.reshape((x.shape[0], -1))
    for i, width in enumerate(self.hidden_sizes):
      x = activation(self.hidden_activation)(nn.Dense(width, name=f"hidden_{i}")(x))
    return nn.Dense(self.latent_size, name="mean")(x), nn.Dense(self.latent_size, name="logvar")(x)


class VAE(nn.Module):
  output_shape: Sequence[int] = (28, 28, 1)
  hidden_sizes: Sequence[int] = (500,)
  latent_size: int = 20
  likelihood: str = "bernoulli"
  hidden_activation: str = "relu"

  def setup(self):
    if self.likelihood not in LIKELIHOODS:
      raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got '{self.likelihood}'")
    self.encoder = GaussianEncoder(self.hidden_sizes, self.latent_size, self.hidden_activation)
    self.decoder_layers = [
      nn.Dense(w, name=f"dec_hidden_{i}") for i, w in enumerate(reversed(tuple(self.hidden_sizes)))
    ]
    per_pixel = 2 if self.likelihood == "logistic" else 1
    self.decoder_out = nn.Dense(per_pixel * int(np.prod(self.output_shape)), name="dec_output")
    if self.likelihood == "gaussian":
      self.log_scale = self.param("log_scale", nn.initializers.constant(np.log(0.1)), ())

  def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x [B, H, W, C] -> (mean, logvar) of q(z|x), each [B, latent_size]."""
    return self.encoder(x)

  def decode_params(self, z: jax.Array) -> jax.Array:
    """z [..., latent] -> per-pixel decoder output [..., H, W, C] (logits, or pre-sigmoid
    mean); [..., H, W, 2C] for "logistic": means in [0, 1] units, then log scales."""
    lead = z.shape[:-1]
    h = z.reshape((-1, z.shape[-1]))
    for layer in self.decoder_layers:
      h = activation(self.hidden_activation)(layer(h))
    height, width, c = self.output_shape
    per_pixel = 2 if self.likelihood == "logistic" else 1
    return self.decoder_out(h).reshape((*lead, height, width, per_pixel * c))

  def decoder_log_likelihood(self, x: jax.Array, out: jax.Array, batch_dims: int) -> jax.Array:
    """log p(x|z) in nats per example, from the decoder output `out` (decode_params)."""
    if self.likelihood == "bernoulli":
      return vae_math.bernoulli_log_likelihood(x, out, batch_dims)
    if self.likelihood == "logistic":
      c = self.output_shape[-1]
      return vae_math.discretized_logistic_log_likelihood(x, out[..., :c], out[..., c:], batch_dims)
    return vae_math.gaussian_log_likelihood(x, jax.nn.sigmoid(out), self.log_scale, batch_dims)

  def mean_image(self, out: jax.Array) -> jax.Array:
    """The decoder output's mean image in [0, 1] (pixel probabilities for Bernoulli)."""
    if self.likelihood == "logistic":
      return jax.numpy.clip(out[..., : self.output_shape[-1]], 0.0, 1.0)
    return jax.nn.sigmoid(out)

  def elbo_terms(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One-sample reconstruction log-likelihood [B], analytic KL [B] (nats), decoder output.

    Uses the "sample" RNG stream for the reparameterized z ~ q(z|x).
    """
    mean, logvar = self.encode(x)
    z = vae_math.reparameterize(self.make_rng("sample"), mean, logvar)
    out = self.decode_params(z)
    return self.decoder_log_likelihood(x, out, 1), vae_math.gaussian_kl(mean, logvar), out

  def log_weights(self, x: jax.Array, num_samples: int) -> jax.Array:
    """Importance log-weights log p(x, z_k) - log q(z_k|x) [num_samples, B], z_k ~ q(z|x)."""
    mean, logvar = self.encode(x)
    z = vae_math.reparameterize(self.make_rng("sample"), mean, logvar, num_samples)
    ll = self.decoder_log_likelihood(x, self.decode_params(z), 2)
    return ll + vae_math.log_standard_normal(z) - vae_math.log_normal(z, mean, logvar)

  def decode(self, z: jax.Array) -> jax.Array:
    """z -> the decoder's mean image in [0, 1] (pixel probabilities for Bernoulli)."""
    return self.mean_image(self.decode_params(z))

  def __call__(self, x: jax.Array) -> jax.Array:
    """Deterministic reconstruction: decode the posterior mean."""
    mean, _ = self.encode(x)
    return self.decode(mean)
