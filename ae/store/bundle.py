"""Model files as msgpack bundles, read and written with numpy alone.

A bundle is a tree of dicts (string keys), lists, strings, numbers and numpy arrays,
in the msgpack layout of `flax.serialization` (arrays as extension type 1 holding
(shape, dtype name, C-order bytes); numpy scalars as type 3), so files written by
either read with both. `unpack` refuses anything that is not such a tree with a
`BundleError` (a `UserError`): truncated bytes, other extension types, bad arrays.
"""

from __future__ import annotations

import json

import msgpack
import numpy as np

from ae.utils.errors import UserError

_NDARRAY, _NPSCALAR = 1, 3


class BundleError(UserError):
  pass


def _array_from_bytes(data: bytes) -> np.ndarray:
  shape, dtype, buffer = msgpack.unpackb(data, raw=True)
  dtype = np.dtype(dtype.decode() if isinstance(dtype, bytes) else dtype)
  return np.frombuffer(buffer, dtype=dtype).reshape(tuple(shape), order="C").copy()


def _ext_unpack(code: int, data: bytes):
  if code == _NDARRAY:
    return _array_from_bytes(data)
  if code == _NPSCALAR:
    return _array_from_bytes(data)[()]
  raise BundleError(f"unknown msgpack extension type {code}")


def _ext_pack(x):
  if isinstance(x, np.ndarray):
    return msgpack.ExtType(
      _NDARRAY, msgpack.packb((x.shape, x.dtype.name, np.ascontiguousarray(x).tobytes()))
    )
  if isinstance(x, np.generic):
    return msgpack.ExtType(_NPSCALAR, msgpack.packb(((), x.dtype.name, np.asarray(x).tobytes())))
  raise TypeError(f"cannot store {type(x).__name__} in a bundle")


def model_fields(fmt: str, version: int, model_config, image_shape) -> dict:
  """The fields every model file starts with, in file order: format, version, the run's
  `config.model` as sorted JSON and the image shape [H, W, C] it was built for."""
  return {
    "format": fmt,
    "version": version,
    "model": json.dumps(model_config.to_dict(), sort_keys=True),
    "image_shape": [int(d) for d in image_shape],
  }


def pack(tree) -> bytes:
  """The msgpack bytes of a tree of dicts, lists, str, numbers and numpy arrays."""
  return msgpack.packb(tree, default=_ext_pack, strict_types=True)


def unpack(data: bytes) -> dict:
  """The tree of a bundle's bytes; BundleError when they are not one."""
  try:
    tree = msgpack.unpackb(data, ext_hook=_ext_unpack, raw=False)
  except BundleError:
    raise
  except (ValueError, TypeError, KeyError, msgpack.UnpackException) as e:
    raise BundleError(f"not a readable model bundle ({type(e).__name__}: {e})") from e
  if not isinstance(tree, dict):
    raise BundleError("not a model bundle (no top-level map)")
  return tree
