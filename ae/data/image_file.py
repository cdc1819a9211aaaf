"""Reading an image file into a uint8 array: the one reader of the package.

`read_image` returns uint8 [H, W] (gray) or [H, W, 3] (RGB). Conversions are
explicit: each one it makes is returned as a note for the user; images it
cannot represent without losing information (transparency, 16-bit or float
samples) are refused with one line, and so are images of more than `max_pixels`
pixels (default MAX_PIXELS), before their pixels are decoded; of a multi-frame
file (animated GIF, multi-page TIFF) the first frame is read, with a note.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, UnidentifiedImageError

from ae.utils.errors import UserError

_CONVERT_TO_RGB = {"CMYK", "YCbCr", "LAB", "HSV", "RGBX"}
_HIGH_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")

MAX_PIXELS = 1 << 26  # 67 megapixels (8192 x 8192): the default guard against bombs


def read_image(path: str, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, list[str]]:
  """(uint8 image, notes about conversions made). Images of more than `max_pixels`
  pixels are refused before their pixels are decoded (decompression bombs)."""
  saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our limit decides, below
  try:
    with Image.open(path) as im:
      w, h = im.size
      if w * h > max_pixels:
        raise UserError(
          f"{path} is {w}x{h} = {w * h:,} pixels, more than the limit of "
          f"{max_pixels:,} (--max_pixels raises it)"
        )
      notes = []
      if getattr(im, "n_frames", 1) > 1:
        notes.append(f"{path}: has {im.n_frames} frames; only the first is used")
        im.seek(0)
      _refuse_high_depth(im, path)
      im.load()
      array, more = _to_array(im, path)
      return array, notes + more
  except FileNotFoundError as e:
    raise UserError(f"{path}: no such file") from e
  except IsADirectoryError as e:
    raise UserError(f"{path} is a directory, not an image") from e
  except Image.DecompressionBombError as e:
    raise UserError(
      f"{path} claims a size beyond Pillow's decompression-bomb limit; refused"
    ) from e
  except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
    if isinstance(e, UserError):
      raise
    if isinstance(e, PermissionError):
      raise UserError(f"cannot read {path}: permission denied") from e
    why = " ".join(str(e).split()) or type(e).__name__
    why = "not a format Pillow knows" if isinstance(e, UnidentifiedImageError) else why
    raise UserError(f"{path} is not an image this tool can read ({why})") from e
  finally:
    Image.MAX_IMAGE_PIXELS = saved


def _refuse_high_depth(im: Image.Image, path: str) -> None:
  """16-bit samples that Pillow would cut to 8 bits (16-bit RGB PNGs open as mode RGB)."""
  raw = [t[3][0] if isinstance(t[3], tuple) and t[3] else t[3] for t in (im.tile or [])]
  if any(isinstance(r, str) and ";16" in r for r in raw) or im.mode in _HIGH_DEPTH:
    raise UserError(
      f"{path} has 16-bit samples; convert it to 8-bit gray or RGB first "
      "(this tool codes 8 bits per sample)"
    )


def _to_array(im: Image.Image, path: str) -> tuple[np.ndarray, list[str]]:
  notes = []
  if im.mode in _HIGH_DEPTH:
    raise UserError(
      f"{path} has {im.mode} samples (more than 8 bits); convert it to 8-bit gray or RGB first"
    )
  if im.mode == "1":
    im, _ = im.convert("L"), notes.append(f"{path}: converted 1-bit to 8-bit gray")
  if im.mode == "P":
    im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    notes.append(f"{path}: converted palette colours to RGB")
  if im.mode in ("LA", "PA", "RGBA"):
    alpha = np.asarray(im.getchannel("A"))
    if alpha.min() < 255:
      raise UserError(
        f"{path} has transparent pixels; flatten it onto a background first "
        "(this codec stores gray or RGB, not alpha)"
      )
    im = im.convert("L" if im.mode == "LA" else "RGB")
    notes.append(f"{path}: dropped an alpha channel that was fully opaque")
  if im.mode in _CONVERT_TO_RGB:
    im, _ = im.convert("RGB"), notes.append(f"{path}: converted {im.mode} to RGB")
  if im.mode not in ("L", "RGB"):
    raise UserError(f"{path} has pixel mode {im.mode}, which this tool does not read")
  return np.asarray(im, np.uint8).copy(), notes
