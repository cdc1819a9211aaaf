"""`compress(image) -> bytes` and `decompress(bytes) -> image`, for any size.

Images are uint8 arrays [H, W] (gray) or [H, W, 3] (RGB) on the [0, 255] scale.
Block codecs (the dense Fashion-MNIST codec, 28x28) tile the image, edge-padded
to whole blocks; convolutional codecs edge-pad to a multiple of 16. Decoding
crops back to H x W. A gray image given to an RGB codec is coded as three equal
channels and decoded to the rounded channel mean.

Latents become integer symbols around fixed-point offsets: the factorized
latents around the tables' channel medians, the hyperprior's y around the
predicted means, with the table index from the predicted scale; everything the
decoder computes runs in exact fixed point (`transforms`), so the encoder's
indices and the decoder's agree on every machine. Streams: ["y"] for factorized
codecs, ["z", "y"] for hyperpriors. Lossless codecs (bits-back VAEs) code batches of
images: `ae.codec.lossless`; here they take and give one image.
"""

from __future__ import annotations

import numpy as np

from ae.codec import bitstream, coder, lossless, registry
from ae.codec import fixed_point as fx
from ae.codec.registry import Codec
from ae.compression.arch import PAD_MULTIPLE
from ae.utils import tiles
from ae.utils.errors import UserError

MAX_PIXELS = 1 << 26  # 67 megapixels: the default limit on a decoded image (as image_io's)


class ImageError(UserError):
  pass


def check_image(image: np.ndarray) -> np.ndarray:
  """Returns image as uint8 [H, W, C], C in {1, 3}; refuses anything else with one line."""
  image = np.asarray(image)
  if image.dtype != np.uint8:
    raise ImageError(
      f"expected 8-bit pixels (uint8), got {image.dtype}; convert 16-bit or float "
      "images to 8 bits first"
    )
  if image.ndim == 2:
    image = image[..., None]
  if image.ndim != 3 or image.shape[2] not in (1, 3) or 0 in image.shape:
    raise ImageError(f"expected a gray [H, W] or RGB [H, W, 3] image, got shape {image.shape}")
  return image


def _bounded(symbols: np.ndarray, offset: np.ndarray) -> np.ndarray:
  """Symbols limited so that symbol * 2^FRAC + offset stays within the decoder's clip range
  (reached only by absurd latents; the decoder refuses files beyond it as corrupt)."""
  bound = fx.CLIP * 2.0**fx.FRAC
  lo = np.ceil((-bound - offset) * 2.0**-fx.FRAC)
  hi = np.floor((bound - offset) * 2.0**-fx.FRAC)
  return np.clip(symbols, lo, hi).astype(np.int64)


def _factorized_symbols(y: np.ndarray, tables: dict) -> tuple[np.ndarray, np.ndarray]:
  """Symbols round(y - offset) [..., C] and the fixed-point offsets [C]."""
  off = fx.to_fixed(tables["offset"])
  return _bounded(np.round(y - off * 2.0**-fx.FRAC), off), off


def _channel_index(shape: tuple[int, ...]) -> np.ndarray:
  return np.broadcast_to(np.arange(shape[-1]), shape)


def fixed_scale_index(scale: np.ndarray, scale_table: np.ndarray) -> np.ndarray:
  """Table index of fixed-point scales [...]: the smallest table scale >= scale, compared as
  exact integers (the decoder's choice; `ae.compression.tables.scale_index` is its float
  twin for training-side estimates)."""
  thresholds = np.ceil(np.asarray(scale_table, np.float64) * 2.0**fx.FRAC)
  return np.minimum(np.searchsorted(thresholds, scale, "left"), len(thresholds) - 1)


def _latent_shapes(codec: Codec, h: int, w: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
  """Shapes of y and z (z empty for factorized codecs) for an H x W image, as the codec's
  architecture declares them."""
  shapes = codec.program.arch.latent_shapes(h, w)
  return shapes["y"], shapes.get("z", ())


def _refined(
  image: np.ndarray, codec: Codec, refine_steps: int
) -> tuple[np.ndarray, np.ndarray | None]:
  """(y, z or None) after `refine_steps` steps of latent refinement (ae.codec.refine)."""
  # jax and optax, loaded only when refinement is asked for: decoding stays numpy.
  from ae.codec.refine import refine_latents  # pylint: disable=g-import-not-at-top  # jax only with --refine_steps

  latents = refine_latents(codec, image, refine_steps)
  return latents["y"], latents.get("z")


def symbolize(
  image: np.ndarray, codec: Codec, refine_steps: int = 0
) -> tuple[bitstream.Header, list[tuple]]:
  """The header and, per stream, (symbols, table index, tables) of a uint8 image; with
  `refine_steps` > 0 the latents are first refined for this image (convolutional codecs)."""
  if codec.lossless:
    raise UserError(f"codec {codec.name} is lossless: it has no latent symbols to quantize")
  image = check_image(image)
  h, w, c = image.shape
  if c != codec.channels:
    if codec.channels == 1:
      raise ImageError(
        f"codec '{codec.name}' codes gray images and this image is RGB; convert it "
        "to gray or choose an RGB codec (`ae codecs`)"
      )
    image = np.repeat(image, 3, axis=2)
  p, tables = codec.program, codec.exported.tables
  header = bitstream.Header(bytes.fromhex(codec.sha256[: 2 * bitstream.ID_BYTES]), h, w, c)
  z = None
  if refine_steps > 0:
    y, z = _refined(image, codec, refine_steps)
  elif p.kind == "dense":
    y = p.analysis(tiles.to_blocks(image, p.block).astype(np.float32) / 255.0)
  else:
    y = p.analysis(
      tiles.pad_to_multiple(image, PAD_MULTIPLE, PAD_MULTIPLE).astype(np.float32) / 255.0
    )
  if p.kind != "hyperprior":
    sym, _ = _factorized_symbols(y, tables["y"])
    return header, [(sym, _channel_index(sym.shape), tables["y"])]
  z = p.hyper_analysis(y) if z is None else z
  z_sym, z_off = _factorized_symbols(z, tables["z"])
  mean, scale = p.hyper_synthesis(z_sym * 2.0**fx.FRAC + z_off, y.shape)
  y_sym = _bounded(np.round(y - mean * 2.0**-fx.FRAC), mean)
  return header, [
    (z_sym, _channel_index(z_sym.shape), tables["z"]),
    (y_sym, fixed_scale_index(scale, tables["y"]["scale_table"]), tables["y"]),
  ]


def stream_bits(image: np.ndarray, codec: Codec) -> list[float]:
  """Information content in bits of each stream under the frozen tables (escapes included)."""
  _, streams = symbolize(image, codec)
  return [coder.estimated_bits(*s) for s in streams]


def encode(image: np.ndarray, codec: Codec, refine_steps: int = 0) -> bytes:
  """The .ae file of a uint8 image [H, W(, C)] under `codec` (latents refined for
  `refine_steps` steps first when > 0; any decoder reads the file the same way)."""
  if codec.lossless:
    if refine_steps:
      raise UserError(f"codec {codec.name} is lossless: --refine_steps does not apply")
    return lossless.encode_images(np.asarray(image)[None], codec)
  header, streams = symbolize(image, codec, refine_steps)
  return bitstream.pack(header, [coder.encode(*s) for s in streams])


def reconstruct(
  codec: Codec, header: bitstream.Header, symbols: list[np.ndarray], mean: np.ndarray | None = None
) -> np.ndarray:
  """The uint8 image the decoder makes from a file's decoded symbols (stream order), exactly;
  `mean` is the hyperprior's fixed-point mean of y when already computed."""
  p, tables = codec.program, codec.exported.tables
  y_shape, z_shape = _latent_shapes(codec, header.height, header.width)
  if z_shape:
    z_hat = symbols[0].reshape(z_shape) * 2.0**fx.FRAC + fx.to_fixed(tables["z"]["offset"])
    if mean is None:
      mean, _ = p.hyper_synthesis(z_hat, y_shape)
    y_hat = symbols[1].reshape(y_shape) * 2.0**fx.FRAC + mean
  else:
    y_hat = symbols[0].reshape(y_shape) * 2.0**fx.FRAC + fx.to_fixed(tables["y"]["offset"])
  if np.abs(y_hat).max(initial=0) > fx.CLIP * 2.0**fx.FRAC:
    raise bitstream.BitstreamError("the file is corrupted (latents out of range)")
  pixels = p.synthesis(y_hat)
  out = (
    tiles.from_blocks(pixels, header.height, header.width)
    if p.kind == "dense"
    else pixels[: header.height, : header.width]
  )
  if header.channels == 3:
    return out
  if out.shape[2] == 1:
    return out[..., 0]
  return ((out.astype(np.int32).sum(2) + 1) // 3).astype(np.uint8)


def encode_and_predict(
  image: np.ndarray, codec: Codec, refine_steps: int = 0
) -> tuple[bytes, np.ndarray]:
  """The .ae file and the image the encoder predicts any decoder will produce from it."""
  header, streams = symbolize(image, codec, refine_steps)
  data = bitstream.pack(header, [coder.encode(*s) for s in streams])
  return data, reconstruct(codec, header, [s[0] for s in streams])


def min_bits(tables: dict) -> np.ndarray:
  """[T]: the fewest bits a symbol can cost under each table, -log2 of its largest
  probability (integer CDFs of ae.compression.tables)."""
  cdf, length = tables["cdf"].astype(np.int64), tables["cdf_length"].astype(np.int64)
  steps = np.diff(cdf, axis=1)
  steps = np.where(np.arange(steps.shape[1])[None] < (length[:, None] - 1), steps, 0)
  total = cdf[np.arange(len(cdf)), length - 1]
  return -np.log2(steps.max(axis=1) / total)


def _check_capacity(name: str, stream: bytes, need_bits: float) -> None:
  """Refuses a stream too short for the symbols it must hold: ANS spends at least each
  symbol's information content, plus at most a 64-bit state."""
  if need_bits > 8 * len(stream) + 64:
    raise bitstream.BitstreamError(
      f"refused: the {name} symbols need at least {need_bits / 8:,.0f} bytes and the file "
      f"has {len(stream):,} (a corrupt or hostile header)"
    )


def implausible(
  header: bitstream.Header, streams: list[bytes], codec: Codec, max_pixels: int = MAX_PIXELS
) -> str | None:
  """Why a header cannot be true, or None: more pixels than `max_pixels`, or more latent
  symbols than its streams can hold (each symbol costs at least the tables' minimum bits;
  ANS adds at most a 64-bit state per stream)."""
  pixels = header.height * header.width
  if codec.lossless:
    try:
      pixels *= lossless.batch_size(header, streams, codec)[0]
    except bitstream.BitstreamError as e:
      return str(e)
  if pixels > max_pixels:
    return (
      f"{header.width}x{header.height} = {pixels:,} pixels is more than the limit of "
      f"{max_pixels:,} (max_pixels raises it)"
    )
  if codec.lossless:
    return None
  y_shape, z_shape = _latent_shapes(codec, header.height, header.width)
  shapes = [z_shape, y_shape] if z_shape else [y_shape]
  names = ["z", "y"] if z_shape else ["y"]
  if len(streams) != len(shapes):
    return "wrong number of streams for its codec"
  for name, shape, stream in zip(names, shapes, streams):
    bits = min_bits(codec.exported.tables[name])
    # Factorized latents use one table per channel; conditional ones at least the cheapest.
    per_pixel = bits.sum() if name == "z" or not z_shape else bits.min() * shape[-1]
    need = int(np.prod(shape[:-1])) * float(per_pixel)
    if need > 8 * len(stream) + 64:
      return (
        f"its {int(np.prod(shape)):,} {name} symbols need at least {need / 8:,.0f} bytes, "
        f"the stream has {len(stream):,}"
      )
  return None


def _refuse_implausible(header, streams: list[bytes], codec: Codec, max_pixels: int) -> None:
  doubt = implausible(header, streams, codec, max_pixels)
  if doubt:
    raise bitstream.BitstreamError(f"refused: {doubt}")


def decode(data: bytes, codec: Codec | None = None, max_pixels: int = MAX_PIXELS) -> np.ndarray:
  """The uint8 image [H, W] or [H, W, 3] of an .ae file. Headers that claim more than
  `max_pixels` pixels, or more symbols than the payload can hold, are refused before
  any allocation (decompression bombs)."""
  header, streams = bitstream.unpack(data)
  if codec is None:
    codec = registry.by_id(header.codec_id)
  elif bytes.fromhex(codec.sha256[: 2 * bitstream.ID_BYTES]) != header.codec_id:
    raise registry.CodecNotFoundError(
      f"the file was made with codec {header.codec_id.hex()}, not with '{codec.name}'"
    )
  _refuse_implausible(header, streams, codec, max_pixels)
  if codec.lossless:
    count = lossless.batch_size(header, streams, codec)[0]
    if count != 1:
      raise UserError(f"the file holds {count} images: decode it with decode_batch")
    return lossless.decode_images(header, streams, codec, max_pixels)[0]
  tables = codec.exported.tables
  y_shape, z_shape = _latent_shapes(codec, header.height, header.width)
  try:
    if z_shape:
      z_sym = coder.decode(streams[0], _channel_index(z_shape), tables["z"])
      z_hat = z_sym.reshape(z_shape) * 2.0**fx.FRAC + fx.to_fixed(tables["z"]["offset"])
      mean, scale = codec.program.hyper_synthesis(z_hat, y_shape)
      index = fixed_scale_index(scale, tables["y"]["scale_table"])
      _check_capacity("y", streams[1], float(min_bits(tables["y"])[index].sum()))
      y_sym = coder.decode(streams[1], index, tables["y"])
      symbols = [z_sym, y_sym]
    else:
      mean, symbols = None, [coder.decode(streams[0], _channel_index(y_shape), tables["y"])]
  except coder.CodingError as e:
    raise bitstream.BitstreamError(f"the file is corrupted ({e})") from e
  return reconstruct(codec, header, symbols, mean)


def decode_batch(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
  """Every image of an .ae file, uint8 [N, H, W] or [N, H, W, 3]: the N images of a
  lossless batch file, or the one image of any other file (N = 1)."""
  header, streams = bitstream.unpack(data)
  codec = registry.by_id(header.codec_id)
  if not codec.lossless:
    return decode(data, codec, max_pixels)[None]
  _refuse_implausible(header, streams, codec, max_pixels)
  return lossless.decode_images(header, streams, codec, max_pixels)


def compress(image: np.ndarray, codec: str | Codec | None = None, refine_steps: int = 0) -> bytes:
  """Compresses a uint8 image [H, W] or [H, W, 3]; `codec` is a name, a Codec or None
  (the default codec for the image's size class and colour mode); `refine_steps` > 0
  refines the latents for this image first (slower encoding, smaller files: ae.codec.refine)."""
  image = check_image(image)
  if codec is None:
    codec = registry.default_for(image.shape[2], image.shape[0], image.shape[1])
  elif isinstance(codec, str):
    codec = registry.get(codec)
  return encode(image, codec, refine_steps)


def decompress(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
  """Decompresses an .ae file's bytes to a uint8 image [H, W] or [H, W, 3]; images of
  more than `max_pixels` pixels are refused (raise it for larger ones)."""
  return decode(bytes(data), max_pixels=max_pixels)
