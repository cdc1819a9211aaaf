"""The one tiling helper: blocks round-trip, windows cover the image once with context."""

import numpy as np
import pytest

from ae.utils import tiles


@pytest.mark.parametrize("h,w", [(28, 28), (30, 57), (1, 3)])
def test_blocks_round_trip_with_edge_padding(h, w):
  x = np.random.default_rng(0).integers(0, 256, (h, w, 2)).astype(np.uint8)
  blocks = tiles.to_blocks(x, (28, 28))
  assert blocks.shape == (-(-h // 28) * -(-w // 28), 28, 28, 2)
  assert np.array_equal(blocks[0, :h, :w][: min(h, 28), : min(w, 28)], x[:28, :28])
  assert np.array_equal(blocks[0, -1, -1], x[min(h, 28) - 1, min(w, 28) - 1])  # edge value
  assert np.array_equal(tiles.from_blocks(blocks, h, w), x)


def test_windows_cover_every_cell_once_and_read_their_margin():
  h, w, tile, margin = 23, 17, 8, 3
  count = np.zeros((h, w), int)
  for core_r, core_c, read_r, read_c in tiles.windows(h, w, tile, margin):
    count[core_r, core_c] += 1
    assert read_r == slice(max(core_r.start - margin, 0), min(core_r.stop + margin, h))
    assert read_c == slice(max(core_c.start - margin, 0), min(core_c.stop + margin, w))
  assert np.all(count == 1)
