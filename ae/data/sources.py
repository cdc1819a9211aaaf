"""Where images come from: what a data spec (`ae.data.specs`) names, loaded.

`train_source` serves training: a batch source of the Grain pipeline (`ae.data.stream`)
that streams the split, or holds it when small. `load_split` serves evaluation splits
(held in memory; they are small) and analysis: `ImageSet`, uint8 images [N, H, W, C] in
[0, 255] and int32 labels [N] (-1 when the source has none); conversion to float32 in
[0, 1] happens on the accelerator, inside the jitted step (`ae.data.pipeline.to_float`).
`eval_images` serves the evaluations: a list of whole uint8 images, [H, W] for gray sets
and [H, W, 3] for colour ones; a folder or Kodak spec is evaluated whole (every image in
it), the other kinds give the split asked for.
"""

from __future__ import annotations

import functools

import ml_collections
import numpy as np
import tensorflow_datasets as tfds
from absl import logging

from ae.data import crops, decoded, fashion_mnist, photos, photos_tfds, records, stream
from ae.data.defaults import data_config
from ae.data.folder import load_folder, read_folder
from ae.data.imageset import IMAGE_SUFFIXES, ImageSet, folder_split_of
from ae.data.specs import DataSpec, training_spec
from ae.utils.errors import ConfigError, DatasetNotFoundError, UserError

OFFLINE_BUILDERS = {"fashion_mnist": fashion_mnist.AeFashionMnist}


def load_split(data_config, split: str) -> ImageSet:
  """Loads one split of the dataset named by `data_config.name` into memory.

  Args:
    data_config: the `config.data` ConfigDict: `name` (a TFDS name, or `folder:PATH`,
      or `photos`: the offline photo set of `ae.data.photos`, served by TFDS),
      `data_dir`, `manual_dir`, `download`, and for folders `image_size` and
      `test_percent`.
    split: a split name, e.g. "train" or "test" (TFDS slicing like "train[:10%]"
      works for TFDS sources; TFDS splits are parsed once, then loaded from the decoded
      cache of `ae.data.decoded`).
  """
  spec = training_spec(data_config.name)
  if spec.kind in ("folder", "kodak"):
    return load_folder(
      spec.arg,
      split,
      image_size=tuple(data_config.get("image_size") or ()),
      test_percent=data_config.get("test_percent", 10),
      channels=data_config.get("channels", 0),
    )
  if spec.kind == "photos":
    images = photos_tfds.load_photos(
      "test" if split.startswith("test") else "train", _data_dir(data_config)
    )
    size = int(data_config.get("crop_size", 64))
    if split.startswith("test"):
      crops = photos.center_crops(images, int(data_config.get("eval_crop_size", 256)))
    else:
      crops = photos.random_crops(
        images,
        size,
        int(data_config.get("num_crops", 20000)),
        int(data_config.get("crop_seed", 0)),
        bool(data_config.get("rotate", False)),
      )
    if spec.gray or data_config.get("gray", False):
      crops = photos.to_gray(crops)
    return ImageSet(crops, np.full(len(crops), -1, np.int32))
  source = _tfds_source(data_config, split, spec.arg or spec.kind)
  images, labels = decoded.read_all(source, split, max(0, in_memory_limit(data_config)))
  return ImageSet(images=images, labels=labels)


def _data_dir(data_config) -> str | None:
  return data_config.get("data_dir") or None


def _tfds_source(data_config, split: str, name: str):
  """The TFDS data source of dataset `name` (Fashion-MNIST from its IDX files when present)."""
  data_dir = _data_dir(data_config)
  if name in OFFLINE_BUILDERS:
    manual_dir = data_config.get("manual_dir") or fashion_mnist.DEBIAN_DIR
    missing = fashion_mnist.missing_files(manual_dir)
    if not missing:
      builder = OFFLINE_BUILDERS[name](data_dir=data_dir, file_format="array_record")
      if not builder.is_prepared():
        logging.info("Preparing %s from %s into %s (once).", name, manual_dir, builder.data_dir)
      builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=manual_dir)
      )
      return builder.as_data_source(split=split)
    logging.info("No IDX files for %s in %s; trying TFDS's own builder.", name, manual_dir)
  try:
    return tfds.data_source(
      name,
      split=split,
      data_dir=data_dir,
      download=bool(data_config.get("download", True)),
      builder_kwargs={"file_format": "array_record"},
    )
  except Exception as e:  # TFDS raises many types: not registered, no network, bad split.
    hint = (
      f"; for offline use, {fashion_mnist.HOW_TO_GET}"
      if name in OFFLINE_BUILDERS
      else f"; prepare it where there is network with `tfds build {name} "
      f"--file_format=array_record` and copy it to the TFDS data dir"
    )
    first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    raise DatasetNotFoundError(
      f"dataset '{name}' split '{split}' is not available ({first_line}){hint}"
    ) from e


def load_image_list(data_config, split: str) -> list[np.ndarray]:
  """The images of a TFDS split as a list of uint8 [H, W, C], for sets whose images
  differ in size (e.g. `clic`), which `load_split` cannot stack."""
  source = _tfds_source(data_config, split, training_spec(data_config.name).arg or data_config.name)
  examples = source.__getitems__(list(range(len(source)))) if len(source) else []
  if examples and "image" not in examples[0]:
    raise DatasetNotFoundError(f"dataset has no 'image' feature (features: {sorted(examples[0])})")
  images = [np.asarray(e["image"], np.uint8) for e in examples]
  return [im[..., None] if im.ndim == 2 else im for im in images]


def data_config_for(spec: DataSpec) -> ml_collections.ConfigDict:
  """`config.data` (the library's defaults) naming `spec`; TFDS sets are not downloaded."""
  data = data_config(str(spec))
  data.download = spec.kind != "tfds"
  data.gray = spec.gray
  return data


def eval_images(spec: DataSpec, split: str = "test", max_images: int = 0) -> list[np.ndarray]:
  """Whole uint8 images of `spec` (see the module docstring), the first `max_images` when
  > 0; UserError when there are none."""
  if spec.kind == "fashion_mnist":
    images = list(load_split(data_config_for(spec), split).images[: max_images or None])
  elif spec.kind == "photos":
    images = photos_tfds.load_photos("test" if split.startswith("test") else "train")
    images = [photos.to_gray(im) for im in images] if spec.gray else images
  elif spec.kind in ("folder", "kodak"):
    images = read_folder(spec.arg)
  else:
    images = load_image_list(data_config_for(spec), split)
  images = [im[..., 0] if im.ndim == 3 and im.shape[2] == 1 else im for im in images]
  if not images:
    raise UserError(f"data set '{spec}' has no images")
  return images[: max_images or None]


DEFAULT_CACHE_MB = 1024


def in_memory_limit(data_config) -> int:
  """Bytes of uint8 pixels up to which a training split is read whole into memory:
  `data.cache_mb` MiB (0: DEFAULT_CACHE_MB; < 0: always stream)."""
  mb = int(data_config.get("cache_mb", 0) or 0)
  return -1 if mb < 0 else (mb or DEFAULT_CACHE_MB) << 20


def train_source(data_config, batch_size: int, data_key) -> stream.BatchSource:
  """The training split of `data_config` as a batch source of `ae.data.stream`: photo
  crops drawn on the fly, or a TFDS split streamed from its records (read whole into
  memory when its pixels fit `in_memory_limit`), or a folder in memory; batches in the
  order of `ae.data.pipeline.BatchSchedule(data_key)`."""
  spec = training_spec(data_config.name)
  split = data_config.train_split
  if float(data_config.get("chroma", 0.0)) and spec.kind != "photos":
    raise ConfigError(f"data.chroma is for gray photo crops, not data.name={data_config.name}")
  if spec.kind == "photos":
    return crops.RandomCrops(
      functools.partial(photos_tfds.load_photos, "train", _data_dir(data_config)),
      int(data_config.get("crop_size", 64)),
      int(data_config.get("num_crops", 20000)),
      int(data_config.get("crop_seed", 0)),
      bool(data_config.get("rotate", False)),
      bool(spec.gray or data_config.get("gray", False)),
      float(data_config.get("chroma", 0.0)),
      data_config.get("candidates", 1),
    )
  if spec.kind in ("folder", "kodak"):
    images = load_split(data_config, split).images
    return stream.ShuffledImages(stream.InMemory(images), images.shape[1:], batch_size, data_key)
  source = _tfds_source(data_config, split, spec.arg or spec.kind)
  reader = records.RecordImages(source)
  shape = reader.fixed_shape or reader.read([0]).shape[1:]
  shape = (*shape, 1) if len(shape) == 2 else tuple(shape)
  if len(reader) * int(np.prod(shape)) <= in_memory_limit(data_config):
    reader = stream.InMemory(decoded.read_all(source, split, in_memory_limit(data_config))[0])
  return stream.ShuffledImages(reader, shape, batch_size, data_key)


__all__ = [
  "IMAGE_SUFFIXES",
  "ImageSet",
  "data_config_for",
  "eval_images",
  "folder_split_of",
  "load_image_list",
  "load_split",
  "train_source",
]
