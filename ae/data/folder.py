"""A folder of images as a dataset.

Layout: either `FOLDER/train/...` and `FOLDER/test/...` (used as given), or a
flat or nested folder whose files are split deterministically by a CRC32 of their
relative path (`test_percent` of them go to "test"). Images are converted to
gray ("L") or RGB and, when `image_size=(H, W)` is set, centre-cropped to that
aspect ratio and resized with a Lanczos filter; without it all images must share
one size.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from ae.data.image_file import read_image
from ae.data.imageset import IMAGE_SUFFIXES, ImageSet, folder_split_of
from ae.utils.errors import DatasetNotFoundError


def list_images(root: str) -> list[str]:
  """Image files under `root`, relative paths, sorted."""
  found = []
  for dirpath, _, files in os.walk(root):
    for f in files:
      if f.lower().endswith(IMAGE_SUFFIXES):
        found.append(os.path.relpath(os.path.join(dirpath, f), root))
  return sorted(found)


def _files_for_split(root: str, split: str, test_percent: int) -> list[str]:
  if os.path.isdir(os.path.join(root, "train")) and os.path.isdir(os.path.join(root, "test")):
    if not os.path.isdir(os.path.join(root, split)):
      raise DatasetNotFoundError(f"folder {root} has no '{split}' subfolder")
    return [os.path.join(split, f) for f in list_images(os.path.join(root, split))]
  return [f for f in list_images(root) if folder_split_of(f, test_percent) == split]


def center_crop_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
  """Crops the largest centred window of aspect H:W, then resizes to (H, W)."""
  h, w = size
  scale = min(image.width / w, image.height / h)
  cw, ch = round(w * scale), round(h * scale)
  left, top = (image.width - cw) // 2, (image.height - ch) // 2
  return image.crop((left, top, left + cw, top + ch)).resize((w, h), Image.Resampling.LANCZOS)


def load_folder(
  root: str,
  split: str,
  *,
  image_size: tuple[int, ...] = (),
  test_percent: int = 10,
  channels: int = 0,
) -> ImageSet:
  """Loads split `split` of the image folder `root`.

  Args:
    channels: 1 for gray, 3 for RGB, 0 to pick RGB if any file is in colour.
  """
  if not os.path.isdir(root):
    raise DatasetNotFoundError(f"image folder {root} does not exist")
  files = _files_for_split(root, split, test_percent)
  if not files:
    raise DatasetNotFoundError(f"image folder {root} has no images in split '{split}'")
  opened = [Image.open(os.path.join(root, f)) for f in files]
  if channels == 0:
    channels = 3 if any(im.mode not in ("L", "1", "I;16", "I", "LA") for im in opened) else 1
  mode = "L" if channels == 1 else "RGB"
  arrays = []
  for im in opened:
    im = im.convert(mode)
    if image_size:
      im = center_crop_resize(im, (int(image_size[0]), int(image_size[1])))
    arrays.append(np.asarray(im, np.uint8).reshape(im.height, im.width, channels))
  shapes = {a.shape for a in arrays}
  if len(shapes) > 1:
    raise DatasetNotFoundError(
      f"images in {root} have different sizes {sorted(shapes)[:3]}...; "
      "set --config.data.image_size=(H, W)"
    )
  return ImageSet(images=np.stack(arrays), labels=np.full((len(arrays),), -1, np.int32))


def read_folder(root: str) -> list[np.ndarray]:
  """Every image under `root` (sorted by relative path) at its own size, read as the
  command line reads an input (`image_file.read_image`: uint8 [H, W] or [H, W, 3];
  16-bit, float or transparent files refused with one line)."""
  if not os.path.isdir(root):
    raise DatasetNotFoundError(f"image folder {root} does not exist")
  return [read_image(os.path.join(root, f))[0] for f in list_images(root)]
