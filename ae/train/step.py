"""One jit-compiled Optax step for every objective, fused over several batches.

`train_step` takes a uint8 batch [B, H, W, C], converts it to [0, 1] floats,
evaluates the objective and applies the optimizer. `make_train_fn` scans it over
a chunk of K batches [K, B, H, W, C] with `lax.scan`, so that small models are
not bound by Python dispatch, and jits the result over a mesh: state replicated
and donated, batches split over the "data" axis. Metrics come back stacked [K]
(the norms of the parameters and gradient [1], of the chunk's last step).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from absl import logging
from jax.sharding import Mesh

from ae.data.pipeline import to_float
from ae.train import parallel
from ae.train.objectives import LossFn, Metrics
from ae.train.state import TrainState


def global_norm(tree) -> jax.Array:
  """L2 norm of all leaves of a pytree taken together."""
  return jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree.leaves(tree)))


def train_step(
  state: TrainState, images: jax.Array, loss_fn: LossFn, norms: bool = True
) -> tuple[TrainState, Metrics]:
  """One optimizer step on a uint8 batch; returns the new state and scalar metrics.

  Metrics: the objective's own and `loss`; with `norms`, also `grad_norm` (global L2
  norm of the gradient, before any clipping) and `param_norm` (of the updated
  parameters).
  """
  rng = jax.random.fold_in(state.rng, state.step)
  grad_fn = jax.value_and_grad(loss_fn, has_aux=True)
  (loss, metrics), grads = grad_fn(state.params, to_float(images), rng)
  state = state.apply_gradients(grads=grads)
  metrics = {"loss": loss, **metrics}
  if norms:
    metrics.update(grad_norm=global_norm(grads), param_norm=global_norm(state.params))
  return state, metrics


def train_chunk(
  state: TrainState, chunk: jax.Array, loss_fn: LossFn, unroll: bool = False
) -> tuple[TrainState, Metrics]:
  """`train_step` over each of K batches in `chunk` [K, B, H, W, C]; metrics [K],
  except `grad_norm` and `param_norm` [1], of the last step only: two more passes over
  every parameter at every step made the seed model's step 16% slower at batch 32 here
  (each a reduction XLA does not fuse into the update; `python scripts/bench_train.py`).

  `unroll=True` unrolls the scan: XLA on CPU runs convolutions inside a loop
  body about 15x slower than outside one (measured here: a conv autoencoder step
  took 2.35 s in a scan of length 1 and 0.15 s unrolled), so convolutional
  models unroll a few steps while dense ones keep the loop.
  """
  logging.info(
    "Compiling the train step: %d steps of batch %s %s%s.",
    chunk.shape[0],
    chunk.shape[1:],
    chunk.dtype,
    " (unrolled)" if unroll else "",
  )
  step = functools.partial(train_step, loss_fn=loss_fn, norms=False)
  if chunk.shape[0] == 1:
    head = []
  elif not unroll:
    state, stacked = jax.lax.scan(step, state, chunk[:-1])
    head = [stacked]
  else:
    # A Python loop, not scan(unroll=True): the latter still wraps the steps in a
    # one-trip while loop, which XLA on CPU does not always remove (measured here:
    # a bmshj2018 step took 42 s inside it and 1.5 s outside).
    head = []
    for i in range(chunk.shape[0] - 1):
      state, m = step(state, chunk[i])
      head.append(jax.tree.map(lambda v: v[None], m))
  state, last = train_step(state, chunk[-1], loss_fn, norms=True)
  last = jax.tree.map(lambda v: v[None], last)
  every = set(head[0]) if head else set()  # what every step reports: all but the norms
  return state, {
    name: jnp.concatenate([*(h[name] for h in head), v]) if name in every else v
    for name, v in last.items()
  }


def make_train_fn(
  loss_fn: LossFn, mesh: Mesh, unroll: bool = False
) -> Callable[[TrainState, jax.Array], tuple[TrainState, Metrics]]:
  """Jits `train_chunk` over `mesh`; the state argument is donated."""
  rep = parallel.replicated(mesh)
  return jax.jit(
    functools.partial(train_chunk, loss_fn=loss_fn, unroll=unroll),
    in_shardings=(rep, parallel.batch_sharding(mesh, batch_axis=1)),
    out_shardings=(rep, rep),
    donate_argnums=(0,),
  )
