"""`compress(image) -> bytes` and `decompress(bytes) -> image`, for any size.

Images are uint8 arrays [H, W] (gray) or [H, W, 3] (RGB) on the [0, 255] scale.
Block codecs (the dense Fashion-MNIST codec, 28x28) tile the image, edge-padded
to whole blocks; convolutional codecs edge-pad to a multiple of 16. Decoding
crops back to H x W. A gray image given to an RGB codec is coded as three equal
channels and decoded to the rounded channel mean.

Latents become integer symbols (`symbols`: around the tables' channel medians, or the
predicted means with the table index from the predicted scale); everything the
decoder computes runs in exact fixed point (`transforms`), so the encoder's
indices and the decoder's agree on every machine. Streams: ["y"] for factorized
codecs, ["z", "y"] for hyperpriors, z and one per slice of y for channel-conditional
codecs. Lossless codecs (bits-back VAEs) code batches of
images: `ae.codec.lossless`; here they take and give one image.
"""

from __future__ import annotations

import numpy as np

from ae.codec import bitstream, coder, lossless, registry, symbols
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
  header, _, streams = _symbolize(image, codec, refine_steps)
  return header, streams


def _symbolize(
  image: np.ndarray, codec: Codec, refine_steps: int
) -> tuple[bitstream.Header, np.ndarray, list[tuple]]:
  """`symbolize`, and the fixed-point y_hat the decoder will compute from the symbols."""
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
  p = codec.program
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
  if p.arch.hyper and z is None:
    z = p.hyper_analysis(y)
  streams, y_hat = symbols.from_latents(codec, y, z)
  return header, y_hat, streams


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


def reconstruct(codec: Codec, header: bitstream.Header, y_hat: np.ndarray) -> np.ndarray:
  """The uint8 image the decoder makes from a file's fixed-point y_hat, exactly."""
  p = codec.program
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
  header, y_hat, streams = _symbolize(image, codec, refine_steps)
  data = bitstream.pack(header, [coder.encode(*s) for s in streams])
  return data, reconstruct(codec, header, y_hat)


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
      f"{max_pixels:,} (max_pixels, --max_pixels on the command line, raises it)"
    )
  if codec.lossless:
    return None
  return symbols.implausible_streams(codec, header.height, header.width, streams)


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
  elif not codec.identifies(header.codec_id):
    raise registry.CodecNotFoundError(
      f"the file was made with codec {header.codec_id.hex()}, not with '{codec.name}'"
    )
  _refuse_implausible(header, streams, codec, max_pixels)
  if codec.lossless:
    count = lossless.batch_size(header, streams, codec)[0]
    if count != 1:
      raise UserError(f"the file holds {count} images: decode it with decode_batch")
    return lossless.decode_images(header, streams, codec, max_pixels)[0]
  try:
    y_hat = symbols.from_streams(codec, header.height, header.width, streams)
  except coder.CodingError as e:
    raise bitstream.BitstreamError(f"the file is corrupted ({e})") from e
  return reconstruct(codec, header, y_hat)


def decode_batch(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
  """Every image of an .ae file, uint8 [N, H, W] or [N, H, W, 3]: the N images of a
  lossless batch file, or the one image of any other file (N = 1)."""
  header, streams = bitstream.unpack(data)
  codec = registry.by_id(header.codec_id)
  if not codec.lossless:
    return decode(data, codec, max_pixels)[None]
  _refuse_implausible(header, streams, codec, max_pixels)
  return lossless.decode_images(header, streams, codec, max_pixels)


def compress(
  image: np.ndarray,
  codec: str | Codec | None = None,
  refine_steps: int = 0,
  quality: int | None = None,
) -> bytes:
  """Compresses a uint8 image [H, W] or [H, W, 3]; `codec` is a name, a Codec or None
  (the default codec for the image's size class and colour mode); `quality` (1 = smallest
  files, as `ae compress --quality`) picks a rate instead of `codec`; `refine_steps` > 0
  refines the latents for this image first (slower encoding, smaller files: ae.codec.refine)."""
  image = check_image(image)
  if codec is not None and quality is not None:
    raise UserError("give a codec or a quality, not both")
  if quality is not None:
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)):
      raise UserError(f"quality must be an integer, got {quality!r}")
    codec = registry.by_quality(int(quality), image.shape[2], image.shape[0], image.shape[1])
  elif codec is None:
    codec = registry.default_for(image.shape[2], image.shape[0], image.shape[1])
  elif isinstance(codec, str):
    codec = registry.get(codec)
  return encode(image, codec, refine_steps)


def decompress(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
  """Decompresses an .ae file's bytes to a uint8 image [H, W] or [H, W, 3]; images of
  more than `max_pixels` pixels are refused (raise it for larger ones)."""
  return decode(bytes(data), max_pixels=max_pixels)
