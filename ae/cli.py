r"""The `ae` command line: real files in and out.

  ae compress IMAGE -o FILE [--codec=NAME | --quality=N] [--refine_steps=N | --slow]
  ae compress IMAGE... -o FILE --codec=fmnist-vae-lossless   (one lossless file of a batch)
  ae decompress FILE -o IMAGE [--reference=ORIGINAL]   (a batch: IMAGE-0000.png ... or .npy)
  ae info FILE
  ae codecs
  ae eval --images=SET --workdir=DIR [--codecs=all] [--max_images=N] [--refine_steps=N]
  ae denoise NOISY -o CLEAN [--model=NAME] [--sigma=S] [--ensemble]
  ae denoisers

`python -m ae ...` is the same; `ae --help`, `ae help COMMAND` and `ae COMMAND --help`
explain. Exit status: 0 done, 1 bad input (one `error:` line on stderr, nothing
written), 2 bad usage (unknown command or flag, with the closest valid one named).
Outputs are written atomically, never replace an input, and replace an existing file
of another kind only with --force. `--quiet` silences everything but errors; progress
bars appear only on a terminal. The commands that read files (info, codecs, denoisers,
decompress) import neither jax nor flax: the decoder is numpy.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from ae.utils import console
from ae.utils.errors import UserError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
DEFAULT_MAX_PIXELS = 1 << 26  # 67 megapixels: ae.codec.image_io.MAX_PIXELS
SLOW_STEPS = 200  # --slow: ae.codec.refine.SLOW_STEPS (not imported: it loads jax)


class UsageError(Exception):
  """A command line that does not parse: exit status 2."""


class _Parser(argparse.ArgumentParser):
  """argparse with one-line errors that name the closest valid flag or command."""

  def error(self, message: str):
    raise UsageError(f"{self.prog}: {message} (`{self.prog} --help` lists the flags)")


def _unknown(parser: argparse.ArgumentParser, extra: list[str]) -> UsageError:
  """The error for arguments `parser` does not know, naming the closest flag it has."""
  bad = extra[0]
  if not bad.startswith("-"):
    return UsageError(f"{parser.prog}: unexpected argument '{bad}' (`{parser.prog} --help`)")
  known = [o for a in parser._actions for o in a.option_strings]  # pylint: disable=protected-access
  hint = difflib.get_close_matches(bad.split("=")[0], known, n=1, cutoff=0.6)
  return UsageError(
    f"{parser.prog}: unknown flag {bad.split('=')[0]}"
    + (f"; did you mean {hint[0]}?" if hint else "")
    + f" (`{parser.prog} --help` lists the flags)"
  )


class _Formatter(argparse.HelpFormatter):
  """Help lines end with the flag's default, where it has a meaningful one."""

  def _get_help_string(self, action):
    text = action.help or ""
    meaningful = not (
      action.default is None or action.default is False or action.default == argparse.SUPPRESS
    )
    if meaningful and "%(default)" not in text:
      text += " (default: %(default)s)"
    return text


def _positive_int(text: str) -> int:
  """argparse type: an integer >= 1."""
  try:
    value = int(text)
  except ValueError:
    value = 0
  if value < 1:
    raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got '{text}'")
  return value


def _common(p: argparse.ArgumentParser) -> None:
  p.add_argument(
    "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print nothing but errors"
  )


def _output_flags(p: argparse.ArgumentParser) -> None:
  p.add_argument("-o", "--output", required=True, help="output file")
  p.add_argument(
    "--force", action="store_true", help="replace an existing output file of another kind"
  )
  p.add_argument(
    "--max_pixels",
    type=_positive_int,
    default=DEFAULT_MAX_PIXELS,
    help="refuse images larger than this many pixels",
  )


def build_parser() -> _Parser:
  """The parser of every command; each sub-parser's help lists its flags and defaults."""
  fmt = _Formatter
  top = _Parser(
    prog="ae",
    description="Autoencoders for image compression and denoising: real files in and out.",
    epilog="Exit status: 0 done, 1 bad input, 2 bad "
    "usage. `ae COMMAND --help` lists a command's flags.",
    allow_abbrev=False,
  )
  top.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
  sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
  add = lambda name, help_: sub.add_parser(
    name, help=help_, description=help_, formatter_class=fmt, allow_abbrev=False
  )
  p = add("compress", "compress an image (or, losslessly, a batch of images) into an .ae file")
  p.add_argument(
    "image",
    nargs="+",
    help="PNG, JPEG, ... (8-bit gray or RGB); for a lossless codec several images of "
    "one size, or one .npy array uint8 [N, H, W], all in one file",
  )
  _output_flags(p)
  g = p.add_mutually_exclusive_group()
  g.add_argument(
    "--codec",
    help="codec name (`ae codecs`) or .aec file; default: a middle "
    "rate for the image's size and colour mode",
  )
  g.add_argument(
    "--quality",
    type=int,
    help="1 (smallest file) .. number of shipped rates "
    "(best quality), among the codecs for the image's size and colour mode",
  )
  r = p.add_mutually_exclusive_group()
  r.add_argument(
    "--refine_steps",
    type=int,
    default=0,
    help="refine the latents for N "
    "gradient steps first (smaller files, slower encoding; convolutional codecs)",
  )
  r.add_argument(
    "--slow",
    action="store_true",
    help=f"the slow mode: --refine_steps={SLOW_STEPS} (under a minute "
    "for a 512x384 photo on a 2-core CPU)",
  )
  p = add("decompress", "decode an .ae file into an image (a batch: OUT-0000.png ... or one .npy)")
  p.add_argument("file", help=".ae file")
  _output_flags(p)
  p.add_argument("--reference", help="the original image, to report PSNR")
  p = add("info", "describe an .ae file's header")
  p.add_argument("file")
  add("codecs", "list the installed codecs, one selectable rate per line")
  p = add("eval", "rate-distortion evaluation of codecs on an image set")
  p.add_argument(
    "--images",
    default="photos",
    help="a data spec: photos | photos:gray | fashion_mnist | folder:PATH | kodak:PATH | tfds:NAME",
  )
  p.add_argument(
    "--codecs",
    default="all",
    help="comma-separated codecs or groups (all, classical, learned, pca)",
  )
  p.add_argument("--workdir", required=True, help="where the results go")
  p.add_argument("--max_images", type=int, default=0, help="only the first N images (0: all)")
  p.add_argument("--refine_steps", type=int, default=0, help="refine each image's latents")
  p = add("denoise", "remove noise from an image")
  p.add_argument("image", help="noisy PNG, JPEG, ... (8-bit gray or RGB)")
  _output_flags(p)
  p.add_argument(
    "--model",
    help="denoiser name (`ae denoisers`) or .aed file; default: "
    "the noise-conditioned one for the image's colour mode",
  )
  p.add_argument(
    "--sigma", type=float, help="noise level on the 0-255 scale; default: estimated from the image"
  )
  p.add_argument(
    "--ensemble",
    action="store_true",
    help="average the 8 flips and rotations (self-ensemble: about 8x slower, slightly better)",
  )
  add("denoisers", "list the installed denoisers")
  p = add("help", "show the help of a command")
  p.add_argument("topic", nargs="?")
  for parser in sub.choices.values():
    _common(parser)
  return top


def _check_command(argv: list[str], commands: list[str]) -> None:
  first = next((a for a in argv if not a.startswith("-")), None)
  if first is not None and first not in commands:
    hint = difflib.get_close_matches(first, commands, n=1)
    raise UsageError(
      f"ae: unknown command '{first}'"
      + (f"; did you mean '{hint[0]}'?" if hint else "")
      + " (`ae --help` lists the commands)"
    )


def main(argv: list[str]) -> int:
  """Runs `ae ARGV` (without the program name); returns the exit status."""
  parser = build_parser()
  subparsers = parser._subparsers._group_actions[0].choices  # pylint: disable=protected-access
  commands = list(subparsers)
  try:
    _check_command(argv, commands)
    args, extra = parser.parse_known_args(argv)
    if extra:
      raise _unknown(subparsers.get(args.command, parser), extra)
    if args.command == "compress" and len(args.image) > 1 and not args.codec:
      raise UsageError(
        f"ae compress: {len(args.image)} images need a lossless codec "
        "(--codec=fmnist-vae-lossless); a lossy codec writes one image per file"
      )
  except UsageError as e:
    print(f"error: {e}", file=sys.stderr)
    return EXIT_USAGE
  except SystemExit as e:  # --help
    return int(e.code or 0)
  if args.command in (None, "help"):
    topic = getattr(args, "topic", None)
    if topic and topic not in commands:
      print(f"error: ae: no command '{topic}' (`ae --help` lists the commands)", file=sys.stderr)
      return EXIT_USAGE
    if args.command is None:  # a bare `ae`: the help, on stderr, as bad usage
      parser.print_help(sys.stderr)
      return EXIT_USAGE
    (subparsers[topic] if topic else parser).print_help()
    return EXIT_OK
  console.set_quiet(bool(getattr(args, "quiet", False)))
  from ae import commands as commands_lib  # pylint: disable=g-import-not-at-top  # parsing first: `ae --help` loads no command

  try:
    getattr(commands_lib, "cmd_" + args.command)(args)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return EXIT_INPUT
  except KeyboardInterrupt:
    print("error: interrupted", file=sys.stderr)
    return 130
  return EXIT_OK


def run() -> None:
  """Console-script entry point."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  try:
    status = main(sys.argv[1:])
    sys.stdout.flush()
  except BrokenPipeError:  # `ae codecs | head`: the reader left; not an error of ours
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    status = EXIT_OK
  sys.exit(status)
