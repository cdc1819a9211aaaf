"""Training objectives: what the shared train step minimizes.

An objective is `loss_fn(params, images, rng) -> (loss, metrics)` where `images`
is a float32 batch [B, H, W, C] in [0, 1], `rng` a PRNG key for this step (for
noise, sampling or dropout), `loss` a scalar and `metrics` a flat dict of
scalars. Models differ by objective, not by train step: a new model family adds
a factory to `OBJECTIVES` and reuses `ae.train.step` unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ae.ops import corruptions, losses, vae_math
from ae.train import evaluators
from ae.utils.errors import ConfigError

Metrics = dict[str, jax.Array]
LossFn = Callable[[Any, jax.Array, jax.Array], tuple[jax.Array, Metrics]]


def _quality(x: jax.Array, x_hat: jax.Array) -> Metrics:
  mse = losses.mse(x, x_hat)
  return {"mse": mse, "psnr": losses.psnr_from_mse(mse)}


def reconstruction(model: nn.Module, config) -> LossFn:
  """The seed objective: 1/2 E ||x - x_hat||^2, with per-pixel MSE and PSNR beside it."""
  del config

  def loss_fn(params, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, Metrics]:
    del rng
    x_hat = model.apply({"params": params}, images)
    return losses.half_sse_loss(images, x_hat), _quality(images, x_hat)

  return loss_fn


def sparsity_penalty(
  z: jax.Array, l1_weight: float, kl_weight: float, target: float
) -> tuple[jax.Array, Metrics]:
  """Activity penalties on codes z [B, k] (Ng, "Sparse autoencoder", CS294A notes).

  l1: mean over the batch of sum_j |z_j|. kl: sum_j KL(target || rho_hat_j), with
  rho_hat_j the batch mean of unit j (needs codes in (0, 1), e.g. sigmoid), nats.
  """
  l1 = jnp.mean(jnp.sum(jnp.abs(z), axis=-1))
  kl = jnp.sum(vae_math.kl_bernoulli(target, jnp.mean(z, axis=0))) if kl_weight else jnp.zeros(())
  return l1_weight * l1 + kl_weight * kl, {"l1": l1, "kl_sparsity": kl}


def code_statistics(z: jax.Array, near_zero: float) -> Metrics:
  """Mean activation of codes z [B, k] and the fraction of entries with |z| < near_zero."""
  return {
    "mean_activation": jnp.mean(z),
    "near_zero_fraction": jnp.mean((jnp.abs(z) < near_zero).astype(jnp.float32)),
  }


def sparse(model: nn.Module, config) -> LossFn:
  """Reconstruction (1/2 E||x - x_hat||^2) plus L1 and/or KL activity penalties on the code."""
  sc = config.sparsity

  def loss_fn(params, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, Metrics]:
    del rng
    z = model.apply({"params": params}, images, method="encode")
    x_hat = model.apply({"params": params}, z, method="decode")
    penalty, parts = sparsity_penalty(z, float(sc.l1_weight), float(sc.kl_weight), float(sc.target))
    return losses.half_sse_loss(images, x_hat) + penalty, {
      **_quality(images, x_hat),
      **parts,
      **code_statistics(z, float(sc.near_zero)),
    }

  return loss_fn


def vae(model: nn.Module, config) -> LossFn:
  """Negative ELBO in nats per image, analytic KL (Kingma and Welling 2014, eq. 10); with
  `config.beta` != 1 the loss weighs the KL by beta (Higgins et al. 2017; Alemi et al.
  2018: beta traces the rate-distortion curve), and `neg_elbo` still reports beta = 1.

  Bernoulli decoders train on dynamically binarized data: each step draws
  x_bin ~ Bernoulli(x) afresh from the step's key.
  """
  binarize = model.likelihood == "bernoulli" and bool(config.get("binarize", True))
  beta = float(config.get("beta", 1.0))

  def loss_fn(params, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, Metrics]:
    k_bin, k_z = jax.random.split(rng)
    x = jax.random.bernoulli(k_bin, images).astype(images.dtype) if binarize else images
    rec_ll, kl, out = model.apply({"params": params}, x, method="elbo_terms", rngs={"sample": k_z})
    neg_elbo = jnp.mean(kl - rec_ll)
    loss = neg_elbo if beta == 1.0 else jnp.mean(beta * kl - rec_ll)
    return loss, {
      "neg_elbo": neg_elbo,
      "kl": jnp.mean(kl),
      "rec_nll": -jnp.mean(rec_ll),
      **_quality(images, model.mean_image(out)),
    }

  return loss_fn


PIXEL_PEAK = 255.0


def rate_distortion(model: nn.Module, config) -> LossFn:
  """R + lambda * D with R in bits per pixel and D the MSE on the [0, 255] scale.

  L = sum_latents E[bits] / (H * W) + lambda * 255^2 * E[(x - x_hat)^2]  (x in [0, 1]),
  the convention of CompressAI's lambdas (Balle et al. 2018 use the same form).
  The factorized models' tail-quantile loss is added too: its gradient reaches
  only the `quantiles` parameters, so it does not change the RD trade-off.
  Metrics: bpp (total and per latent), MSE, PSNR and, with `rd.track_rounded_rate`,
  the rate at rounded latents and its gap to the noisy training rate.
  `rd.quantization`: "noise" (additive uniform noise everywhere, Balle et al. 2017) or
  "mixed" (noise for the rate, straight-through rounding around the entropy model's
  offsets for what the decoders see: Minnen and Singh 2020).
  """
  rd = config.rd
  mixed = _mixed_quantization(rd)

  def loss_fn(params, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, Metrics]:
    pixels = images.shape[1] * images.shape[2]
    x_hat, bits, aux = model.apply({"params": params}, images, rng, True, mixed, method="forward")
    bpp = {f"bpp_{k}": jnp.mean(v) / pixels for k, v in bits.items()}
    total = sum(bpp.values())
    mse = losses.mse(images, x_hat)
    loss = total + float(rd.lmbda) * PIXEL_PEAK**2 * mse + aux
    metrics = {"bpp": total, **bpp, **_quality(images, x_hat), "aux_loss": aux}
    if rd.get("track_rounded_rate", True):
      _, rbits, _ = model.apply(
        {"params": jax.lax.stop_gradient(params)}, images, None, False, method="forward"
      )
      rounded = sum(jnp.mean(v) for v in rbits.values()) / pixels
      metrics.update(bpp_rounded=rounded, rate_gap=total - rounded)
    return loss, metrics

  return loss_fn


QUANTIZATION = ("noise", "mixed")


def _mixed_quantization(rd) -> bool:
  """Whether `rd.quantization` asks for mixed quantization; ConfigError for unknown names."""
  name = str(rd.get("quantization", "noise") or "noise")
  if name not in QUANTIZATION:
    raise ConfigError(f"rd.quantization={name!r}: one of {', '.join(QUANTIZATION)}")
  return name == "mixed"


def _sigma_floor(cc, conditioned: bool) -> float:
  """`corruption.sigma_weighting`'s floor (0-255 scale), 0 when off. With it, an image's
  squared error is weighted by 25 / max(sigma, floor): a denoiser's MSE grows about in
  proportion to sigma, so under the plain loss the noisiest images set the gradient and
  low sigma is under-trained; weighted, each sigma counts about alike in log MSE (PSNR)."""
  floor = float(cc.get("sigma_weighting", 0.0) or 0.0)
  if floor < 0 or (floor and not conditioned):
    raise ConfigError(
      f"corruption.sigma_weighting={floor}: a positive sigma floor, for noise-conditioned"
      " denoisers only (0 turns it off)"
    )
  return floor


def denoising(model: nn.Module, config) -> LossFn:
  """1/2 E ||x - f(corrupt(x))||^2: the model sees a corrupted batch (`ae.ops.corruptions`,
  drawn afresh from the step's key) and is scored against the clean one (Vincent et
  al. 2008); a noise-conditioned model (`noise_conditioned`, e.g. FFDNet) is also given
  each image's sigma, and `corruption.sigma_weighting` may weight each image's error by
  its sigma (`_sigma_floor`). Metrics: MSE and PSNR of the output and of the noisy input,
  vs clean."""
  conditioned = bool(getattr(model, "noise_conditioned", False))
  floor = _sigma_floor(config.corruption, conditioned)

  def loss_fn(params, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, Metrics]:
    if conditioned:  # the model is told each image's sigma (FFDNet's noise map)
      noisy, sigma = corruptions.gaussian_with_level(config.corruption, rng, images)
      x_hat = model.apply({"params": params}, noisy, sigma)
    else:
      noisy = corruptions.corrupt(config.corruption, rng, images)
      x_hat = model.apply({"params": params}, noisy)
    noisy_q = _quality(images, noisy)
    if floor:  # each image's error over its sigma: every sigma counts alike in log MSE
      sse = losses.per_image_sse(images, x_hat) * (25.0 / jnp.maximum(sigma, floor))
      loss = 0.5 * jnp.mean(sse)
    else:
      loss = losses.half_sse_loss(images, x_hat)
    return loss, {
      **_quality(images, x_hat),
      "noisy_mse": noisy_q["mse"],
      "noisy_psnr": noisy_q["psnr"],
    }

  return loss_fn


@dataclasses.dataclass(frozen=True)
class Objective:
  """What a model family trains on and how its test split is scored beyond MSE/PSNR:
  `loss(model, config) -> LossFn`, and `evaluate(model, config, params, test_set, mesh)
  -> dict` (stored in results.json under the objective's name) or None."""

  loss: Callable[[nn.Module, Any], LossFn]
  evaluate: Callable[..., dict] | None = None


# The one table of objectives: a new model family adds one entry here.
OBJECTIVES: dict[str, Objective] = {
  "reconstruction": Objective(reconstruction),
  "sparse": Objective(sparse, evaluators.evaluate_sparse),
  "vae": Objective(vae, evaluators.evaluate_vae),
  "rate_distortion": Objective(rate_distortion, evaluators.evaluate_rate_distortion),
  "denoising": Objective(denoising, evaluators.evaluate_denoising),
}


def get(config) -> Objective:
  """The Objective named by `config.objective` (default reconstruction)."""
  name = config.get("objective", "reconstruction")
  if name not in OBJECTIVES:
    raise ConfigError(f"unknown objective '{name}'; choose from {sorted(OBJECTIVES)}")
  return OBJECTIVES[name]


def build_objective(model: nn.Module, config) -> LossFn:
  """The loss function named by `config.objective` for `model`."""
  return get(config).loss(model, config)
