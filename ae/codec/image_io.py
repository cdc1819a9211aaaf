"""Images in and out of the command line: reading (`ae.data.image_file.read_image`, the
package's one reader) and writing outputs atomically in the format their name asks for.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from ae.data.image_file import MAX_PIXELS, read_image
from ae.utils import files
from ae.utils.errors import UserError

__all__ = ["MAX_PIXELS", "encode_image_file", "image_format", "read_image", "write_atomic"]


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
