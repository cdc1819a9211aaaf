"""Reader for the IDX format of the original MNIST and Fashion-MNIST files.

Format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian header of
two zero bytes, a type code (0x08 = uint8) and the number of dimensions, then
one uint32 per dimension, then the raw array. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

_DTYPES = {
  0x08: np.uint8,
  0x09: np.int8,
  0x0B: np.dtype(">i2"),
  0x0C: np.dtype(">i4"),
  0x0D: np.dtype(">f4"),
  0x0E: np.dtype(">f8"),
}


def parse_idx(data: bytes) -> np.ndarray:
  """Decodes IDX bytes (already decompressed) into an array of the stored shape."""
  if len(data) < 4 or data[0] != 0 or data[1] != 0:
    raise ValueError("not an IDX file: bad magic bytes")
  type_code, ndim = data[2], data[3]
  if type_code not in _DTYPES:
    raise ValueError(f"not an IDX file: unknown type code {type_code:#x}")
  header = 4 + 4 * ndim
  if len(data) < header:
    raise ValueError("truncated IDX header")
  shape = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">u4"))
  dtype = np.dtype(_DTYPES[type_code])
  expected = int(np.prod(shape)) * dtype.itemsize
  if len(data) - header != expected:
    raise ValueError(
      f"IDX payload is {len(data) - header} bytes, expected {expected} for shape {shape}"
    )
  return (
    np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
  )


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
  """Reads an IDX file, gzip-compressed if its name ends in `.gz`."""
  opener = gzip.open if os.fspath(path).endswith(".gz") else open
  with opener(path, "rb") as f:
    return parse_idx(f.read())


def encode_idx(array: np.ndarray) -> bytes:
  """Encodes a uint8 array as IDX bytes (for tests and fixtures)."""
  array = np.ascontiguousarray(array, dtype=np.uint8)
  header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
  return header + array.tobytes()
