"""Loads a finished (or interrupted) run back from its workdir, for figures and analysis."""

from __future__ import annotations

import dataclasses
import json
import os

import flax.linen as nn
import ml_collections

from ae.data.sources import ImageSet, load_split
from ae.errors import UserError
from ae.train import parallel
from ae.train.checkpoint import Checkpointer
from ae.train.runner import init_state


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


def load_trained(workdir: str, mesh=None, objective: str | None = None) -> TrainedRun:
  """The config, model, newest checkpoint's parameters and test split of a workdir;
  with `objective`, refuses a run trained for another one."""
  config = load_config(workdir)
  if objective is not None and config.get("objective", "reconstruction") != objective:
    raise UserError(f"{workdir} is not a {objective} run (objective "
                    f"'{config.get('objective', 'reconstruction')}')")
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
