"""Orbax checkpoints of the train state in `WORKDIR/checkpoints/<step>`.

Orbax writes each checkpoint into a temporary folder and renames it when it is
complete, so a crash mid-save never leaves a checkpoint that looks valid.
Saves are synchronous: the train step donates its state buffers, and a
synchronous save has finished reading them before the next step runs.
"""

from __future__ import annotations

import os
import shutil

import jax
import orbax.checkpoint as ocp
from absl import logging

from ae.train.state import TrainState


class Checkpointer:
  """Keeps the newest `max_to_keep` checkpoints of a TrainState."""

  def __init__(self, directory: str, max_to_keep: int = 3):
    self._directory, self._keep = os.path.abspath(directory), max_to_keep
    self._manager = self._open()

  def _open(self) -> ocp.CheckpointManager:
    return ocp.CheckpointManager(
      self._directory,
      options=ocp.CheckpointManagerOptions(
        max_to_keep=self._keep, create=True, enable_async_checkpointing=False
      ),
    )

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return list(self._manager.all_steps())

  def save(self, step: int, state: TrainState) -> None:
    self._manager.save(step, args=ocp.args.StandardSave(state))
    self._manager.wait_until_finished()

  def restore(self, step: int, like: TrainState) -> TrainState:
    """Restores checkpoint `step` with the structure, dtypes and shardings of `like`."""
    abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), like
    )
    return self._manager.restore(step, args=ocp.args.StandardRestore(abstract))

  def restore_latest(self, like: TrainState) -> tuple[int, TrainState, list[str]]:
    """(step, state) of the newest checkpoint that restores, and one line per newer one
    that did not: each such folder is moved aside to `checkpoints.broken/<step>` (kept,
    not deleted). (0, like, notes) when none restores or there is none."""
    notes = []
    for step in sorted(self.all_steps(), reverse=True):
      try:
        return step, self.restore(step, like), notes
      except Exception as e:  # pylint: disable=broad-except  # orbax/tensorstore raise many types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        aside = self._set_aside(step)
        notes.append(
          f"checkpoint {step} does not restore ({type(e).__name__}: {first}); moved to {aside}"
        )
        logging.warning(notes[-1])
    return 0, like, notes

  def _set_aside(self, step: int) -> str:
    """Moves checkpoint `step` out of the manager's folder; returns where it went."""
    broken = self._directory + ".broken"
    os.makedirs(broken, exist_ok=True)
    dest = os.path.join(broken, str(step))
    while os.path.exists(dest):
      dest += "_"
    if jax.process_index() == 0:
      shutil.move(os.path.join(self._directory, str(step)), dest)
    self._manager.close()
    self._manager = self._open()
    return dest

  def close(self) -> None:
    self._manager.close()
