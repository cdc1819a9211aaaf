"""An image split in memory, and how folders of images are named and split."""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")


@dataclasses.dataclass(frozen=True)
class ImageSet:
  """A split held in memory: images uint8 [N, H, W, C] in [0, 255], labels int32 [N]."""

  images: np.ndarray
  labels: np.ndarray

  def __post_init__(self):
    if self.images.ndim != 4 or self.images.dtype != np.uint8:
      raise ValueError(
        f"images must be uint8 [N, H, W, C], got {self.images.dtype} {self.images.shape}"
      )
    if self.labels.shape != self.images.shape[:1]:
      raise ValueError("one label per image expected")

  def __len__(self) -> int:
    return int(self.images.shape[0])

  @property
  def image_shape(self) -> tuple[int, int, int]:
    return tuple(int(d) for d in self.images.shape[1:])  # type: ignore[return-value]


def folder_split_of(relative_path: str, test_percent: int) -> str:
  """Deterministic split of a file by a CRC32 of its relative path: 'train' or 'test'."""
  return "test" if zlib.crc32(relative_path.encode("utf-8")) % 100 < test_percent else "train"
