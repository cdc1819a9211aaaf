"""A decoded copy of a TFDS split that is read whole: records parsed once, arrays after.

A split small enough to be held in memory (`ae.data.sources.in_memory_limit`, e.g.
Fashion-MNIST's 70,000 records) is read whole by every process that trains or evaluates
on it; even on the fast path of `ae.data.records` that parses each record in Python
(about 3.6 s for Fashion-MNIST on one core here). The first process writes the split's
uint8 images [N, H, W, C] and int32 labels [N] as .npy files into a folder of the cache
(`$AE_DECODED_CACHE`, default `$XDG_CACHE_HOME/ae/decoded` or `~/.cache/ae/decoded`; an
empty value turns the cache off), named by a key of the split and of the names, sizes
and modification times of the prepared data set's files, so a data set prepared anew
gets a new folder. Later processes load the arrays: the same pixels and labels, exactly.
The folder appears whole or not at all (written aside, then renamed); a cache that
cannot be written is skipped with a log line, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

import numpy as np
from absl import logging

from ae.data import records

FORMAT = 1  # bump when what is stored changes


def cache_root() -> str | None:
  """The cache folder, or None when `$AE_DECODED_CACHE` is set empty."""
  if "AE_DECODED_CACHE" in os.environ:
    return os.environ["AE_DECODED_CACHE"] or None
  root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
  return os.path.join(root, "ae", "decoded")


def split_key(data_dir: str, split: str) -> str:
  """A hex key of `split` and of the files in `data_dir` (names, sizes, mtimes)."""
  files = []
  for name in sorted(os.listdir(data_dir)):
    st = os.stat(os.path.join(data_dir, name))
    files.append((name, st.st_size, st.st_mtime_ns))
  blob = json.dumps([FORMAT, os.path.abspath(data_dir), split, files]).encode()
  return hashlib.sha256(blob).hexdigest()[:24]


def _folder(source, split: str) -> str | None:
  root = cache_root()
  info = getattr(source, "dataset_info", None)
  data_dir = getattr(info, "data_dir", None)
  if not root or not data_dir or not os.path.isdir(data_dir):
    return None
  return os.path.join(root, split_key(data_dir, split))


def _load(folder: str) -> tuple[np.ndarray, np.ndarray] | None:
  try:
    return np.load(os.path.join(folder, "images.npy")), np.load(os.path.join(folder, "labels.npy"))
  except (OSError, ValueError):
    return None


def _store(folder: str, images: np.ndarray, labels: np.ndarray) -> None:
  """Writes the arrays into `folder` whole (aside, then renamed) or not at all."""
  try:
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(folder))
  except OSError as e:
    logging.info("Not caching the decoded split in %s: %s", folder, e)
    return
  try:
    np.save(os.path.join(tmp, "images.npy"), images)
    np.save(os.path.join(tmp, "labels.npy"), labels)
    os.rename(tmp, folder)
  except OSError as e:  # another process was first, or the disk is full: not an error
    logging.info("Not caching the decoded split in %s: %s", folder, e)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def read_all(source, split: str) -> tuple[np.ndarray, np.ndarray]:
  """(uint8 images [N, H, W, C], int32 labels [N]) of every record of a TFDS data source
  of `split`, from the cache when it holds them, else read and then cached."""
  folder = _folder(source, split)
  cached = _load(folder) if folder and os.path.isdir(folder) else None
  if cached is not None and len(cached[0]) == len(source) == len(cached[1]):
    return cached
  reader = records.RecordImages(source)
  everything = np.arange(len(reader))
  images, labels = reader.read(everything), reader.labels(everything)
  if folder:
    _store(folder, images, labels)
  return images, labels
