"""Orbax checkpoints of the train state in `WORKDIR/checkpoints/<step>`.

Orbax writes each checkpoint into a temporary folder and renames it when it is
complete, so a crash mid-save never leaves a checkpoint that looks valid.
Saves are synchronous: the train step donates its state buffers, and a
synchronous save has finished reading them before the next step runs.
"""

from __future__ import annotations

import os

import jax
import orbax.checkpoint as ocp

from ae.train.state import TrainState


class Checkpointer:
  """Keeps the newest `max_to_keep` checkpoints of a TrainState."""

  def __init__(self, directory: str, max_to_keep: int = 3):
    self._manager = ocp.CheckpointManager(
        os.path.abspath(directory),
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True,
                                             enable_async_checkpointing=False))

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
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), like)
    return self._manager.restore(step, args=ocp.args.StandardRestore(abstract))

  def close(self) -> None:
    self._manager.close()
