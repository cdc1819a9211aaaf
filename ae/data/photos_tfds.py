"""The offline photo set as a TFDS dataset (array_record, read without TensorFlow).

Each example is one whole photo of `ae.data.photos.manifest()`: `image` uint8
RGB [H, W, 3] in [0, 255] (a zlib-encoded Tensor, since sizes differ), `name`
and `source` (the package that ships the file). Splits "train" and "test" follow
the manifest. The builder config is named after a hash of the manifest, so
installing another wallpaper package prepares a new dataset instead of reusing
a stale one. Prepared once under the TFDS data dir (`data_dir` or TFDS's default).
"""

from __future__ import annotations

import hashlib

import numpy as np
import tensorflow_datasets as tfds

from ae.data import photos
from ae.utils.errors import DatasetNotFoundError


def manifest_key(entries: list[photos.Entry]) -> str:
  """A 10-hex-digit fingerprint of the manifest (names, sources, factors, splits)."""
  text = "\n".join(f"{e.name}|{e.source}|{e.downsample}|{e.split}" for e in entries)
  return "m" + hashlib.sha256(text.encode()).hexdigest()[:10]


class AePhotos(tfds.core.GeneratorBasedBuilder):
  """Photos from scikit-image, scikit-learn and Debian wallpaper packages."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Whole photos as zlib Tensor features, array_record."}

  def __init__(self, *, entries: list[photos.Entry], **kwargs):
    self._entries = entries
    super().__init__(config=tfds.core.BuilderConfig(name=manifest_key(entries)), **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
      builder=self,
      description="Offline photos; see ae.data.photos for sources and splits.",
      features=tfds.features.FeaturesDict(
        {
          "image": tfds.features.Tensor(shape=(None, None, 3), dtype=np.uint8, encoding="zlib"),
          "name": tfds.features.Text(),
          "source": tfds.features.Text(),
        }
      ),
    )

  def _split_generators(self, dl_manager):
    del dl_manager
    splits = [s for s in ("train", "test") if any(e.split == s for e in self._entries)]
    return {split: self._generate_examples(split) for split in splits}

  def _generate_examples(self, split: str):
    for i, e in enumerate(x for x in self._entries if x.split == split):
      yield f"{i:04d}", {"image": photos.read_photo(e), "name": e.name, "source": e.source}


def builder(data_dir: str | None = None) -> AePhotos:
  """The builder for the manifest of this machine, prepared (once)."""
  b = AePhotos(entries=photos.manifest(), data_dir=data_dir, file_format="array_record")
  b.download_and_prepare()
  return b


def load(split: str, data_dir: str | None = None) -> list[np.ndarray]:
  """The photos of `split` as uint8 RGB [H, W, 3], in manifest order."""
  b = builder(data_dir)
  if split not in b.info.splits:
    return []
  source = b.as_data_source(split=split)
  examples = source.__getitems__(list(range(len(source))))
  order = {e.name: i for i, e in enumerate(x for x in photos.manifest() if x.split == split)}
  examples = sorted(examples, key=lambda ex: order[_text(ex["name"])])
  return [np.asarray(ex["image"], np.uint8) for ex in examples]


def load_photos(split: str, data_dir: str | None = None) -> list[np.ndarray]:
  """The `split` photos as uint8 RGB [H, W, 3], in manifest order; DatasetNotFoundError
  when the split is empty."""
  images = load(split, data_dir)
  if not images:
    raise DatasetNotFoundError(f"the photo set has no '{split}' split")
  return images


def _text(value) -> str:
  return value.decode() if isinstance(value, bytes) else str(value)
