"""Loads a finished (or interrupted) run back from its workdir, for figures and analysis."""

from __future__ import annotations

import dataclasses
import json
import os

import flax.linen as nn
import jax
import ml_collections

from ae.data.sources import ImageSet, load_split
from ae.store import bundle
from ae.train import parallel
from ae.train.checkpoint import Checkpointer
from ae.train.state import init_state
from ae.utils import files
from ae.utils.errors import UserError


@dataclasses.dataclass
class TrainedRun:
  config: ml_collections.ConfigDict
  model: nn.Module
  params: dict
  step: int
  test_set: ImageSet


def load_config(workdir: str) -> ml_collections.ConfigDict:
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise UserError(f"{workdir} is not a workdir: it has no config.json")
  with open(path, encoding="utf-8") as f:
    return ml_collections.ConfigDict(json.load(f))


_MOVED = {"ae/codecs/": "ae/store/codecs/", "ae/denoisers/": "ae/store/denoisers/"}


def moved_model_path(path: str) -> str:
  """A shipped model's path as runs recorded it before the store held the models
  (`ae/denoisers/X.aed` -> `ae/store/denoisers/X.aed`), when only the new one exists."""
  for old, new in _MOVED.items():
    if path.replace("\\", "/").startswith(old) and not os.path.exists(path):
      moved = new + path.replace("\\", "/")[len(old) :]
      if os.path.exists(moved):
        return moved
  return path


INIT_STEPS = "init_steps.json"


def record_init_steps(workdir: str, init_from: str) -> None:
  """Writes WORKDIR/init_steps.json, the steps behind `init_from` as they are when the
  run starts (once; process 0), so that a later export counts them even after the file
  or workdir it started from is replaced."""
  path = os.path.join(workdir, INIT_STEPS)
  if init_from and not os.path.exists(path) and jax.process_index() == 0:
    files.write_json(path, {"init_from": init_from, "steps": prior_steps(init_from)})


def run_prior_steps(workdir: str, init_from: str) -> int:
  """The steps behind a run's `init_from`: as recorded when it started, else computed."""
  path = os.path.join(workdir, INIT_STEPS)
  if os.path.isfile(path):
    with open(path, encoding="utf-8") as f:
      return int(json.load(f)["steps"])
  return prior_steps(init_from)


def prior_steps(init_from: str, depth: int = 0) -> int:
  """Training steps behind `train.init_from`: the step stored in an exported .aec or .aed
  file (itself the total of its run), or a workdir's newest checkpoint step plus what
  its own init_from had; 0 for none. Export adds it, so a shipped model's metadata
  counts every step it was trained, across cumulative runs."""
  if not init_from or depth > 20:
    return 0
  init_from = moved_model_path(init_from)
  if os.path.isfile(init_from):
    with open(init_from, "rb") as f:
      return int(bundle.unpack(f.read()).get("step", 0) or 0)
  if not os.path.isfile(os.path.join(init_from, "config.json")):
    raise UserError(f"train.init_from={init_from}: no such model file or workdir")
  ckpt = Checkpointer(os.path.join(init_from, "checkpoints"))
  step = ckpt.latest_step() or 0
  ckpt.close()
  if os.path.isfile(os.path.join(init_from, INIT_STEPS)):
    return step + run_prior_steps(init_from, "")
  return step + prior_steps(str(load_config(init_from).train.get("init_from", "")), depth + 1)


def load_trained(workdir: str, mesh=None, objective: str | None = None) -> TrainedRun:
  """The config, model, newest checkpoint's parameters and test split of a workdir;
  with `objective`, refuses a run trained for another one."""
  config = load_config(workdir)
  if objective is not None and config.get("objective", "reconstruction") != objective:
    raise UserError(
      f"{workdir} is not a {objective} run (objective "
      f"'{config.get('objective', 'reconstruction')}')"
    )
  test_set = load_split(config.data, config.data.eval_split)
  mesh = mesh or parallel.make_mesh()
  model, state, _ = init_state(config, test_set.image_shape, mesh)
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"))
  step = ckpt.latest_step()
  if step is None:
    raise UserError(f"{workdir} has no checkpoint yet")
  state = ckpt.restore(step, state)
  ckpt.close()
  return TrainedRun(config, model, state.params, step, test_set)
