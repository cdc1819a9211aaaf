"""Images read from a TFDS array_record data source, many records at once.

TFDS stores each example as a serialized `tf.train.Example`; its own numpy decoder
turns every pixel of a `Tensor` feature into a Python int (about 170 us per 28x28
image on one core here). For the common case, an `image` feature that is a
fixed-shape integer `Tensor` without encoding (Fashion-MNIST as `ae.data.fashion_mnist`
prepares it), `RecordImages` walks the few fields of each record in Python and decodes
the packed varints of all the batch's records in one vectorized pass; it gives exactly
TFDS's pixels. Any other feature (zlib or PNG encodings, sizes that differ) goes
through TFDS's decoder.

Shapes: `read(indices)` returns uint8 [len(indices), H, W, C] in [0, 255].
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from ae.utils import varint
from ae.utils.errors import DatasetNotFoundError

CHUNK = 256  # records decoded together


def _fields(buf: bytes, start: int, end: int):
  """(field number, payload start, payload end) of the length-delimited fields of a
  protobuf message in buf[start:end]; other wire types are skipped."""
  pos = start
  while pos < end:
    tag, pos = varint.decode(buf, pos)
    kind = tag & 7
    if kind == 2:
      n, pos = varint.decode(buf, pos)
      yield tag >> 3, pos, pos + n
      pos += n
    elif kind == 0:
      _, pos = varint.decode(buf, pos)
    elif kind in (1, 5):
      pos += 8 if kind == 1 else 4
    else:
      raise ValueError(f"unsupported protobuf wire type {kind}")


def packed_int64s(record: bytes, key: str) -> memoryview:
  """The packed varint payload of Int64List feature `key` of a serialized tf.train.Example
  (Example.features = 1, Features.feature map entries = 1, entry key = 1 / value = 2,
  Feature.int64_list = 3, Int64List.value = 1); ValueError when it has none."""
  want = key.encode()
  for _, fs, fe in _fields(record, 0, len(record)):  # Example.features
    for _, es, ee in _fields(record, fs, fe):  # one map entry: key first, then value
      entry = list(_fields(record, es, ee))
      if len(entry) == 2 and entry[0][0] == 1 and record[entry[0][1] : entry[0][2]] == want:
        feature = list(_fields(record, entry[1][1], entry[1][2]))
        if len(feature) == 1 and feature[0][0] == 3:
          values = list(_fields(record, feature[0][1], feature[0][2]))
          if len(values) == 1 and values[0][0] == 1:
            return memoryview(record)[values[0][1] : values[0][2]]
  raise ValueError(f"no packed int64 feature '{key}' in the record")


def decode_varints(data: np.ndarray) -> np.ndarray:
  """Non-negative varints of at most 4 bytes, uint8 [n bytes] -> int32 [values]."""
  last = np.flatnonzero(data < 0x80).astype(np.int32)
  first = np.zeros_like(last)
  first[1:] = last[:-1] + 1
  length = last - first + 1
  if length.max(initial=1) > 4:
    raise ValueError("a varint longer than 4 bytes")
  low = data & np.uint8(0x7F)
  value = low[first].astype(np.int32)
  for k in range(1, int(length.max(initial=1))):
    more = np.flatnonzero(length > k)
    value[more] |= low[first[more] + k].astype(np.int32) << (7 * k)
  return value


def decode_uint8_varints(data: np.ndarray) -> np.ndarray:
  """Varints of values in [0, 255], uint8 [n bytes] -> uint8 [values]. A value below 128
  is one byte; one from 128 is two, `v` itself (v & 0x7F | 0x80 == v) then 0x01, so the
  values are the bytes that do not follow a byte >= 0x80."""
  second = np.zeros(len(data), bool)
  second[1:] = data[:-1] >= 0x80
  if np.any(data[second] != 1) or np.any(second & (data >= 0x80)):
    raise ValueError("a varint outside [0, 255]")
  return data[~second]


def _fast_shape(info) -> tuple[int, ...] | None:
  """The image shape when feature `image` is a fixed-shape uint8 Tensor without
  encoding (the packed-varint fast path applies); None otherwise."""
  feature = info.features["image"] if "image" in info.features else None
  if not isinstance(feature, tfds.features.Tensor) or type(feature) is not tfds.features.Tensor:
    return None
  shape = tuple(feature.shape)
  encoded = str(getattr(feature, "_encoding", "none")).lower().endswith("none")
  ok = shape and all(isinstance(d, int) and d > 0 for d in shape) and encoded
  return shape if ok and np.dtype(feature.np_dtype) == np.uint8 else None


def _decode(raw: list[bytes], key: str, shape: tuple[int, ...]) -> np.ndarray:
  """Int64List feature `key` of serialized examples `raw`, decoded in one vectorized pass:
  [len(raw), *shape], uint8 for images (shape given, values in [0, 255]), int32 for
  scalars (shape ())."""
  data = np.frombuffer(b"".join(packed_int64s(r, key) for r in raw), np.uint8)
  values = decode_uint8_varints(data) if shape else decode_varints(data)
  if values.size != len(raw) * int(np.prod(shape)):
    raise ValueError(f"records of feature '{key}' are not of shape {shape}")
  return values.reshape(len(raw), *shape).astype(np.uint8 if shape else np.int32)


class RecordImages:
  """The `image` feature of a TFDS data source, read by index (picklable, so grain's
  worker processes can each open their own)."""

  def __init__(self, source):
    self._source = source
    info = getattr(source, "dataset_info", None)
    self._shape = _fast_shape(info) if info is not None else None

  def __len__(self) -> int:
    return len(self._source)

  @property
  def fixed_shape(self) -> tuple[int, ...] | None:
    """The stored [H, W(, C)] of every image when it is fixed and known without reading."""
    return self._shape

  def read(self, indices) -> np.ndarray:
    """uint8 images [n, H, W, C] of the records at `indices` (a gray image gains C=1)."""
    indices = [int(i) for i in np.asarray(indices).ravel()]
    if self._shape is not None and indices:
      try:
        images = self._read_fast(indices)
        return images[..., None] if images.ndim == 3 else images
      except (ValueError, IndexError):  # not the layout the fast path knows: TFDS decodes it
        self._shape = None
    examples = self._source.__getitems__(indices) if indices else []
    if examples and "image" not in examples[0]:
      raise DatasetNotFoundError(
        f"dataset has no 'image' feature (features: {sorted(examples[0])})"
      )
    images = [np.asarray(e["image"], np.uint8) for e in examples]
    images = [im[..., None] if im.ndim == 2 else im for im in images]
    return np.stack(images) if images else np.zeros((0, 1, 1, 1), np.uint8)

  def _read_fast(self, indices: list[int]) -> np.ndarray:
    raw = self._source.data_source.__getitems__(indices)
    images = np.empty((len(indices), *self._shape), np.uint8)
    for i in range(0, len(indices), CHUNK):  # small temporaries stay in cache
      images[i : i + CHUNK] = _decode(raw[i : i + CHUNK], "image", self._shape)
    return images

  def labels(self, indices) -> np.ndarray:
    """int32 labels [n] of the records at `indices` (-1 where there is no `label`)."""
    indices = [int(i) for i in np.asarray(indices).ravel()]
    info = getattr(self._source, "dataset_info", None)
    if info is None or "label" not in info.features or not indices:
      return np.full(len(indices), -1, np.int32)
    if self._shape is not None:
      raw = self._source.data_source.__getitems__(indices)
      try:
        return np.concatenate(
          [_decode(raw[i : i + CHUNK], "label", ()) for i in range(0, len(raw), CHUNK)]
        )
      except (ValueError, IndexError):  # another layout: TFDS decodes the labels
        pass
    return np.asarray([int(e["label"]) for e in self._source.__getitems__(indices)], np.int32)
