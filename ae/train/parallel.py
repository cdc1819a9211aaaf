"""Data parallelism with `jax.sharding`: one mesh axis "data" over all devices.

Parameters and optimizer state are replicated; every batch is split along its
batch axis. On several hosts each process feeds its own slice of the global
batch (`ae.data.pipeline.local_slice`) and `jax.make_array_from_process_local_data`
assembles the global array.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from ae.utils.errors import ConfigError

DATA_AXIS = "data"


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D mesh named "data" over `devices` (default: every device of every host)."""
  return Mesh(np.asarray(list(devices) if devices is not None else jax.devices()), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def batch_sharding(mesh: Mesh, batch_axis: int = 0) -> NamedSharding:
  """Splits axis `batch_axis` over the "data" axis; other axes are whole."""
  return NamedSharding(mesh, P(*([None] * batch_axis), DATA_AXIS))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  n = mesh.devices.size
  if batch_size % n or batch_size % jax.process_count():
    raise ConfigError(
      f"batch size {batch_size} is not divisible by the {n} devices "
      f"({jax.process_count()} processes)"
    )


def put_global(
  local: np.ndarray, sharding: NamedSharding, global_shape: tuple[int, ...]
) -> jax.Array:
  """Assembles a global array from this process's rows of it."""
  return jax.make_array_from_process_local_data(sharding, local, global_shape)
