"""A decoded copy of a TFDS split that is read whole: records parsed once, arrays after.

Every process that trains or evaluates on a small TFDS split (Fashion-MNIST's 60,000
training and 10,000 test images) reads it whole into memory, and parsing its records
takes seconds even on `ae.data.records`' fast path (2.1 s for the 60,000 here,
`scripts/bench_data_read.py`). So the first process writes the split's uint8 images
[N, H, W, C] and int32 labels [N] as one .npz file into the cache folder
(`$AE_DECODED_CACHE`, default `$XDG_CACHE_HOME/ae/decoded` or `~/.cache/ae/decoded`; an
empty value turns the cache off), and later processes load them (0.12 s): the same pixels
and labels. The file's name is a key of the split, of the names, sizes and modification
times of the prepared data set's files (a data set prepared anew gets a new file) and
of the source of the parsing code. Only splits of at most `max_bytes` of pixels are
cached (the caller's in-memory limit). A file appears whole or not at all (written
atomically by `ae.utils.files`); one that cannot be read is a miss and is replaced; a
cache that cannot be written is skipped with a log line, never an error. Old files are
not removed: delete the cache folder to reclaim the space.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os

import numpy as np
from absl import logging

from ae.data import records
from ae.utils import files, varint
from ae.utils.errors import UserError

FORMAT = 1  # bump when what is stored changes


def cache_root() -> str | None:
  """The cache folder, or None when `$AE_DECODED_CACHE` is set empty."""
  if "AE_DECODED_CACHE" in os.environ:
    return os.environ["AE_DECODED_CACHE"] or None
  root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
  return os.path.join(root, "ae", "decoded")


@functools.cache
def _code_version() -> str:
  """A hash of the modules that turn records into arrays: new parsing code, new keys."""
  digest = hashlib.sha256()
  for module in (records, varint):
    with open(module.__file__, "rb") as f:
      digest.update(f.read())
  return digest.hexdigest()


def split_key(data_dir: str, split: str) -> str:
  """A hex key of `split`, of the files in `data_dir` (names, sizes, modification times)
  and of the parsing code."""
  files = []
  for name in sorted(os.listdir(data_dir)):
    st = os.stat(os.path.join(data_dir, name))
    files.append((name, st.st_size, st.st_mtime_ns))
  blob = json.dumps([FORMAT, _code_version(), os.path.abspath(data_dir), split, files])
  return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _path(source, split: str) -> str | None:
  root = cache_root()
  data_dir = getattr(getattr(source, "dataset_info", None), "data_dir", None)
  if not root or not data_dir or not os.path.isdir(data_dir):
    return None
  return os.path.join(root, split_key(data_dir, split) + ".npz")


def _load(path: str, n: int) -> tuple[np.ndarray, np.ndarray] | None:
  """The cached arrays when they are whole and of `n` records, else None."""
  try:
    with np.load(path) as stored:
      images, labels = stored["images"], stored["labels"]
  except Exception as e:  # pylint: disable=broad-except  # any damage is a miss
    logging.info("Cached split %s unreadable (%s); parsing the records.", path, e)
    return None
  ok = images.dtype == np.uint8 and images.ndim == 4 and len(images) == n
  return (images, labels) if ok and labels.dtype == np.int32 and labels.shape == (n,) else None


def _store(path: str, images: np.ndarray, labels: np.ndarray) -> None:
  """Writes the arrays to `path` atomically (`ae.utils.files`: a damaged copy there is
  replaced); a cache that cannot be written is skipped with a log line."""
  buf = io.BytesIO()
  np.savez(buf, images=images, labels=labels)
  try:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    files.write_bytes(path, buf.getvalue())
  except (OSError, UserError) as e:  # unwritable folder or full disk: not an error
    logging.info("Not caching the decoded split in %s: %s", path, e)


def read_all(source, split: str, max_bytes: int) -> tuple[np.ndarray, np.ndarray]:
  """(uint8 images [N, H, W, C], int32 labels [N]) of every record of a TFDS data source
  of `split`: from the cache when it holds them, else parsed, and then cached when the
  images take at most `max_bytes`."""
  path = _path(source, split)
  if path and os.path.isfile(path):
    cached = _load(path, len(source))
    if cached is not None:
      return cached
  reader = records.RecordImages(source)
  everything = np.arange(len(reader))
  images, labels = reader.read(everything), reader.labels(everything)
  if path and images.nbytes <= max_bytes:
    _store(path, images, labels)
  return images, labels
