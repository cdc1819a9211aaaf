r"""The `ae` command line (absl flags): real files in and out.

  ae compress IMAGE -o FILE [--codec=NAME] [--refine_steps=N]
  ae decompress FILE -o IMAGE [--reference=ORIGINAL]
  ae info FILE
  ae codecs
  ae eval --images=SET --workdir=DIR [--codecs=all] [--max_images=N] [--refine_steps=N]
  ae denoise NOISY.png -o CLEAN.png [--model=NAME] [--sigma=S]
  ae denoisers

`python -m ae ...` is the same. Each command prints bytes, bits per pixel and,
when the original is at hand, PSNR (8-bit, dB). Errors print one line to
stderr and exit with status 1; outputs are written atomically, never partially.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from absl import app, flags, logging

from ae.errors import UserError
from ae.rd.metrics import psnr

_OUTPUT = flags.DEFINE_string("output", None, "Output file.", short_name="o")
_CODEC = flags.DEFINE_string("codec", None, "Codec name (see `ae codecs`) or .aec file; "
                             "default: a middle-rate shipped codec for the image's size and colour mode.")
_REFERENCE = flags.DEFINE_string("reference", None, "Original image, to report PSNR on decompress.")
_IMAGES = flags.DEFINE_string("images", "photos", "eval: photos | fashion_mnist | folder:PATH | "
                              "kodak:PATH | tfds:NAME")
_CODECS = flags.DEFINE_string("codecs", "all", "eval: comma-separated codecs or groups "
                              "(all, classical, learned, pca).")
_WORKDIR = flags.DEFINE_string("workdir", None, "eval: where the results go.")
_MODEL = flags.DEFINE_string("model", None, "denoise: denoiser name (see `ae denoisers`) or .aed "
                             "file; default: the blind one for the image's colour mode.")
_SIGMA = flags.DEFINE_float("sigma", None, "denoise: the noise level (0-255 scale), if known.")
_MAX_IMAGES = flags.DEFINE_integer("max_images", 0, "eval: only the first N images (0: all).")
_REFINE = flags.DEFINE_integer("refine_steps", 0, "compress, eval: refine the latents for each "
                               "image for N gradient steps (smaller files for the same decoder; "
                               "slower encoding; convolutional codecs; 0: no).")

USAGE = ("usage: ae compress IMAGE -o FILE [--codec=NAME] [--refine_steps=N] | "
         "ae decompress FILE -o IMAGE [--reference=IMAGE] | ae info FILE | ae codecs | "
         "ae eval --images=SET --workdir=DIR | "
         "ae denoise NOISY -o CLEAN [--model=NAME] [--sigma=S] | ae denoisers")


def _bpp(nbytes: int, image: np.ndarray) -> float:
  return 8.0 * nbytes / (image.shape[0] * image.shape[1])


def _need(args: list[str], n: int, what: str) -> None:
  if len(args) != n:
    raise UserError(f"{what} (got {len(args)} arguments). {USAGE}")


def _output() -> str:
  if not _OUTPUT.value:
    raise UserError(f"missing -o OUTPUT. {USAGE}")
  return _OUTPUT.value


def cmd_compress(args: list[str]) -> None:
  from ae.codec import api, image_io, registry  # pylint: disable=g-import-not-at-top
  _need(args, 1, "compress takes one IMAGE")
  out = _output()
  image, notes = image_io.read_image(args[0])
  for note in notes:
    print(f"note: {note}", file=sys.stderr)
  channels = 1 if image.ndim == 2 else 3
  codec = (registry.get(_CODEC.value) if _CODEC.value
           else registry.default_for(channels, image.shape[0], image.shape[1]))
  if _REFINE.value < 0:
    raise UserError(f"--refine_steps must be >= 0, got {_REFINE.value}")
  data = api.encode(image, codec, _REFINE.value)
  decoded = api.decode(data, codec)          # the file's own reconstruction
  image_io.write_atomic(out, data)
  print(f"{out}: {len(data):,} bytes, {_bpp(len(data), image):.4f} bpp, PSNR {psnr(image, decoded):.2f} dB "
        f"({image.shape[1]}x{image.shape[0]} {'gray' if channels == 1 else 'RGB'}, codec {codec.name})")


def cmd_decompress(args: list[str]) -> None:
  from ae.codec import api, image_io  # pylint: disable=g-import-not-at-top
  _need(args, 1, "decompress takes one FILE")
  out = _output()
  data = _read_bytes(args[0])
  image_io.encode_image_file(np.zeros((1, 1), np.uint8), out)   # refuse a bad extension first
  image = api.decompress(data)
  line = f"{out}: {image.shape[1]}x{image.shape[0]} from {len(data):,} bytes, {_bpp(len(data), image):.4f} bpp"
  if _REFERENCE.value:
    ref, _ = image_io.read_image(_REFERENCE.value)
    if ref.shape != image.shape:
      raise UserError(f"--reference {_REFERENCE.value} is {ref.shape}, the decoded image {image.shape}")
    line += f", PSNR {psnr(ref, image):.2f} dB"
  image_io.write_atomic(out, image_io.encode_image_file(image, out))
  print(line)


def cmd_info(args: list[str]) -> None:
  from ae.codec import bitstream, registry  # pylint: disable=g-import-not-at-top
  _need(args, 1, "info takes one FILE")
  data = _read_bytes(args[0])
  header, streams = bitstream.unpack(data)
  try:
    name = registry.by_id(header.codec_id).name
  except registry.CodecNotFoundError:
    name = "not installed"
  pixels = header.height * header.width
  print(f"{args[0]}: .ae format version {bitstream.VERSION}, codec {header.codec_id.hex()} ({name}), "
        f"{header.width}x{header.height} {'gray' if header.channels == 1 else 'RGB'}, "
        f"{len(data):,} bytes = {8 * len(data) / pixels:.4f} bpp, "
        f"streams {[len(s) for s in streams]} bytes, header {len(data) - sum(map(len, streams))} bytes")


def cmd_codecs(args: list[str]) -> None:
  from ae.codec import registry  # pylint: disable=g-import-not-at-top
  _need(args, 0, "codecs takes no argument")
  for codec in registry.available():
    print(codec.describe())


def cmd_eval(args: list[str]) -> None:
  from ae.rd.run import run_evaluation  # pylint: disable=g-import-not-at-top
  _need(args, 0, "eval takes flags only")
  if not _WORKDIR.value:
    raise UserError(f"missing --workdir. {USAGE}")
  run_evaluation(_IMAGES.value, _CODECS.value, _WORKDIR.value, _MAX_IMAGES.value, _REFINE.value)
  print(f"wrote {_WORKDIR.value}/rd.md, rd.json, records.json, rd.png")


def cmd_denoise(args: list[str]) -> None:
  from ae import denoise  # pylint: disable=g-import-not-at-top
  from ae.codec import image_io  # pylint: disable=g-import-not-at-top
  from ae.denoise import registry as dreg  # pylint: disable=g-import-not-at-top
  _need(args, 1, "denoise takes one NOISY image")
  out = _output()
  image_io.encode_image_file(np.zeros((1, 1), np.uint8), out)   # refuse a bad extension first
  image, notes = image_io.read_image(args[0])
  for note in notes:
    print(f"note: {note}", file=sys.stderr)
  if _SIGMA.value is not None and not 0 <= _SIGMA.value <= 255:
    raise UserError(f"--sigma={_SIGMA.value} is outside [0, 255]")
  channels = 1 if image.ndim == 2 else 3
  model = (dreg.get(_MODEL.value) if _MODEL.value
           else dreg.choose(channels, _SIGMA.value, image.shape[0], image.shape[1]))
  clean = denoise.denoise(image, model)
  image_io.write_atomic(out, image_io.encode_image_file(clean, out))
  print(f"{out}: {image.shape[1]}x{image.shape[0]} {'gray' if channels == 1 else 'RGB'} denoised by "
        f"{model.name} ({model.noise_setting()})")


def cmd_denoisers(args: list[str]) -> None:
  from ae.denoise import registry as dreg  # pylint: disable=g-import-not-at-top
  _need(args, 0, "denoisers takes no argument")
  for d in dreg.available():
    print(d.describe())


def _read_bytes(path: str) -> bytes:
  try:
    with open(path, "rb") as f:
      return f.read()
  except FileNotFoundError as e:
    raise UserError(f"{path}: no such file") from e
  except IsADirectoryError as e:
    raise UserError(f"{path} is a directory") from e


COMMANDS = {"compress": cmd_compress, "decompress": cmd_decompress, "info": cmd_info,
            "codecs": cmd_codecs, "eval": cmd_eval, "denoise": cmd_denoise,
            "denoisers": cmd_denoisers}


def main(argv: list[str]) -> None:
  logging.set_verbosity(logging.WARNING)       # no library INFO lines around the output
  if len(argv) < 2 or argv[1] not in COMMANDS:
    print(USAGE, file=sys.stderr)
    sys.exit(2)
  try:
    COMMANDS[argv[1]](argv[2:])
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)


def run() -> None:
  """Console-script entry point."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  app.run(main)
