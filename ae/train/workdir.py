"""The workdir: one folder per run, the unit of reproducibility.

WORKDIR/config.json        the full config, written before training starts
WORKDIR/metrics.jsonl      one JSON object per logged step and split
WORKDIR/tensorboard/       TensorBoard event files
WORKDIR/checkpoints/<step> Orbax checkpoints, the newest few kept
WORKDIR/results.json       final test metrics and baselines
WORKDIR/*.png              figures

Rerunning the same command resumes from the newest checkpoint. A different
config in an existing workdir is refused rather than silently mixed.
"""

from __future__ import annotations

import json
import os

import jax

from ae.utils import files
from ae.utils.errors import ConfigError

# Fields that may change between a run and its resumption.
RESUMABLE_FIELDS = ("progress",)


def write_json_atomic(path: str, obj) -> None:
  files.write_json(path, obj)


def _comparable(cfg: dict) -> dict:
  return {k: v for k, v in cfg.items() if k not in RESUMABLE_FIELDS}


# Options added to the configs later whose default is not a falsy value: the value that
# behaves as the runs before them did.
NEUTRAL_DEFAULTS = {"rd.quantization": "noise", "data.candidates": 1}


def _diff(a: dict, b: dict, prefix: str = "") -> list[str]:
  """Changed fields from `a` (the stored config) to `b`; a field `a` lacks counts as
  unchanged when `b` sets it off (0, "", False) or to its NEUTRAL_DEFAULTS value: options
  added to the configs later with their neutral default still resume older runs."""
  out = []
  for k in sorted(set(a) | set(b)):
    va, vb = a.get(k), b.get(k)
    neutral = not vb or NEUTRAL_DEFAULTS.get(prefix + k, object()) == vb
    if k not in a and not isinstance(vb, dict) and neutral:
      continue
    if isinstance(va, dict) and isinstance(vb, dict):
      out += _diff(va, vb, f"{prefix}{k}.")
    elif va != vb:
      out.append(f"{prefix}{k}: {va!r} -> {vb!r}")
  return out


def prepare_workdir(workdir: str, config) -> None:
  """Creates the workdir and writes config.json, or checks it matches the one there."""
  os.makedirs(workdir, exist_ok=True)
  path = os.path.join(workdir, "config.json")
  current = json.loads(config.to_json_best_effort())
  if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
      previous = json.load(f)
    changes = _diff(_comparable(previous), _comparable(current))
    if changes:
      raise ConfigError(
        f"workdir {workdir} holds a run with another config ("
        f"{'; '.join(changes[:3])}); use a new --workdir"
      )
  elif jax.process_index() == 0:
    write_json_atomic(path, current)
