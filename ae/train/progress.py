"""What a run shows of itself while it trains: a progress bar with epoch, loss and
training images per second (tqdm, stderr), and `jax.profiler` traces of some steps."""

from __future__ import annotations

import os

import jax
from absl import logging
from tqdm import tqdm


class ProgressBar:
  """Step progress of a run; silent on processes other than 0 or when disabled."""

  def __init__(self, total: int, initial: int, steps_per_epoch: int, enabled: bool = True):
    self._spe = steps_per_epoch
    self._epochs = -(-total // steps_per_epoch)
    self._bar = tqdm(
      total=total,
      initial=initial,
      unit="step",
      dynamic_ncols=True,
      disable=not enabled or jax.process_index() != 0,
      mininterval=0.5,
    )

  def update(self, step: int, loss: float, images_per_sec: float) -> None:
    self._bar.set_description(
      f"epoch {min(step // self._spe + 1, self._epochs)}/{self._epochs}", refresh=False
    )
    self._bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{images_per_sec:,.0f}", refresh=False)
    self._bar.update(step - self._bar.n)

  def close(self) -> None:
    self._bar.close()


class Profile:
  """`train.profile_steps` > 0: a `jax.profiler` trace of that many steps in
  WORKDIR/profile (TensorBoard's profile plugin or Perfetto read it), started after the
  first call of the run so that compilation stays out of it."""

  def __init__(self, workdir: str, steps: int, start: int):
    self.dir, self.steps, self.first, self.until = (
      os.path.join(workdir, "profile"),
      steps,
      start,
      None,
    )

  def maybe_start(self, step: int) -> None:
    if self.steps > 0 and self.until is None and step > self.first and jax.process_index() == 0:
      jax.profiler.start_trace(self.dir)
      self.until = step + self.steps

  def maybe_stop(self, step: int, force: bool = False) -> None:
    if self.until is not None and (force or step >= self.until):
      jax.profiler.stop_trace()
      logging.info("Wrote a profile of steps %d-%d to %s.", self.until - self.steps, step, self.dir)
      self.until, self.steps = None, 0
