"""The training input pipeline on Grain: the local batch of global step `s`, for any `s`.

Each element of the Grain dataset is one step's local batch, uint8 [B / P, H, W, C] in
[0, 255] (B the global batch, P the processes): a pure function of (seed, s, position
in the global batch), so the iterator's whole state is the step, which the Orbax
checkpoint holds; a run resumed at step `s` builds the dataset from `s` and sees
exactly the batches an uninterrupted one would. Each process reads only its own
columns of every global batch (`ae.data.pipeline.local_slice`).

Two kinds of batch source, both picklable so that Grain's worker processes
(`config.data.num_workers` > 0, spawned) read, decode and augment:
- `ShuffledImages`: examples of a random-access set (TFDS array_record records, or
  arrays in memory) in the order of `ae.data.pipeline.BatchSchedule`.
- `RandomCrops`: crops of whole photos drawn on the fly (`ae.data.crops`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Protocol

import grain
import numpy as np
from absl import flags

from ae.data.pipeline import BatchSchedule, local_slice


class Images(Protocol):
  """A random-access image set: `read(indices)` -> uint8 [n, H, W, C]."""

  def __len__(self) -> int: ...

  def read(self, indices) -> np.ndarray: ...


@dataclasses.dataclass(frozen=True)
class InMemory:
  """Images held as one uint8 array [N, H, W, C]."""

  images: np.ndarray

  def __len__(self) -> int:
    return len(self.images)

  def read(self, indices) -> np.ndarray:
    return self.images[np.asarray(indices)]


class BatchSource(Protocol):
  """What the pipeline draws from: `num_examples` per epoch of images `image_shape`."""

  num_examples: int
  image_shape: tuple[int, int, int]

  def batch(self, step: int, positions: np.ndarray) -> np.ndarray:
    """uint8 [len(positions), H, W, C]: the examples at `positions` of global batch `step`."""
    ...

  def sample(self, n: int) -> np.ndarray:
    """`n` training examples (at most an epoch's), the same every call: uint8 [n, H, W, C]."""
    ...


class ShuffledImages:
  """The examples of `images` in the order of a BatchSchedule drawn from `data_key`."""

  def __init__(self, images: Images, image_shape: tuple[int, int, int], batch_size: int, data_key):
    self.images, self.image_shape = images, tuple(image_shape)
    self.num_examples, self.batch_size = len(images), batch_size
    self._key = np.asarray(data_key, np.uint32)  # a raw key; numpy pickles to workers
    self._schedule = None

  def schedule(self) -> BatchSchedule:
    if self._schedule is None:  # built lazily: in each worker process
      self._schedule = BatchSchedule(self.num_examples, self.batch_size, self._key)
    return self._schedule

  def batch(self, step: int, positions: np.ndarray) -> np.ndarray:
    return self.images.read(self.schedule().indices(step, 1)[0][positions])

  def sample(self, n: int) -> np.ndarray:
    """The first `n` examples in stored order: uint8 [min(n, N), H, W, C]."""
    return self.images.read(np.arange(min(n, self.num_examples)))

  def __getstate__(self):
    return {**self.__dict__, "_schedule": None}


@dataclasses.dataclass(frozen=True)
class _StepBatch(grain.transforms.Map):
  """Grain map: global step -> this process's share of its batch."""

  source: BatchSource
  positions: np.ndarray

  def map(self, step: int) -> np.ndarray:
    return self.source.batch(int(step), self.positions)


def local_positions(batch_size: int, process_index: int, process_count: int) -> np.ndarray:
  """This process's columns of a global batch of `batch_size`: int [batch_size / P]."""
  return local_slice(np.arange(batch_size), process_index, process_count)


def dataset(
  source: BatchSource,
  batch_size: int,
  first_step: int,
  last_step: int,
  process_index: int = 0,
  process_count: int = 1,
) -> grain.MapDataset:
  """The Grain MapDataset of steps [first_step, last_step): element i is the local batch
  uint8 [B / P, H, W, C] of step first_step + i."""
  positions = local_positions(batch_size, process_index, process_count)
  return grain.MapDataset.range(first_step, last_step).map(_StepBatch(source, positions))


def batches(ds: grain.MapDataset, num_workers: int = 0) -> Iterator[np.ndarray]:
  """The elements of `ds` (a `dataset`) in order, read by `num_workers` Grain worker
  processes (0: in this process, nothing read ahead)."""
  if num_workers <= 0:
    return (ds[i] for i in range(len(ds)))
  if not flags.FLAGS.is_parsed():  # Grain's workers read absl flags; outside an absl app
    flags.FLAGS.mark_as_parsed()  # (tests, notebooks) they keep their defaults
  it = ds.to_iter_dataset(grain.ReadOptions(num_threads=0, prefetch_buffer_size=0))
  return iter(it.mp_prefetch(grain.MultiprocessingOptions(num_workers=num_workers)))


def take(it: Iterator[np.ndarray], k: int) -> np.ndarray:
  """The next `k` local batches stacked: uint8 [k, B / P, H, W, C]."""
  return np.stack([next(it) for _ in range(k)])
