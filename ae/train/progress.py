"""A progress bar showing epoch, loss and training images per second (tqdm, stderr)."""

from __future__ import annotations

import jax
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
