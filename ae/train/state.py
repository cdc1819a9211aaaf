"""The train state: parameters, optimizer state, step and the base PRNG key."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state

from ae.models import build_model
from ae.train import parallel


class TrainState(train_state.TrainState):
  """Flax TrainState plus `rng`, the base key of per-step randomness.

  The key of step `s` is `jax.random.fold_in(rng, s)`, so randomness depends on
  the step alone and a resumed run draws what an uninterrupted one would.
  """

  rng: jax.Array


def _adam(lr: float, drop: int) -> optax.GradientTransformation:
  return optax.adam(optax.piecewise_constant_schedule(lr, {drop: 0.1}) if drop > 0 else lr)


def is_aux_param(path: tuple) -> bool:
  """True for the entropy models' tail quantiles, the only parameters the aux loss trains."""
  return any(getattr(k, "key", None) == "quantiles" for k in path)


def make_optimizer(train_config) -> optax.GradientTransformation:
  """Adam (Kingma and Ba 2015) at `learning_rate`, optionally after global-norm clipping.

  `lr_drop_step` > 0 multiplies the rate by 0.1 from that step on (the schedule
  lives in the optimizer state's step count, so a resumed run follows it).
  `aux_learning_rate` > 0 gives the entropy models' quantiles their own Adam at
  that rate, unclipped and never dropped, as CompressAI trains them (main 1e-4,
  aux 1e-3): Adam moves each parameter by about its learning rate per step, and
  tail quantiles must travel several units while the transforms need small steps.
  """
  lr = float(train_config.learning_rate)
  drop = int(train_config.get("lr_drop_step", 0) or 0)
  tx = _adam(lr, drop)
  clip = float(train_config.get("grad_clip_norm", 0.0) or 0.0)
  if clip > 0:
    tx = optax.chain(optax.clip_by_global_norm(clip), tx)
  aux_lr = float(train_config.get("aux_learning_rate", 0.0) or 0.0)
  if aux_lr <= 0:
    return tx
  labels = lambda params: jax.tree_util.tree_map_with_path(
    lambda path, _: "aux" if is_aux_param(path) else "main", params
  )
  return optax.multi_transform({"main": tx, "aux": _adam(aux_lr, 0)}, labels)


def create_state(
  apply_fn, params: Any, tx: optax.GradientTransformation, rng: jax.Array
) -> TrainState:
  return TrainState.create(apply_fn=apply_fn, params=params, tx=tx, rng=rng)


def init_params(model, key: jax.Array, image_shape: tuple[int, ...]) -> Any:
  """`model.init` on one zero image [1, *image_shape], jitted: one compilation instead of
  one per eager op of the forward pass (the same values, seconds faster for codecs)."""
  return jax.jit(lambda k: model.init(k, jnp.zeros((1, *image_shape)))["params"])(key)


def seed_keys(config) -> tuple[jax.Array, jax.Array, jax.Array]:
  """(init, per-step, data-order) keys, all derived from `config.seed`."""
  init_key, train_key, data_key = jax.random.split(jax.random.PRNGKey(int(config.seed)), 3)
  return init_key, train_key, data_key


def init_state(config, image_shape: tuple[int, int, int], mesh):
  """(model, replicated initial TrainState, data-order key), all derived from `config.seed`."""
  init_key, train_key, data_key = seed_keys(config)
  model = build_model(config.model, image_shape)
  params = init_params(model, init_key, image_shape)
  state = create_state(model.apply, params, make_optimizer(config.train), train_key)
  return model, jax.device_put(state, parallel.replicated(mesh)), data_key
