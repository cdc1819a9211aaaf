"""The experiment runner: `train_and_evaluate(config, workdir)`.

Order of a run (and of a resumed run): write or check `config.json`; load the
data; build model, objective and optimizer; restore the newest checkpoint if
there is one; train in jitted chunks of `steps_per_call` steps, logging,
evaluating and checkpointing at multiples of their periods; stop with a clear
error on a non-finite loss (the last good checkpoint stays); then evaluate the
test split, the PCA baseline and write figures and `results.json`.
"""

from __future__ import annotations

import os
import sys
import time

import flax
import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from ae.data import stream
from ae.data.sources import load_split, train_source
from ae.store import denoiser_file
from ae.store.codec_file import load_codec
from ae.train import evaluation, final, objectives, parallel, precision, progress
from ae.train import step as step_lib
from ae.train import workdir as workdir_lib
from ae.train.checkpoint import Checkpointer
from ae.train.divergence import DivergenceWatch
from ae.train.lock import WorkdirLock
from ae.train.restore import load_trained, moved_model_path, record_init_steps
from ae.train.state import init_state, seed_keys
from ae.train.writer import MetricWriter
from ae.utils.errors import ConfigError, UserError


def _check_periods(tc) -> None:
  k = int(tc.steps_per_call)
  for name in ("log_every_steps", "eval_every_steps", "checkpoint_every_steps"):
    period = int(tc.get(name, 0) or 0)
    if k < 1 or period < 0 or (period and period % k):
      raise ConfigError(
        f"train.{name}={period} must be a multiple of train.steps_per_call={k} (or 0 to disable)"
      )


def total_steps(tc, steps_per_epoch: int) -> int:
  """`train.num_steps` if set, else `train.num_epochs` full epochs."""
  return int(tc.get("num_steps", 0) or 0) or int(tc.num_epochs) * steps_per_epoch


def _due(step: int, period: int) -> bool:
  return bool(period) and step % period == 0


def _has_checkpoint(workdir: str) -> bool:
  """Whether `workdir` holds a config and at least one step folder under checkpoints/
  (checked by name, so nothing is created for a wrong path)."""
  ckpts = os.path.join(workdir, "checkpoints")
  return (
    os.path.isfile(os.path.join(workdir, "config.json"))
    and os.path.isdir(ckpts)
    and any(d.isdigit() for d in os.listdir(ckpts))
  )


def _init_params(init_from: str, mesh):
  """The parameters `train.init_from` names: the newest checkpoint of a workdir, or an
  exported codec (.aec) or denoiser (.aed) file (float16 parameters widened to float32)."""
  init_from = moved_model_path(init_from)
  if os.path.isfile(init_from) and init_from.endswith(".aed"):
    return denoiser_file.load(init_from).params
  if os.path.isfile(init_from):
    return load_codec(init_from).params

  return load_trained(init_from, mesh).params


def _fit(old, new) -> jax.Array:
  """`old` as a leaf of the shape and dtype of `new`: equal shapes, or a kernel that gains
  input channels (axis -2; e.g. a noise-map channel), the new ones starting at zero so
  the warm-started model computes what the old one did."""
  old = np.asarray(old)
  if old.shape != new.shape:
    grown = (
      old.ndim == new.ndim >= 2
      and old.shape[:-2] == new.shape[:-2]
      and old.shape[-1] == new.shape[-1]
      and old.shape[-2] < new.shape[-2]
    )
    if not grown:
      raise ValueError(f"shape {old.shape} does not fit {new.shape}")
    pad = [(0, 0)] * old.ndim
    pad[-2] = (0, new.shape[-2] - old.shape[-2])
    old = np.pad(old, pad)
  return jnp.asarray(old, new.dtype)


def _fit_tree(old: dict, new: dict, branches: tuple[str, ...] = ()) -> dict:
  """`new`'s tree from `old`'s by `_fit`, leaf by leaf. A model that declares `branches`
  (e.g. `OpponentUNet`'s luma and chroma U-Nets) and is started from a model with one
  branch's tree (a gray U-Net) starts every branch from it."""
  old, new = flax.core.unfreeze(old), flax.core.unfreeze(new)
  if branches and set(old) != set(new) and set(new) == set(branches):
    return {k: jax.tree_util.tree_map(_fit, old, v) for k, v in new.items()}
  return jax.tree_util.tree_map(_fit, old, new)


def _partial(old: dict, new: dict, counts: list[int] | None = None) -> dict:
  """`new` with every leaf that `old` has at the same path and shape replaced by old's;
  `counts` ([taken, fresh], updated in place) counts the leaves of each kind."""
  counts = [0, 0] if counts is None else counts
  out = {}
  for key, value in new.items():
    if isinstance(value, dict):
      sub = old.get(key) if isinstance(old.get(key), dict) else {}
      out[key] = _partial(sub, value, counts)
    elif key in old and np.shape(old[key]) == np.shape(value):
      out[key] = jnp.asarray(old[key], value.dtype)
      counts[0] += 1
    else:
      out[key] = value
      counts[1] += 1
  return out


def warm_start(
  state,
  init_from: str,
  mesh,
  partial: bool = False,
  branches: tuple[str, ...] = (),
  adapt=None,
):
  """`state` with the parameters of `train.init_from` (fresh optimizer state and step 0):
  fine-tuning, e.g. a codec to another lambda, or a shipped codec trained further. With
  `partial` (`train.init_partial`), only the parameters found at the same path with the
  same shape are taken, the rest keep their fresh values (e.g. a channel-conditional codec
  started from a mean-scale codec's transforms and hyperprior). `branches`: the model's
  (`_fit_tree`). `adapt(old, fresh)`, a model's own map from another shape of it (e.g.
  `DenoisingUNet.adapt_params`: one level deeper), is tried first unless `partial`; None
  means it does not apply."""
  params = _init_params(init_from, mesh)
  try:
    adapted = None
    if adapt and not partial:
      adapted = adapt(flax.core.unfreeze(params), flax.core.unfreeze(state.params))
    if adapted is not None:
      params = adapted
      logging.info("The model adapted the parameters of %s to its shape.", init_from)
    elif partial:
      counts = [0, 0]
      params = _partial(flax.core.unfreeze(params), flax.core.unfreeze(state.params), counts)
      if not counts[0]:
        raise ValueError("no parameter has the same path and shape")
      logging.info("init_partial: %d parameters taken, %d left fresh.", *counts)
    else:
      params = _fit_tree(params, state.params, branches)
  except ValueError as e:  # another tree structure, or shapes that do not fit
    raise UserError(f"train.init_from={init_from}: its parameters do not fit this model") from e
  logging.info("Initialized the parameters from %s.", init_from)
  return state.replace(params=jax.device_put(params, parallel.replicated(mesh)))


def train_and_evaluate(config, workdir: str, *, mesh=None, stop_at_step: int | None = None) -> dict:
  """Trains `config` in `workdir` (resuming if possible) and returns the final metrics.

  Args:
    mesh: the device mesh; default all devices on one "data" axis.
    stop_at_step: stop after this step as if preempted (tests resumption).
  """
  tc = config.train
  _check_periods(tc)
  if tc.get("init_from") and not (
    _has_checkpoint(str(tc.init_from)) or os.path.isfile(moved_model_path(str(tc.init_from)))
  ):
    raise UserError(
      f"train.init_from={tc.init_from} is neither a workdir with a checkpoint "
      "nor a codec (.aec) or denoiser (.aed) file"
    )
  mesh = mesh or parallel.make_mesh()
  parallel.check_batch_size(int(tc.batch_size), mesh)

  train_set = train_source(config.data, int(tc.batch_size), seed_keys(config)[2])
  if train_set.num_examples < int(tc.batch_size):
    raise ConfigError(f"batch size {tc.batch_size} exceeds the {train_set.num_examples} examples")
  test_set = load_split(config.data, config.data.eval_split)
  model, state, _ = init_state(config, train_set.image_shape, mesh)
  loss_fn = objectives.build_objective(
    precision.compute_dtype(
      model, str(tc.get("compute_dtype", "") or ""), str(config.get("objective", ""))
    ),
    config,
  )
  train_fn = step_lib.make_train_fn(loss_fn, mesh, bool(tc.get("unroll_steps", False)))
  reconstruct_fn = evaluation.make_reconstruct_fn(model.apply, mesh)
  if tc.get("init_from") and not _has_checkpoint(workdir):
    branches = tuple(getattr(model, "branches", ()))
    state = warm_start(
      state,
      str(tc.init_from),
      mesh,
      bool(tc.get("init_partial", False)),
      branches,
      getattr(model, "adapt_params", None),
    )
  # Written only once the config has built its data, model and objective (and the
  # warm start its parameters), so that a config error leaves no workdir behind to
  # refuse the corrected config.
  lock = WorkdirLock(workdir)
  if jax.process_index() == 0:
    lock.acquire()  # before anything is written; a second run stops here
  try:
    return _train_locked(
      config,
      workdir,
      mesh,
      stop_at_step,
      train_set,
      test_set,
      model,
      state,
      train_fn,
      reconstruct_fn,
    )
  finally:
    if jax.process_index() == 0:
      lock.release()


def _train_locked(
  config,
  workdir,
  mesh,
  stop_at_step,
  train_set,
  test_set,
  model,
  state,
  train_fn,
  reconstruct_fn,
) -> dict:
  """The run once its workdir is locked: resume, train, evaluate, write results."""
  tc = config.train
  workdir_lib.prepare_workdir(workdir, config)
  record_init_steps(workdir, str(tc.get("init_from", "") or ""))
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"), int(tc.get("keep_checkpoints", 3)))
  writer = MetricWriter(workdir, tensorboard=bool(config.get("tensorboard", True)))
  start, state, broken = ckpt.restore_latest(state)
  for line in broken:
    print(f"note: {line}", file=sys.stderr)
  if start:
    logging.info("Resumed from checkpoint at step %d.", start)
    if broken:
      print(f"note: resumed from checkpoint {start}", file=sys.stderr)
  steps_per_epoch = train_set.num_examples // int(tc.batch_size)
  last = total_steps(tc, steps_per_epoch)
  if stop_at_step is not None:
    last = min(last, stop_at_step)
  writer.truncate_after(start, drop_at_step=("test",) if start >= last else ())

  def evaluate_test(params) -> dict[str, float]:
    rec = evaluation.reconstruct_split(
      reconstruct_fn, params, test_set.images, int(config.get("eval_batch_size", 1000)), mesh
    )
    return evaluation.reconstruction_metrics(test_set.images, rec)

  bar = progress.ProgressBar(
    total=last,
    initial=start,
    steps_per_epoch=steps_per_epoch,
    enabled=bool(config.get("progress", True)),
  )
  sums, counts, t0, images_seen = {}, {}, time.perf_counter(), 0
  step = start
  watch = DivergenceWatch(float(step_lib.global_norm(jax.device_get(state.params))))
  profile = progress.Profile(workdir, int(tc.get("profile_steps", 0) or 0), start)
  # Not stopped early as if preempted (a finished run evaluates again, whatever stop_at_step).
  total = total_steps(tc, steps_per_epoch)
  full = last == total or start >= total
  pca = final.pca_baseline(config, train_set, test_set) if full else None
  batches = stream.batches(
    stream.dataset(
      train_set, int(tc.batch_size), start, last, jax.process_index(), jax.process_count()
    ),
    int(config.data.get("num_workers", 0) or 0),
  )

  def next_chunk(at: int):
    """The global chunk of the steps from `at` on, or None past the last step."""
    if at >= last:
      return None
    k = min(int(tc.steps_per_call), last - at)
    return parallel.put_global(
      stream.take(batches, k),
      parallel.batch_sharding(mesh, 1),
      (k, int(tc.batch_size), *train_set.image_shape),
    )

  try:
    chunk = next_chunk(step)
    while step < last:
      profile.maybe_start(step)
      k = chunk.shape[0]
      state, metrics = train_fn(state, chunk)  # dispatched: runs while the host
      try:  # gathers the next chunk's batches; an input error waits for this chunk's
        chunk, failed = next_chunk(step + k), None  # checkpoint, and is raised after it
      except Exception as e:  # pylint: disable=broad-except
        chunk, failed = None, e
      metrics = jax.device_get(metrics)
      watch.check(step + k, metrics, ckpt.latest_step())
      step += k
      profile.maybe_stop(step)
      for name, values in metrics.items():  # the norms have one value per chunk
        sums[name] = sums.get(name, 0.0) + float(np.sum(values))
        counts[name] = counts.get(name, 0) + len(values)
      images_seen += k * int(tc.batch_size)
      bar.update(step, float(metrics["loss"][-1]), images_seen / (time.perf_counter() - t0))
      if _due(step, int(tc.log_every_steps)) or step == last:
        rate = images_seen / (time.perf_counter() - t0)
        writer.write(
          step,
          "train",
          {
            **{n: s / counts[n] for n, s in sums.items()},
            "epoch": step / steps_per_epoch,
            "images_per_sec": rate,
          },
        )
        sums, counts, t0, images_seen = {}, {}, time.perf_counter(), 0
      if _due(step, int(tc.get("eval_every_steps", 0) or 0)) and step != last:
        writer.write(step, "test", evaluate_test(state.params))
      if _due(step, int(tc.checkpoint_every_steps)) or step == last:
        ckpt.save(step, state)
      if failed is not None:
        raise failed
  finally:
    profile.maybe_stop(step, force=True)
    bar.close()
    if hasattr(batches, "close"):  # Grain's worker processes stop now, also on an error
      batches.close()
    ckpt.close()

  if not full:
    writer.close()
    return {"step": step}
  results = final.final_evaluation(
    config, workdir, state.params, evaluate_test, reconstruct_fn, pca, test_set, mesh, model
  )
  writer.write(step, "test", results["test"])
  writer.close()
  results["step"] = step
  if jax.process_index() == 0:
    workdir_lib.write_json_atomic(os.path.join(workdir, "results.json"), results)
  return results
