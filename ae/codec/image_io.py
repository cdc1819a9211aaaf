"""Reading images into uint8 arrays and writing outputs atomically.

`read_image` returns uint8 [H, W] (gray) or [H, W, 3] (RGB). Conversions are
explicit: each one it makes is returned as a note for the user; images it
cannot represent without losing information (transparency, 16-bit or float
samples) are refused with one line.
"""

from __future__ import annotations

import io
import os
import tempfile

import numpy as np
from PIL import Image, UnidentifiedImageError

from ae.errors import UserError

_CONVERT_TO_RGB = {"CMYK", "YCbCr", "LAB", "HSV", "RGBX"}
_HIGH_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def read_image(path: str) -> tuple[np.ndarray, list[str]]:
  """(uint8 image, notes about conversions made)."""
  try:
    with Image.open(path) as im:
      im.load()
      return _to_array(im, path)
  except FileNotFoundError as e:
    raise UserError(f"{path}: no such file") from e
  except IsADirectoryError as e:
    raise UserError(f"{path} is a directory, not an image") from e
  except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
    if isinstance(e, UserError):
      raise
    raise UserError(f"{path} is not an image this tool can read ({type(e).__name__})") from e


def _to_array(im: Image.Image, path: str) -> tuple[np.ndarray, list[str]]:
  notes = []
  if im.mode in _HIGH_DEPTH:
    raise UserError(f"{path} has {im.mode} samples (more than 8 bits); convert it to 8-bit gray "
                    "or RGB first")
  if im.mode == "1":
    im, _ = im.convert("L"), notes.append(f"{path}: converted 1-bit to 8-bit gray")
  if im.mode == "P":
    im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    notes.append(f"{path}: converted palette colours to RGB")
  if im.mode in ("LA", "PA", "RGBA"):
    alpha = np.asarray(im.getchannel("A"))
    if alpha.min() < 255:
      raise UserError(f"{path} has transparent pixels; flatten it onto a background first "
                      "(this codec stores gray or RGB, not alpha)")
    im = im.convert("L" if im.mode == "LA" else "RGB")
    notes.append(f"{path}: dropped an alpha channel that was fully opaque")
  if im.mode in _CONVERT_TO_RGB:
    im, _ = im.convert("RGB"), notes.append(f"{path}: converted {im.mode} to RGB")
  if im.mode not in ("L", "RGB"):
    raise UserError(f"{path} has pixel mode {im.mode}, which this tool does not read")
  return np.asarray(im, np.uint8).copy(), notes


def write_atomic(path: str, data: bytes) -> None:
  """Writes bytes to `path` through a temporary file in the same folder, then renames:
  a reader never sees a partial file and a failure leaves no output."""
  folder = os.path.dirname(os.path.abspath(path))
  if not os.path.isdir(folder):
    raise UserError(f"cannot write {path}: folder {folder} does not exist")
  fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)   # what open() would give, not mkstemp's 0600
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.unlink(tmp)
    raise


def encode_image_file(image: np.ndarray, path: str) -> bytes:
  """The bytes of `image` in the format of `path`'s extension (PNG if none is known)."""
  ext = os.path.splitext(path)[1].lower()
  fmt = Image.registered_extensions().get(ext)
  if fmt is None:
    raise UserError(f"cannot write {path}: unknown image extension '{ext}' (use .png)")
  buf = io.BytesIO()
  Image.fromarray(image).save(buf, format=fmt)
  return buf.getvalue()
