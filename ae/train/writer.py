"""Metrics of a run: JSON lines in `metrics.jsonl` and TensorBoard event files.

Each line is `{"step": int, "split": "train"|"test"|..., <metric>: float, ...}`.
Event files are written by tensorboardX (protobuf only, no TensorFlow) into
`WORKDIR/tensorboard`. Only process 0 writes.
"""

from __future__ import annotations

import json
import math
import os

import jax

from ae.utils import files


class MetricWriter:
  """Appends scalar metrics to the workdir's JSON lines file and TensorBoard."""

  def __init__(self, workdir: str, tensorboard: bool = True):
    self.path = os.path.join(workdir, "metrics.jsonl")
    self._active = jax.process_index() == 0
    self._tb = None
    if self._active and tensorboard:
      from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top  # optional: tensorboard logging

      self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"), flush_secs=10)

  def write(self, step: int, split: str, metrics: dict[str, float]) -> None:
    if not self._active:
      return
    row = {"step": int(step), "split": split}
    row.update({k: _jsonable(v) for k, v in metrics.items()})
    with open(self.path, "a", encoding="utf-8") as f:
      f.write(json.dumps(row) + "\n")
    if self._tb is not None:
      for k, v in metrics.items():
        if isinstance(v, (int, float)) and math.isfinite(v):
          self._tb.add_scalar(f"{split}/{k}", v, step)

  def truncate_after(self, step: int, drop_at_step: tuple[str, ...] = ()) -> None:
    """Drops lines logged after `step`, and those of the `drop_at_step` splits at `step`.

    A run resumed from checkpoint `step` logs them again (a finished run that is
    rerun repeats its final "test" evaluation).
    """
    if not self._active or not os.path.exists(self.path):
      return

    def keep(row: dict) -> bool:
      return row["step"] < step or (row["step"] == step and row["split"] not in drop_at_step)

    with open(self.path, encoding="utf-8") as f:
      kept = [line for line in f if line.strip() and keep(json.loads(line))]
    files.write_text(self.path, "".join(kept))

  def close(self) -> None:
    if self._tb is not None:
      self._tb.close()


def _jsonable(v):
  v = float(v) if not isinstance(v, (str, int)) else v
  return None if isinstance(v, float) and not math.isfinite(v) else v


def read_metrics(workdir: str, split: str | None = None) -> list[dict]:
  """The rows of `metrics.jsonl`, optionally only those of `split`."""
  with open(os.path.join(workdir, "metrics.jsonl"), encoding="utf-8") as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return [r for r in rows if split is None or r["split"] == split]
