"""Deterministic minibatch order, addressable by global step.

The batch at global step `s` is a pure function of (seed, s): epoch
`e = s // steps_per_epoch` uses the permutation drawn with
`jax.random.fold_in(data_key, e)`, and the step within the epoch picks a window
of it (the last partial batch of an epoch is dropped). A run resumed at step `s`
therefore sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def to_float(images: jax.Array) -> jax.Array:
  """uint8 pixels in [0, 255] -> float32 in [0, 1]."""
  return images.astype(jnp.float32) / 255.0


class BatchSchedule:
  """Indices of the examples in each global batch, for any range of steps."""

  def __init__(self, num_examples: int, batch_size: int, data_key: jax.Array):
    if batch_size > num_examples:
      raise ValueError(f"batch size {batch_size} exceeds the {num_examples} examples")
    self.num_examples = num_examples
    self.batch_size = batch_size
    self.steps_per_epoch = num_examples // batch_size
    self._key = data_key
    self._cache: dict[int, np.ndarray] = {}

  def permutation(self, epoch: int) -> np.ndarray:
    """The order of all examples in `epoch` (int [num_examples])."""
    if epoch not in self._cache:
      if len(self._cache) >= 2:
        self._cache.pop(min(self._cache))
      key = jax.random.fold_in(self._key, epoch)
      self._cache[epoch] = np.asarray(jax.random.permutation(key, self.num_examples))
    return self._cache[epoch]

  def indices(self, first_step: int, num_steps: int) -> np.ndarray:
    """Example indices for steps [first_step, first_step + num_steps): int [num_steps, B]."""
    rows = []
    for step in range(first_step, first_step + num_steps):
      epoch, i = divmod(step, self.steps_per_epoch)
      rows.append(self.permutation(epoch)[i * self.batch_size : (i + 1) * self.batch_size])
    return np.stack(rows)

  def epoch_of(self, step: int) -> int:
    return step // self.steps_per_epoch


def local_slice(indices: np.ndarray, process_index: int, process_count: int) -> np.ndarray:
  """This host's share of each global batch: columns [p*B/P, (p+1)*B/P) of [K, B] indices."""
  per_host = indices.shape[-1] // process_count
  return indices[..., process_index * per_host : (process_index + 1) * per_host]
