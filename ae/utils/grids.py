"""Deterministic image grids written with Pillow (same pixels, same PNG bytes on every run)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ae.utils import files


def to_uint8(images: np.ndarray) -> np.ndarray:
  """Float images in [0, 1] -> uint8 in [0, 255], rounded, values outside clipped."""
  return np.clip(np.round(np.asarray(images, np.float64) * 255.0), 0, 255).astype(np.uint8)


def image_grid(rows: list[np.ndarray], scale: int = 3, gutter: int = 2) -> Image.Image:
  """Tiles rows of images [n, H, W, C] (uint8 or [0, 1] floats) into one picture."""
  rows = [r if r.dtype == np.uint8 else to_uint8(r) for r in rows]
  n, h, w, c = rows[0].shape
  canvas = np.full((len(rows) * (h + gutter) + gutter, n * (w + gutter) + gutter, c), 255, np.uint8)
  for i, row in enumerate(rows):
    for j in range(n):
      top, left = gutter + i * (h + gutter), gutter + j * (w + gutter)
      canvas[top : top + h, left : left + w] = row[j]
  img = Image.fromarray(canvas[..., 0] if c == 1 else canvas)  # "L" or "RGB"
  return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)


def save_png(image: Image.Image, path: str) -> None:
  """Writes a PNG atomically (temporary name, then rename)."""
  files.save_image(image, path)
