"""Training objectives: what the shared train step minimizes.

An objective is `loss_fn(params, images, rng) -> (loss, metrics)` where `images`
is a float32 batch [B, H, W, C] in [0, 1], `rng` a PRNG key for this step (for
noise, sampling or dropout), `loss` a scalar and `metrics` a flat dict of
scalars. Models differ by objective, not by train step: a new model family adds
a factory to `OBJECTIVES` and reuses `ae.train.step` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax

from ae import losses
from ae.errors import ConfigError

Metrics = dict[str, jax.Array]
LossFn = Callable[[Any, jax.Array, jax.Array], tuple[jax.Array, Metrics]]


def reconstruction(model: nn.Module, config) -> LossFn:
  """The seed objective: 1/2 E ||x - x_hat||^2, with per-pixel MSE and PSNR beside it."""
  del config

  def loss_fn(params, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, Metrics]:
    del rng
    x_hat = model.apply({"params": params}, images)
    mse = losses.mse(images, x_hat)
    return losses.half_sse_loss(images, x_hat), {"mse": mse, "psnr": losses.psnr_from_mse(mse)}

  return loss_fn


OBJECTIVES: dict[str, Callable[[nn.Module, Any], LossFn]] = {"reconstruction": reconstruction}


def build_objective(model: nn.Module, config) -> LossFn:
  """The loss function named by `config.objective` for `model`."""
  name = config.get("objective", "reconstruction")
  if name not in OBJECTIVES:
    raise ConfigError(f"unknown objective '{name}'; choose from {sorted(OBJECTIVES)}")
  return OBJECTIVES[name](model, config)
