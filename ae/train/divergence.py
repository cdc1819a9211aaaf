"""Stopping a run that diverges, with one line, before it wastes hours or a checkpoint.

A chunk of steps (metrics [K] per name from the train step; the norms [1], of its last
step) has diverged when its
loss is not finite, when its mean loss exceeds FACTOR times the lowest chunk mean seen
so far in this process, or when the parameters' global L2 norm exceeds FACTOR times
its value when the run (or its resumption) started: a learning rate of 1e16 saturates
a sigmoid decoder at a steady loss, but sends the parameter norm to infinity in one
step. The last good checkpoint stays.
"""

from __future__ import annotations

import numpy as np

from ae.utils.errors import NonFiniteLossError

FACTOR = 1e3


class DivergedError(NonFiniteLossError):
  pass


class DivergenceWatch:
  """Call `check(step, metrics, last_checkpoint)` after each chunk."""

  def __init__(self, initial_param_norm: float, factor: float = FACTOR):
    self.factor = factor
    self.best_loss: float | None = None
    self.first_norm = float(initial_param_norm)

  @staticmethod
  def _advice(last_checkpoint: int | None) -> str:
    where = (
      f"last good checkpoint: step {last_checkpoint}"
      if last_checkpoint
      else "no checkpoint was saved yet"
    )
    return f"; stopped ({where}); lower train.learning_rate or clip gradients"

  def check(self, step: int, metrics: dict, last_checkpoint: int | None) -> None:
    """`step` is the last step of the chunk; raises DivergedError with one line."""
    loss = np.asarray(metrics["loss"], np.float64)
    if not np.all(np.isfinite(loss)):
      bad = int(np.argmax(~np.isfinite(loss)))
      raise DivergedError(
        f"loss became {loss[bad]} at step {step - len(loss) + 1 + bad}"
        + self._advice(last_checkpoint)
      )
    mean = float(loss.mean())
    if self.best_loss is not None and self.best_loss > 0 and mean > self.factor * self.best_loss:
      raise DivergedError(
        f"loss rose to {mean:.4g} by step {step}, {mean / self.best_loss:.0f}x "
        f"its best {self.best_loss:.4g}" + self._advice(last_checkpoint)
      )
    self.best_loss = mean if self.best_loss is None else min(self.best_loss, mean)
    if "param_norm" in metrics:
      norm = np.asarray(metrics["param_norm"], np.float64)
      if self.first_norm > 0 and (
        not np.isfinite(norm[-1]) or norm[-1] > self.factor * self.first_norm
      ):
        raise DivergedError(
          f"parameter norm grew from {self.first_norm:.3g} to {norm[-1]:.3g} "
          f"by step {step}" + self._advice(last_checkpoint)
        )
