"""Cutting an image into pieces and putting it back: the package's one tiling helper.

- `to_blocks` / `from_blocks`: non-overlapping blocks of a fixed size, the image
  edge-padded to a multiple of it (dense models trained on 28x28 images);
- `windows`: overlapping windows of a core TILE with MARGIN of context on each side,
  clipped at the image border (convolutional work in bounded memory);
- `spans`: the same cores along one side, read through windows of one size that lie
  inside the image (one compiled program for every window).
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


def spans(n: int, tile: int, margin: int) -> list[tuple[int, int, int]]:
  """(core start, core stop, window start) along one side of n pixels: cores of `tile`,
  each read through a window of min(n, tile + 2 margin) pixels that lies inside the
  image, with at least `margin` pixels of context on each side of its core except at the
  image's border (a short last core whose window would be its neighbour's joins that
  core). One window size, so one compiled program; inner windows start `margin` before
  their core (keeping the whole image's stride alignment when tile and margin are
  multiples of the model's), the last ends at n."""
  size = tile + 2 * margin
  if n <= size:
    return [(0, n, 0)]
  out: list[tuple[int, int, int]] = []
  for r in range(0, n, tile):
    start = min(max(r - margin, 0), n - size)
    if out and out[-1][2] == start:  # a short last core whose window is its neighbour's
      out[-1] = (out[-1][0], min(r + tile, n), start)
    else:
      out.append((r, min(r + tile, n), start))
  return out
