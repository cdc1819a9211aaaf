"""A decoded copy of a TFDS split that is read whole: records parsed once, arrays after.

Every process that trains or evaluates on a small TFDS split (Fashion-MNIST's 60,000
training and 10,000 test images) reads it whole into memory, and parsing its records
takes seconds even on `ae.data.records`' fast path (4.1 s for the 60,000 here,
`scripts/bench_data_read.py`). So the first process writes the split's uint8 images
[N, H, W, C] and int32 labels [N] as .npy files into a folder of the cache
(`$AE_DECODED_CACHE`, default `$XDG_CACHE_HOME/ae/decoded` or `~/.cache/ae/decoded`; an
empty value turns the cache off), and later processes load them (0.2 s): the same pixels
and labels. The folder's name is a key of the split, of the names, sizes and modification
times of the prepared data set's files (a data set prepared anew gets a new folder) and
of the source of the parsing code. Only splits of at most `max_bytes` of pixels are
cached (the caller's in-memory limit). A folder appears whole or not at all (written
aside, synced, then renamed); one that cannot be read is replaced; a cache that cannot be
written is skipped with a log line, never an error. Old folders are not removed: delete
the cache folder to reclaim the space.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile

import numpy as np
from absl import logging

from ae.data import records
from ae.utils import varint

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


def _folder(source, split: str) -> str | None:
  root = cache_root()
  data_dir = getattr(getattr(source, "dataset_info", None), "data_dir", None)
  if not root or not data_dir or not os.path.isdir(data_dir):
    return None
  return os.path.join(root, split_key(data_dir, split))


def _load(folder: str, n: int) -> tuple[np.ndarray, np.ndarray] | None:
  """The cached arrays when they are whole and of `n` records, else None."""
  try:
    images = np.load(os.path.join(folder, "images.npy"))
    labels = np.load(os.path.join(folder, "labels.npy"))
  except Exception as e:  # pylint: disable=broad-except  # any damage is a miss
    logging.info("Cached split %s unreadable (%s); parsing the records.", folder, e)
    return None
  ok = images.dtype == np.uint8 and images.ndim == 4 and len(images) == n
  return (images, labels) if ok and labels.dtype == np.int32 and labels.shape == (n,) else None


def _save(path: str, array: np.ndarray) -> None:
  with open(path, "wb") as f:
    np.save(f, array)
    f.flush()
    os.fsync(f.fileno())


def _store(folder: str, images: np.ndarray, labels: np.ndarray) -> None:
  """Writes the arrays into `folder` whole (aside, synced, renamed) or not at all; a
  folder already there (unreadable, or another process's) is replaced or left."""
  try:
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(folder))
  except OSError as e:
    logging.info("Not caching the decoded split in %s: %s", folder, e)
    return
  try:
    _save(os.path.join(tmp, "images.npy"), images)
    _save(os.path.join(tmp, "labels.npy"), labels)
    if os.path.isdir(folder) and _load(folder, len(images)) is None:
      shutil.rmtree(folder, ignore_errors=True)  # damaged: make way for the new copy
    os.rename(tmp, folder)
  except OSError as e:  # another process was first, or the disk is full: not an error
    logging.info("Not caching the decoded split in %s: %s", folder, e)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def read_all(source, split: str, max_bytes: int) -> tuple[np.ndarray, np.ndarray]:
  """(uint8 images [N, H, W, C], int32 labels [N]) of every record of a TFDS data source
  of `split`: from the cache when it holds them, else parsed, and then cached when the
  images take at most `max_bytes`."""
  folder = _folder(source, split)
  if folder and os.path.isdir(folder):
    cached = _load(folder, len(source))
    if cached is not None:
      return cached
  reader = records.RecordImages(source)
  everything = np.arange(len(reader))
  images, labels = reader.read(everything), reader.labels(everything)
  if folder and images.nbytes <= max_bytes:
    _store(folder, images, labels)
  return images, labels
