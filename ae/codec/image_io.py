"""Images in and out of the command line: reading (`ae.data.image_file.read_image`, the
package's one reader), batches for lossless files (one `.npy` array or several images),
and writing outputs atomically in the format their name asks for.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from ae.data.image_file import MAX_PIXELS, read_image
from ae.utils import files
from ae.utils.errors import UserError

__all__ = [
  "MAX_PIXELS",
  "batch_paths",
  "encode_image_file",
  "encode_npy",
  "image_format",
  "read_batch",
  "read_image",
  "write_atomic",
]


def write_atomic(path: str, data: bytes) -> None:
  """Writes bytes to `path` atomically (`ae.utils.files.write_bytes`)."""
  files.write_bytes(path, data)


def image_format(path: str) -> str:
  """Pillow's format name for `path`'s extension; UserError if it has none."""
  ext = os.path.splitext(path)[1].lower()
  fmt = Image.registered_extensions().get(ext)
  if fmt is None:
    raise UserError(f"cannot write {path}: unknown image extension '{ext}' (use .png)")
  return fmt


def encode_image_file(image: np.ndarray, path: str) -> bytes:
  """The bytes of `image` in the format of `path`'s extension."""
  buf = io.BytesIO()
  try:
    Image.fromarray(image).save(buf, format=image_format(path))
  except (OSError, ValueError, KeyError) as e:
    raise UserError(f"cannot write {path} as {image_format(path)} ({e})") from e
  return buf.getvalue()


def read_batch(paths: list[str], max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, list[str]]:
  """Images of one size for a lossless batch: one `.npy` file of uint8 [N, H, W(, C)], or
  image files -> (uint8 [N, H, W(, C)], notes)."""
  if len(paths) == 1 and paths[0].lower().endswith(".npy"):
    try:
      array = np.load(paths[0], allow_pickle=False)
    except (OSError, ValueError) as e:
      raise UserError(f"{paths[0]} is not a readable .npy array ({e})") from e
    if array.dtype != np.uint8 or array.ndim not in (3, 4):
      raise UserError(
        f"{paths[0]}: need uint8 [N, H, W] or [N, H, W, C], got {array.dtype} {array.shape}"
      )
    return array, []
  images, notes = [], []
  for path in paths:
    image, n = read_image(path, max_pixels)
    images.append(image)
    notes += n
  if len({im.shape for im in images}) != 1:
    raise UserError("the images of one batch must all have the same size and colour mode")
  return np.stack(images), notes


def batch_paths(output: str, count: int) -> list[str]:
  """Where N decoded images go: `output` itself for one image, else OUTPUT's stem with a
  4-digit index (out.png -> out-0000.png, out-0001.png, ...)."""
  if count == 1:
    return [output]
  stem, ext = os.path.splitext(output)
  return [f"{stem}-{i:04d}{ext}" for i in range(count)]


def encode_npy(array: np.ndarray) -> bytes:
  buf = io.BytesIO()
  np.save(buf, array, allow_pickle=False)
  return buf.getvalue()
