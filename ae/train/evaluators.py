"""Evaluations specific to an objective, run on the test split after training.

`evaluate_NAME(model, config, params, test_set, mesh) -> dict`, stored under
`results.json`'s key of the objective's name; `ae.train.objectives.OBJECTIVES` pairs
each with its loss.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ae.data.sources import ImageSet
from ae.ops import corruptions
from ae.ops import metrics as metrics_lib
from ae.train import evaluation

# Streams of randomness at evaluation, folded into the seed's key.
_EVAL_STREAM, _BINARIZE, _ELBO, _IWAE = 1_000_003, 0, 1, 2


def binarize_once(images: np.ndarray, key: jax.Array) -> np.ndarray:
  """Stochastic binarization x_bin ~ Bernoulli(x / 255), as uint8 in {0, 255}."""
  u = np.asarray(jax.random.uniform(key, images.shape))
  return np.where(u < images.astype(np.float32) / 255.0, 255, 0).astype(np.uint8)


def vae_eval_images(model, config, test_set: ImageSet) -> np.ndarray:
  """The test images a VAE is scored on: binarized once from the seed for Bernoulli decoders."""
  if model.likelihood == "bernoulli" and bool(config.get("binarize", True)):
    key = jax.random.fold_in(
      jax.random.fold_in(jax.random.PRNGKey(int(config.seed)), _EVAL_STREAM), _BINARIZE
    )
    return binarize_once(test_set.images, key)
  return test_set.images


def iwae_fn(model, num_samples: int, chunk: int):
  """Per-example IWAE bound log (1/K sum_k w_k) in nats, K = num_samples in chunks."""
  if num_samples % chunk:
    raise ValueError(f"iwae_samples={num_samples} must be a multiple of iwae_chunk={chunk}")

  def fn(params, x, rng):
    def body(_, i):
      lw = model.apply(
        {"params": params},
        x,
        chunk,
        method="log_weights",
        rngs={"sample": jax.random.fold_in(rng, i)},
      )
      return None, jax.nn.logsumexp(lw, axis=0)

    _, partial = jax.lax.scan(body, None, jnp.arange(num_samples // chunk))
    return jax.nn.logsumexp(partial, axis=0) - math.log(num_samples)

  return fn


def evaluate_vae(model, config, params, test_set: ImageSet, mesh) -> dict[str, float]:
  """Test negative ELBO and IWAE NLL estimate, both in nats per image."""
  ec = config.eval
  images = vae_eval_images(model, config, test_set)
  n = int(ec.get("iwae_examples", 0) or 0) or len(images)
  key = jax.random.fold_in(jax.random.PRNGKey(int(config.seed)), _EVAL_STREAM)

  def elbo(params, x, rng):
    rec_ll, kl, _ = model.apply({"params": params}, x, method="elbo_terms", rngs={"sample": rng})
    return jnp.stack([kl - rec_ll, kl, -rec_ll], axis=-1)

  terms = evaluation.map_split(
    evaluation.make_eval_fn(elbo, mesh, "ELBO"),
    params,
    images,
    int(config.eval_batch_size),
    mesh,
    jax.random.fold_in(key, _ELBO),
  )
  k, chunk = int(ec.iwae_samples), int(ec.iwae_chunk)
  bound = evaluation.map_split(
    evaluation.make_eval_fn(iwae_fn(model, k, chunk), mesh, "IWAE"),
    params,
    images[:n],
    int(ec.iwae_batch),
    mesh,
    jax.random.fold_in(key, _IWAE),
  )
  return {
    "neg_elbo": float(terms[:, 0].mean()),
    "kl": float(terms[:, 1].mean()),
    "rec_nll": float(terms[:, 2].mean()),
    "iwae_nll": float(-bound.mean()),
    "iwae_samples": k,
    "iwae_examples": n,
    "neg_elbo_on_iwae_examples": float(terms[:n, 0].mean()),
  }


def evaluate_sparse(model, config, params, test_set: ImageSet, mesh) -> dict[str, float]:
  """Mean code activation, fraction of near-zero entries and of units never active."""
  encode = evaluation.make_eval_fn(
    lambda p, x, r: model.apply({"params": p}, x, method="encode"), mesh, "encode"
  )
  z = evaluation.map_split(encode, params, test_set.images, int(config.eval_batch_size), mesh)
  eps = float(config.sparsity.near_zero)
  small = np.abs(z) < eps
  return {
    "mean_activation": float(z.mean()),
    "near_zero_fraction": float(small.mean()),
    "dead_unit_fraction": float(small.all(axis=0).mean()),
    "near_zero_threshold": eps,
  }


def evaluate_rate_distortion(model, config, params, test_set: ImageSet, mesh) -> dict[str, float]:
  """Estimated bits per pixel at rounded latents (continuous model) and PSNR, per image averaged."""

  def fn(p, x, r):
    x_hat, bits, _ = model.apply({"params": p}, x, None, False, method="forward")
    sse = jnp.sum(jnp.square(jnp.clip(x_hat, 0, 1) - x).reshape(x.shape[0], -1), axis=-1)
    return jnp.stack([sse] + [bits[k] for k in sorted(bits)], axis=-1)

  out = evaluation.map_split(
    evaluation.make_eval_fn(fn, mesh, "rate"),
    params,
    test_set.images,
    int(config.eval_batch_size),
    mesh,
  )
  h, w, c = test_set.image_shape
  mse = out[:, 0] / (h * w * c)
  names = sorted(
    model.apply(
      {"params": params},
      test_set.images[:1].astype(np.float32) / 255,
      None,
      False,
      method="forward",
    )[1]
  )
  result = {f"bpp_{k}": float(out[:, 1 + i].mean() / (h * w)) for i, k in enumerate(names)}
  result["bpp"] = float(out[:, 1:].sum(-1).mean() / (h * w))
  result.update(
    mse=float(mse.mean()),
    psnr=float(metrics_lib.psnr_of_mse(mse.mean())),
    psnr_per_image=metrics_lib.mean_psnr(mse),
  )
  return result


_DENOISE = 3


def evaluate_denoising(model, config, params, test_set: ImageSet, mesh) -> dict[str, float]:
  """PSNR (dB, per image averaged, output clipped to [0, 1]) of the noisy test images and
  of the model's output, with noise drawn once from the seed (the same for every run)."""
  conditioned = bool(getattr(model, "noise_conditioned", False))

  def fn(p, x, r):
    if conditioned:
      noisy, sigma = corruptions.gaussian_with_level(config.corruption, r, x)
      out = jnp.clip(model.apply({"params": p}, noisy, sigma), 0.0, 1.0)
    else:
      noisy = corruptions.corrupt(config.corruption, r, x)
      out = jnp.clip(model.apply({"params": p}, noisy), 0.0, 1.0)
    mse = lambda y: jnp.mean(jnp.square(y - x).reshape(x.shape[0], -1), axis=-1)
    return jnp.stack([mse(jnp.clip(noisy, 0.0, 1.0)), mse(noisy), mse(out)], axis=-1)

  key = jax.random.fold_in(
    jax.random.fold_in(jax.random.PRNGKey(int(config.seed)), _EVAL_STREAM), _DENOISE
  )
  out = evaluation.map_split(
    evaluation.make_eval_fn(fn, mesh, "denoise"),
    params,
    test_set.images,
    int(config.eval_batch_size),
    mesh,
    key,
  )
  psnr = metrics_lib.mean_psnr
  return {
    "noisy_psnr_clipped": psnr(out[:, 0]),
    "noisy_psnr": psnr(out[:, 1]),
    "denoised_psnr": psnr(out[:, 2]),
    "corruption": corruptions.describe(config.corruption),
  }
