"""The context of y in the codecs that code it in several passes: what each pass's
networks are, and which latents each pass holds.

- channel-conditional (Minnen and Singh 2020, "Channel-wise autoregressive entropy models
  for learned image compression"): y in S channel slices, one `SliceNets` each;
- checkerboard (He et al. 2021, "Checkerboard context model for efficient learned image
  compression"): y's anchors (row + column even), then the rest, corrected by
  `ContextNets` over the decoded anchors.

`ae.compression.arch` attaches them to mbt2018-mean's transforms. Python and numpy only.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ae.compression.layer_spec import HALF_SOFTSIGN, RELU, Layer, Transform, conv
from ae.utils.errors import ConfigError

# A file holds z and one stream per slice of y: `ae.codec.bitstream.MAX_STREAMS` - 1.
MAX_SLICES = 7


@dataclasses.dataclass(frozen=True)
class SliceNets:
  """The networks of one slice of a channel-conditional y (Minnen and Singh 2020): its
  mean from h_s's mean features and the slices before it, its scale likewise from the
  scale features, and its latent residual prediction from the mean features, the slices
  before it and its own rounded value."""

  mean: Transform
  scale: Transform
  lrp: Transform


@dataclasses.dataclass(frozen=True)
class ContextNets:
  """The checkerboard context of y (He et al. 2021): corrections to h_s's mean and scale of
  the non-anchor latents, from h_s's mean (scale) features and the decoded anchors (zero at
  the non-anchor positions, so a plain convolution sees only anchors)."""

  mean: Transform
  scale: Transform


def checkerboard(h: int, w: int) -> np.ndarray:
  """[h, w] bool numpy array, True at the anchors: (row + column) even (He et al. 2021)."""
  return (np.add.outer(np.arange(h), np.arange(w)) % 2) == 0


def anchor_count(h: int, w: int) -> int:
  """How many of an h x w grid's positions are anchors: ceil(h/2) ceil(w/2) + floor both."""
  return -(-h // 2) * -(-w // 2) + (h // 2) * (w // 2)


def _slice_net(scope: str, widths: tuple[int, int], out: int, last: tuple[Layer, ...] = ()):
  """conv3x3 -> ReLU -> conv3x3 -> ReLU -> conv3x3 (`out` channels), then `last`."""
  layers = (conv("conv_0", widths[0], 3), RELU, conv("conv_1", widths[1], 3), RELU)
  return Transform(scope, (*layers, conv("conv_2", out, 3), *last))


def slice_nets(m: int, count: int) -> tuple[SliceNets, ...]:
  """The networks of `count` slices of M / count channels each (ConfigError unless count
  divides M and a file can hold them)."""
  if count < 1 or m % count:
    raise ConfigError(f"model.slices={count} must divide model.m={m}")
  if count > MAX_SLICES:
    raise ConfigError(f"model.slices={count}: a file holds at most {MAX_SLICES} slices")
  widths = (m, max(m * 2 // 3, m // count))
  return tuple(
    SliceNets(
      _slice_net(f"cc_mean_{i}", widths, m // count),
      _slice_net(f"cc_scale_{i}", widths, m // count),
      _slice_net(f"lrp_{i}", widths, m // count, (HALF_SOFTSIGN,)),
    )
    for i in range(count)
  )


def context_nets(m: int) -> ContextNets:
  """conv5x5 -> ReLU -> conv1x1 -> ReLU -> conv1x1 (starting at zero, so that a codec
  started from an mbt2018-mean one codes as it did), for the means and for the scales."""

  def net(scope: str) -> Transform:
    layers = (conv("conv_0", m, 5), RELU, conv("conv_1", m, 1), RELU)
    return Transform(scope, (*layers, conv("conv_2", m, 1, zero_init=True)))

  return ContextNets(net("ctx_mean"), net("ctx_scale"))
