"""A lossy file's latent symbols: made from an image's latents (encoder) or read from the
file's streams (decoder), both through the same exact fixed-point computation.

Latents become integer symbols around fixed-point offsets: factorized latents around
the tables' channel medians; a hyperprior's y around the means its integer
hyper-synthesis predicts, with the table index from the predicted scale; a channel
codec's y slice by slice, each slice's mean and scale predicted from the slices decoded
before it, a checkerboard codec's anchors then the rest (`transforms.Program.decode_y`).
The encoder runs the decoder's own integer arithmetic to choose means and tables, so the
indices agree on every machine.

Fixed-point values are integer-valued float64 at scale 2^-FRAC (`fixed_point`).
Streams, in file order: ["y"] for factorized codecs, ["z", "y"] for hyperpriors,
["z", "y" slice 0, ..., "y" slice S-1] for channel codecs, ["z", "y" anchors, "y" rest]
for checkerboard codecs (`arch.stream_shapes`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ae.codec import bitstream, coder
from ae.codec import fixed_point as fx
from ae.compression.arch import stream_shapes

Stream = tuple[np.ndarray, np.ndarray, dict]  # (symbols, table index, tables)


def bounded(symbols: np.ndarray, offset: np.ndarray) -> np.ndarray:
  """Symbols limited so that symbol * 2^FRAC + offset stays within the decoder's clip range
  (reached only by absurd latents; the decoder refuses files beyond it as corrupt)."""
  bound = fx.CLIP * 2.0**fx.FRAC
  lo = np.ceil((-bound - offset) * 2.0**-fx.FRAC)
  hi = np.floor((bound - offset) * 2.0**-fx.FRAC)
  return np.clip(symbols, lo, hi).astype(np.int64)


def channel_index(shape: tuple[int, ...]) -> np.ndarray:
  return np.broadcast_to(np.arange(shape[-1]), shape)


def fixed_scale_index(scale: np.ndarray, scale_table: np.ndarray) -> np.ndarray:
  """Table index of fixed-point scales [...]: the smallest table scale >= scale, compared as
  exact integers (the decoder's choice; `ae.compression.tables.scale_index` is its float
  twin for training-side estimates)."""
  thresholds = np.ceil(np.asarray(scale_table, np.float64) * 2.0**fx.FRAC)
  return np.minimum(np.searchsorted(thresholds, scale, "left"), len(thresholds) - 1)


def min_bits(tables: dict) -> np.ndarray:
  """[T]: the fewest bits a symbol can cost under each table, -log2 of its largest
  probability (integer CDFs of ae.compression.tables)."""
  cdf, length = tables["cdf"].astype(np.int64), tables["cdf_length"].astype(np.int64)
  steps = np.diff(cdf, axis=1)
  steps = np.where(np.arange(steps.shape[1])[None] < (length[:, None] - 1), steps, 0)
  total = cdf[np.arange(len(cdf)), length - 1]
  return -np.log2(steps.max(axis=1) / total)


def factorized(values: np.ndarray, tables: dict) -> tuple[np.ndarray, np.ndarray]:
  """(symbols round(v - offset) [..., C], fixed-point latents symbol * 2^FRAC + offset)."""
  off = fx.to_fixed(tables["offset"])
  sym = bounded(np.round(values - off * 2.0**-fx.FRAC), off)
  return sym, sym * 2.0**fx.FRAC + off


def _conditional(codec, z_hat: np.ndarray, y_shape, symbols_for: Callable) -> np.ndarray:
  """Fixed-point y_hat [h, w, M] given the fixed-point z_hat, with
  symbols_for(i, mean, table index) giving stream i's symbols."""
  table = codec.exported.tables["y"]["scale_table"]
  features = codec.program.hyper_synthesis(z_hat, y_shape)
  return codec.program.decode_y(
    features, lambda i, mean, scale: symbols_for(i, mean, fixed_scale_index(scale, table))
  )


def from_latents(codec, y: np.ndarray, z: np.ndarray | None) -> tuple[list[Stream], np.ndarray]:
  """Encoder: (each stream's (symbols, table index, tables), the decoder's fixed-point
  y_hat) of float latents y [.., M] (and z [h', w', N] for hyperpriors)."""
  tables = codec.exported.tables
  if not codec.program.arch.hyper:
    sym, y_hat = factorized(y, tables["y"])
    return [(sym, channel_index(sym.shape), tables["y"])], y_hat
  z_sym, z_hat = factorized(z, tables["z"])
  streams: list[Stream] = [(z_sym, channel_index(z_sym.shape), tables["z"])]
  parts = codec.program.y_parts(y)

  def round_y(i, mean, index):
    sym = bounded(np.round(parts[i] - mean * 2.0**-fx.FRAC), mean)
    streams.append((sym, index, tables["y"]))
    return sym

  return streams, _conditional(codec, z_hat, y.shape, round_y)


def _check_capacity(name: str, stream: bytes, need_bits: float) -> None:
  """Refuses a stream too short for the symbols it must hold: ANS spends at least each
  symbol's information content, plus at most a 64-bit state."""
  if need_bits > 8 * len(stream) + 64:
    raise bitstream.BitstreamError(
      f"refused: the {name} symbols need at least {need_bits / 8:,.0f} bytes and the file "
      f"has {len(stream):,} (a corrupt or hostile header)"
    )


def _in_range(fixed: np.ndarray) -> np.ndarray:
  """Fixed-point latents as read, refused (BitstreamError) beyond the clip range: the
  encoder's symbols never leave it (`bounded`), and beyond it the integer networks'
  exact-sum bound (`fixed_point.check_range`) would not hold."""
  if np.abs(fixed).max(initial=0) > fx.CLIP * 2.0**fx.FRAC:
    raise bitstream.BitstreamError("the file is corrupted (latents out of range)")
  return fixed


def from_streams(codec, h: int, w: int, streams: list[bytes]) -> np.ndarray:
  """Decoder: the fixed-point y_hat of an H x W image's file streams (coder.CodingError on
  a corrupt stream, BitstreamError on one too short for its symbols or out of range)."""
  tables, arch = codec.exported.tables, codec.program.arch
  shapes = arch.latent_shapes(h, w)
  if not arch.hyper:
    index = channel_index(shapes["y"])
    sym = coder.decode(streams[0], index, tables["y"])
    return _in_range(factorized_hat(sym, tables["y"], shapes["y"]))
  z_sym = coder.decode(streams[0], channel_index(shapes["z"]), tables["z"])
  z_hat = _in_range(factorized_hat(z_sym, tables["z"], shapes["z"]))

  def read_y(i, mean, index):
    _check_capacity("y", streams[1 + i], float(min_bits(tables["y"])[index].sum()))
    sym = coder.decode(streams[1 + i], index, tables["y"]).reshape(index.shape)
    _in_range(sym * 2.0**fx.FRAC + mean)
    return sym

  return _conditional(codec, z_hat, shapes["y"], read_y)


def factorized_hat(sym: np.ndarray, tables: dict, shape) -> np.ndarray:
  """Fixed-point latents of decoded factorized symbols, [*shape]."""
  return sym.reshape(shape) * 2.0**fx.FRAC + fx.to_fixed(tables["offset"])


def implausible_streams(codec, h: int, w: int, streams: list[bytes]) -> str | None:
  """Why an H x W header's streams cannot hold its latent symbols, or None: each symbol
  costs at least its tables' minimum bits; ANS adds at most a 64-bit state per stream."""
  shapes = stream_shapes(codec.program.arch, h, w)
  if len(streams) != len(shapes):
    return "wrong number of streams for its codec"
  hyper = codec.program.arch.hyper
  for (name, shape), stream in zip(shapes, streams):
    bits = min_bits(codec.exported.tables[name])
    # Factorized latents use one table per channel; conditional ones at least the cheapest.
    per_pixel = bits.sum() if name == "z" or not hyper else bits.min() * shape[-1]
    need = int(np.prod(shape[:-1])) * float(per_pixel)
    if need > 8 * len(stream) + 64:
      return (
        f"its {int(np.prod(shape)):,} {name} symbols need at least {need / 8:,.0f} bytes, "
        f"the stream has {len(stream):,}"
      )
  return None
