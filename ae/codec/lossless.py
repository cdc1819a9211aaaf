"""Lossless .ae files of image batches: a VAE coded by bits-back (`ae.codec.bitsback`).

One file holds N images of its codec's size (28x28 gray for `fmnist-vae-lossless`):
bits-back spends its initial bits once per file, so a batch amortizes them. The .ae
header (`ae.codec.bitstream`) names the codec and the size of one image; stream 0 holds
two varints, N and the number of initial pool words the file leaves out, stream 1 the
ANS stack as little-endian uint32 words. Decoding gives back the identical uint8 images.
"""

from __future__ import annotations

import numpy as np

from ae.codec import bitsback, bitstream, registry
from ae.codec import bitsback_tables as bt
from ae.codec.registry import Codec
from ae.store import bundle as bundle_lib
from ae.store import params as stored_params
from ae.store.codec_file import FORMAT, VERSION
from ae.utils.errors import UserError

MAX_IMAGES = 1 << 20


def export_lossless(config, params, image_shape, step: int, param_dtype: str = "float32") -> bytes:
  """The codec file's bytes of a trained VAE with the discretized logistic likelihood;
  `param_dtype="float16"` stores half-precision parameters (the decoder widens them)."""
  mc = config.model
  if mc.name != "vae" or mc.get("likelihood") != "logistic":
    raise UserError("a lossless codec needs a VAE with likelihood='logistic'")
  if mc.get("hidden_activation", "relu") != "relu":
    raise UserError("a lossless codec's VAE must use relu (exact in fixed point)")
  bundle = {
    **bundle_lib.model_fields(FORMAT, VERSION, mc, image_shape),
    "trained_on": str(config.data.name),
    "lmbda": 0.0,
    "step": int(step),
    "kind": "lossless",
    "params": stored_params.narrow(params, param_dtype),
    "tables": {},
    "bitsback": bt.build(),
  }
  return bundle_lib.pack(bundle)


def check_images(images, codec: Codec) -> np.ndarray:
  """uint8 images [N, H, W] or [N, H, W, C] of the codec's size -> [N, H, W, C]."""
  x = np.asarray(images)
  shape = tuple(codec.exported.meta["image_shape"])
  if x.ndim == len(shape) and shape[-1] == 1:
    x = x[..., None]
  if x.dtype != np.uint8:
    raise UserError(f"lossless coding takes 8-bit images (uint8), got {x.dtype}")
  if x.ndim != 4 or x.shape[1:] != shape or not 1 <= len(x) <= MAX_IMAGES:
    mode = lambda c: "gray" if c == 1 else ("RGB" if c == 3 else f"{c}-channel")
    want = f"{shape[1]}x{shape[0]} {mode(shape[2])}"
    got = f"{x.shape[2]}x{x.shape[1]} {mode(x.shape[3])}" if x.ndim == 4 else f"shape {x.shape}"
    raise UserError(
      f"codec {codec.name} codes 1..{MAX_IMAGES:,} images of {want}; got {len(x)} of {got}"
    )
  return x


def encode_images(images, codec: Codec | str) -> bytes:
  """The .ae file of uint8 images [N, H, W(, C)] under a lossless codec (or its name)."""
  codec = registry.get(codec) if isinstance(codec, str) else codec
  if not codec.lossless:
    raise UserError(f"codec {codec.name} is lossy: it codes one image per file")
  x = check_images(images, codec)
  kept, words = bitsback.encode(codec.program, x)
  h, w, c = codec.exported.meta["image_shape"]
  header = bitstream.Header(bytes.fromhex(codec.sha256[: 2 * bitstream.ID_BYTES]), h, w, c)
  meta = bitstream.varint(len(x)) + bitstream.varint(kept)
  return bitstream.pack(header, [meta, words.astype("<u4").tobytes()])


def batch_size(header: bitstream.Header, streams: list[bytes], codec: Codec) -> tuple[int, int]:
  """(N images, pool words left out) of a lossless file; BitstreamError unless its header
  gives the codec's image size and its streams are laid out as `encode_images` writes."""
  h, w, c = (int(d) for d in codec.exported.meta["image_shape"])
  if (header.height, header.width, header.channels) != (h, w, c):
    raise bitstream.BitstreamError(
      f"corrupted lossless file (its header says {header.width}x{header.height}x"
      f"{header.channels}; codec {codec.name} codes {w}x{h}x{c} images)"
    )
  if len(streams) != 2 or len(streams[1]) % 4:
    raise bitstream.BitstreamError("corrupted lossless file (stream layout)")
  count, pos = bitstream.read_varint(streams[0], 0)
  kept, pos = bitstream.read_varint(streams[0], pos)
  if pos != len(streams[0]) or not 1 <= count <= MAX_IMAGES:
    raise bitstream.BitstreamError("corrupted lossless file (image count)")
  return count, kept


def decode_images(
  header: bitstream.Header, streams: list[bytes], codec: Codec, max_pixels: int
) -> np.ndarray:
  """The uint8 images [N, H, W] (gray) or [N, H, W, C] of a lossless file's streams."""
  count, kept = batch_size(header, streams, codec)
  if count * header.height * header.width > max_pixels:
    raise bitstream.BitstreamError(
      f"refused: {count:,} images of {header.width}x{header.height} are more than the "
      f"limit of {max_pixels:,} pixels (max_pixels, --max_pixels on the command line, raises it)"
    )
  words = np.frombuffer(streams[1], "<u4").astype(np.uint32)
  try:
    images = bitsback.decode(codec.program, count, kept, words)
  except bitsback.StackError as e:
    raise bitstream.BitstreamError(f"the file is corrupted ({e})") from e
  return images[..., 0] if images.shape[-1] == 1 else images
