"""Cutting an image into pieces and putting it back: the package's one tiling helper.

- `to_blocks` / `from_blocks`: non-overlapping blocks of a fixed size, the image
  edge-padded to a multiple of it (dense models trained on 28x28 images);
- `windows`: overlapping windows of a core TILE with MARGIN of context on each side,
  clipped at the image border (convolutional work in bounded memory).
Arrays are channels last: [H, W, C].
"""

from __future__ import annotations

import numpy as np


def pad_to_multiple(x: np.ndarray, multiple_h: int, multiple_w: int) -> np.ndarray:
  """x [H, W, C] edge-padded at the bottom and right to multiples of (multiple_h, multiple_w)."""
  h, w = x.shape[:2]
  return np.pad(x, ((0, (-h) % multiple_h), (0, (-w) % multiple_w), (0, 0)), mode="edge")


def to_blocks(x: np.ndarray, block: tuple[int, int]) -> np.ndarray:
  """[H, W, C] -> [N, bh, bw, C], row-major over the grid of ceil(H/bh) x ceil(W/bw) blocks."""
  bh, bw = block
  xp = pad_to_multiple(x, bh, bw)
  gh, gw = xp.shape[0] // bh, xp.shape[1] // bw
  return xp.reshape(gh, bh, gw, bw, -1).transpose(0, 2, 1, 3, 4).reshape(gh * gw, bh, bw, -1)


def from_blocks(blocks: np.ndarray, h: int, w: int) -> np.ndarray:
  """The inverse of `to_blocks` for an H x W image: [N, bh, bw, C] -> [H, W, C]."""
  _, bh, bw, c = blocks.shape
  gh, gw = -(-h // bh), -(-w // bw)
  grid = blocks.reshape(gh, gw, bh, bw, c).transpose(0, 2, 1, 3, 4)
  return grid.reshape(gh * bh, gw * bw, c)[:h, :w]


def windows(h: int, w: int, tile: int, margin: int) -> list[tuple[slice, slice, slice, slice]]:
  """(core_rows, core_cols, read_rows, read_cols) for each tile of an H x W grid: the core
  slices cover the image once; the read slices add `margin` on each side, clipped to the
  image. Core relative to the read window: rows core.start - read.start onwards."""
  out = []
  for r in range(0, h, tile):
    for c in range(0, w, tile):
      core_r, core_c = slice(r, min(r + tile, h)), slice(c, min(c + tile, w))
      read_r = slice(max(r - margin, 0), min(r + tile + margin, h))
      read_c = slice(max(c - margin, 0), min(c + tile + margin, w))
      out.append((core_r, core_c, read_r, read_c))
  return out
