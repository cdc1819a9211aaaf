"""The train state: parameters, optimizer state, step and the base PRNG key."""

from __future__ import annotations

from typing import Any

import jax
import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
  """Flax TrainState plus `rng`, the base key of per-step randomness.

  The key of step `s` is `jax.random.fold_in(rng, s)`, so randomness depends on
  the step alone and a resumed run draws what an uninterrupted one would.
  """
  rng: jax.Array


def make_optimizer(train_config) -> optax.GradientTransformation:
  """Adam (Kingma and Ba 2015) at `learning_rate`, optionally after global-norm clipping.

  `lr_drop_step` > 0 multiplies the rate by 0.1 from that step on (the schedule
  lives in the optimizer state's step count, so a resumed run follows it).
  """
  lr = float(train_config.learning_rate)
  drop = int(train_config.get("lr_drop_step", 0) or 0)
  tx = optax.adam(optax.piecewise_constant_schedule(lr, {drop: 0.1}) if drop > 0 else lr)
  clip = float(train_config.get("grad_clip_norm", 0.0) or 0.0)
  return optax.chain(optax.clip_by_global_norm(clip), tx) if clip > 0 else tx


def create_state(apply_fn, params: Any, tx: optax.GradientTransformation,
                 rng: jax.Array) -> TrainState:
  return TrainState.create(apply_fn=apply_fn, params=params, tx=tx, rng=rng)
