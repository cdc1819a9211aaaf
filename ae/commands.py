"""The work of each `ae` command (`ae.cli` parses; these read, compute and write).

Each `cmd_NAME(args)` takes the parsed flags, raises `UserError` with one line on bad
input, and writes outputs atomically only once everything has succeeded. Imports are
local to each command so that `ae info` or `ae decompress` load neither jax nor flax.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from ae.utils import console
from ae.utils.errors import UserError

# pylint: disable=g-import-not-at-top  # each command imports what it needs (start-up time)


def _bpp(nbytes: int, image: np.ndarray, batch: bool = False) -> float:
  """Bits per pixel position of an image [H, W(, C)], or of a batch [N, H, W(, C)] (as
  `ae info` counts them)."""
  return 8.0 * nbytes / int(np.prod(image.shape[: 3 if batch else 2]))


def _count(images: np.ndarray) -> str:
  return f"{len(images)} image" + ("s" if len(images) != 1 else "")


def _kind_of_file(path: str) -> str:
  """'ae' for an .ae bitstream, 'image' for a file Pillow recognizes or a .npy array (an
  output of `decompress`), else 'other'."""
  from PIL import Image

  try:
    with open(path, "rb") as f:
      head = f.read(6)
      if head[:3] == b"\x89AE":
        return "ae"
      if head == b"\x93NUMPY":
        return "image"
    with Image.open(path):
      return "image"
  except Exception:  # pylint: disable=broad-except  # anything unreadable is "other"
    return "other"


def check_output(out: str, inputs: list[str], kind: str, force: bool) -> None:
  """Refuses an output that is one of the inputs (links resolved), a folder, or an existing
  file of another kind than `kind` ('ae' or 'image') unless `force`."""
  if out == "-":
    raise UserError("-o -: standard output is not supported; name a file")
  real = os.path.realpath(out)
  for path in inputs:
    if path and os.path.exists(path) and os.path.realpath(path) == real:
      raise UserError(f"-o {out} is the input file {path}; choose another output")
  if os.path.isdir(out):
    raise UserError(f"-o {out} is a directory; name a file")
  if os.path.exists(out) and not force and _kind_of_file(out) != kind:
    what = {"ae": "an .ae file", "image": "an image"}[kind]
    raise UserError(f"-o {out} exists and is not {what}; use --force to replace it")


def _read_image(path: str, max_pixels: int) -> np.ndarray:
  from ae.codec import image_io

  image, notes = image_io.read_image(path, max_pixels)
  for n in notes:
    console.note(n)
  return image


def _read_bytes(path: str) -> bytes:
  try:
    with open(path, "rb") as f:
      return f.read()
  except FileNotFoundError as e:
    raise UserError(f"{path}: no such file") from e
  except IsADirectoryError as e:
    raise UserError(f"{path} is a directory") from e
  except OSError as e:
    raise UserError(f"cannot read {path} ({e.strerror or e})") from e


@contextlib.contextmanager
def _about(path: str):
  """Errors raised inside name `path` (decoding errors know bytes, not file names)."""
  try:
    yield
  except UserError as e:
    if str(e).startswith(path):
      raise
    raise UserError(f"{path}: {e}") from e


def _is_image_name(path: str) -> bool:
  """Whether `path` ends in an extension of an image format Pillow knows, or .npy."""
  from PIL import Image

  suffix = os.path.splitext(path)[1].lower()
  return suffix == ".npy" or suffix in Image.registered_extensions()


def _mode(image: np.ndarray) -> str:
  return "gray" if image.ndim == 2 else "RGB"


def _describe(image: np.ndarray) -> str:
  """'512x768 RGB': width x height and colour mode."""
  return f"{image.shape[1]}x{image.shape[0]} {_mode(image)}"


def _compress_lossless(args, codec) -> None:
  from ae.codec import image_io, lossless

  if args.refine_steps:
    raise UserError(f"codec {codec.name} is lossless: --refine_steps and --slow do not apply")
  images, notes = image_io.read_batch(args.image, args.max_pixels)
  for n in notes:
    console.note(n)
  data = lossless.encode_images(images, codec)
  image_io.write_atomic(args.output, data)
  console.say(
    f"{args.output}: {len(data):,} bytes, {_bpp(len(data), images, batch=True):.4f} bits "
    f"per pixel, lossless ({_count(images)} of {images.shape[2]}x{images.shape[1]}, "
    f"codec {codec.name})"
  )


def cmd_compress(args) -> None:
  from ae.codec import api, image_io, registry
  from ae.ops.metrics import psnr

  if _is_image_name(args.output):
    raise UserError(f"-o {args.output}: compress writes an .ae file; name it NAME.ae")
  check_output(args.output, args.image, "ae", args.force)
  if args.refine_steps < 0:
    raise UserError(f"--refine_steps must be >= 0, got {args.refine_steps}")
  if getattr(args, "slow", False):
    from ae.codec.refine import SLOW_STEPS

    args.refine_steps = SLOW_STEPS
  if args.codec and registry.get(args.codec).lossless:
    return _compress_lossless(args, registry.get(args.codec))
  if len(args.image) != 1:
    raise UserError(
      f"{len(args.image)} images given: a lossy codec writes one image per file "
      "(a lossless codec such as --codec=fmnist-vae-lossless takes a batch)"
    )
  if args.image[0].lower().endswith(".npy"):
    raise UserError(
      f"{args.image[0]}: a .npy batch needs a lossless codec (--codec=fmnist-vae-lossless); "
      "a lossy codec takes one PNG, JPEG, ... image"
    )
  image = _read_image(args.image[0], args.max_pixels)
  channels = 1 if image.ndim == 2 else 3
  if args.codec:
    codec = registry.get(args.codec)
  elif args.quality is not None:
    codec = registry.by_quality(args.quality, channels, image.shape[0], image.shape[1])
  else:
    codec = registry.default_for(channels, image.shape[0], image.shape[1])
  if args.refine_steps:
    from ae.utils import xla_cache

    xla_cache.enable()  # refinement compiles for seconds: later runs load the programs
  data = api.encode(image, codec, args.refine_steps)
  decoded = api.decode(data, codec)  # the file's own reconstruction
  image_io.write_atomic(args.output, data)
  console.say(
    f"{args.output}: {len(data):,} bytes, {_bpp(len(data), image):.4f} bpp, PSNR "
    f"{psnr(image, decoded):.2f} dB ({image.shape[1]}x{image.shape[0]} {_mode(image)}, "
    f"codec {codec.name})"
  )


def cmd_decompress(args) -> None:
  from ae.codec import api, image_io
  from ae.ops.metrics import psnr

  check_output(args.output, [args.file, args.reference], "image", args.force)
  if not args.output.lower().endswith(".npy"):
    image_io.image_format(args.output)  # refuse a bad extension before decoding
  data = _read_bytes(args.file)
  with _about(args.file):
    images = api.decode_batch(data, max_pixels=args.max_pixels)
  if len(images) > 1 or args.output.lower().endswith(".npy"):
    return _write_batch(args, images, len(data))
  image = images[0]
  lossy = _lossy_format(args.output)
  line = (
    f"{args.output}: {image.shape[1]}x{image.shape[0]} from {len(data):,} bytes, "
    f"{_bpp(len(data), image):.4f} bpp"
  )
  if args.reference:
    ref = _read_image(args.reference, args.max_pixels)
    if ref.shape != image.shape:
      raise UserError(
        f"--reference {args.reference} is {_describe(ref)}, the decoded image {_describe(image)}"
      )
    line += f", PSNR {psnr(ref, image):.2f} dB"
    if lossy:
      line += " (of the decoded pixels, before the output format's own loss)"
  blob = image_io.encode_image_file(image, args.output)
  if lossy:
    _note_lossy(args.output)
  image_io.write_atomic(args.output, blob)
  console.say(line)


_LOSSY = ("JPEG", "WEBP", "JPEG2000")


def _lossy_format(output: str) -> bool:
  """Whether the image file `output` is written in a lossy format (JPEG, WebP, JPEG 2000)."""
  from ae.codec import image_io

  return image_io.image_format(output) in _LOSSY


def _note_lossy(output: str) -> None:
  console.note(f"{output}: a lossy image format; .png or .npy keep the exact pixels")


def _write_batch(args, images: np.ndarray, nbytes: int) -> None:
  """A batch's images as one .npy array, or as numbered image files (OUT-0000.png, ...)."""
  from ae.codec import image_io

  if args.reference:
    raise UserError("--reference compares one image; this file holds a batch")
  if args.output.lower().endswith(".npy"):
    blobs = {args.output: image_io.encode_npy(images)}
  else:
    paths = image_io.batch_paths(args.output, len(images))
    for path in paths:
      check_output(path, [args.file], "image", args.force)
    blobs = {p: image_io.encode_image_file(im, p) for p, im in zip(paths, images)}
    if _lossy_format(args.output):
      _note_lossy(args.output)
  for path, blob in blobs.items():
    image_io.write_atomic(path, blob)
  where = args.output if len(blobs) == 1 else f"{next(iter(blobs))} .. {list(blobs)[-1]}"
  console.say(
    f"{where}: {_count(images)} of {images.shape[2]}x{images.shape[1]} from "
    f"{nbytes:,} bytes, {_bpp(nbytes, images, batch=True):.4f} bits per pixel"
  )


def cmd_info(args) -> None:
  from ae.codec import api, bitstream, lossless, registry

  data = _read_bytes(args.file)
  with _about(args.file):
    header, streams = bitstream.unpack(data)
  count, what = 1, ""
  try:
    codec = registry.by_id(header.codec_id)
    name, doubt = codec.name, api.implausible(header, streams, codec)
    if codec.lossless and not doubt:
      count, what = lossless.batch_size(header, streams, codec)[0], "lossless, "
  except registry.CodecNotFoundError:
    name, doubt = "not installed", None
  pixels = header.height * header.width * count
  images = f"{count} images of " if count > 1 else ""
  console.say(
    f"{args.file}: .ae format version {bitstream.VERSION}, codec {header.codec_id.hex()} "
    f"({name}), {what}{images}{header.width}x{header.height} "
    f"{'gray' if header.channels == 1 else 'RGB'}, "
    f"{len(data):,} bytes = {8 * len(data) / pixels:.4f} bpp, streams "
    f"{[len(s) for s in streams]} bytes, header {len(data) - sum(map(len, streams))} bytes"
  )
  if doubt:
    console.say(f"warning: implausible header: {doubt}; decoding it will be refused")


def cmd_codecs(args) -> None:
  del args
  from ae.codec import registry

  levels = registry.quality_levels()
  for codec in registry.available():
    console.say(codec.describe(levels.get(codec.name)))


def cmd_eval(args) -> None:
  from ae.rd.run import run_evaluation

  if args.max_images < 0 or args.refine_steps < 0:
    raise UserError("--max_images and --refine_steps must be >= 0")
  run_evaluation(args.images, args.codecs, args.workdir, args.max_images, args.refine_steps)
  console.say(f"wrote {args.workdir}/rd.md, rd.json, records.json, rd.png")


def cmd_denoise(args) -> None:
  from ae.codec import image_io

  check_output(args.output, [args.image], "image", args.force)
  image_io.image_format(args.output)  # refuse a bad extension before the work
  if args.sigma is not None and not 0 <= args.sigma <= 255:
    raise UserError(f"--sigma={args.sigma} is outside [0, 255]")
  image = _read_image(args.image, args.max_pixels)
  from ae import denoise
  from ae.data.photos import OPPONENT_NOISE
  from ae.denoise import registry as dreg

  channels = 1 if image.ndim == 2 else 3
  model = (
    dreg.get(args.model)
    if args.model
    else dreg.choose(channels, args.sigma, image.shape[0], image.shape[1])
  )
  clean, sigma = denoise.denoise_with_level(image, model, args.sigma, args.ensemble)
  trained, told = model.sigma_range(), sigma if sigma is not None else args.sigma
  if told is not None and model.channels == 1 and model.noise_conditioned and channels == 3:
    told *= float(max(OPPONENT_NOISE))  # the noisiest opponent channel the gray model sees
  if told is not None and trained is not None and told > trained[1] + 0.5:
    console.note(
      f"sigma {told:.1f} (per channel the model sees) is above the {trained[1]:g} that "
      f"{model.name} was trained for: "
      "expect a weaker result"
    )
  image_io.write_atomic(args.output, image_io.encode_image_file(clean, args.output))
  level = (
    ""
    if sigma is None
    else (f", sigma {sigma:.1f}" if args.sigma is not None else f", estimated sigma {sigma:.1f}")
  )
  console.say(
    f"{args.output}: {image.shape[1]}x{image.shape[0]} {_mode(image)} denoised by "
    f"{model.name} ({model.noise_setting()}{level}"
    f"{', self-ensemble' if args.ensemble else ''})"
  )


def cmd_denoisers(args) -> None:
  del args
  from ae.denoise import registry as dreg

  for d in dreg.available():
    console.say(d.describe())
