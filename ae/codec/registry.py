"""Installed codecs, loaded with their numpy programs, and which one an image gets.

A codec is an exported `.aec` file (`ae.codec.export` writes it, `ae.store.codec_file`
reads it) found on the store's search path (`ae.store.catalog.CODECS`: `$AE_CODEC_PATH`,
then the shipped `ae/store/codecs/`); its name is the file name without the suffix, its
identity the SHA-256 of its bytes (a file names its codec by the first 8 bytes of it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os

from ae.codec import bitsback
from ae.codec.transforms import Program, program_for
from ae.store import catalog
from ae.store.codec_file import ExportedCodec, load_codec
from ae.utils.errors import UserError

SUFFIX = catalog.CODECS.suffix
CodecNotFoundError = catalog.ModelNotFoundError


@dataclasses.dataclass(frozen=True)
class Codec:
  """A loaded codec: the exported bundle, its numpy program and its name. A lossless
  codec's program is the bits-back VAE (`ae.codec.bitsback`)."""

  name: str
  path: str
  exported: ExportedCodec
  program: Program | bitsback.Program

  @property
  def lossless(self) -> bool:
    return self.exported.lossless

  @property
  def sha256(self) -> str:
    return self.exported.sha256

  def identifies(self, codec_id: bytes) -> bool:
    """Whether a file's codec id (a SHA-256 prefix) names this codec or an earlier file of
    it (`replaces`: the same parameters and tables, older metadata)."""
    hashes = [self.sha256, *self.exported.meta["replaces"]]
    return any(bytes.fromhex(h)[: len(codec_id)] == codec_id for h in hashes)

  @property
  def channels(self) -> int:
    return int(self.exported.meta["image_shape"][2])

  def describe(self, quality: int | None = None) -> str:
    """One line: name first, then its `--quality` level (when given), model, rate setting
    and training data (the step count is every training step behind the file)."""
    m = self.exported.meta
    size = "x".join(str(d) for d in m["image_shape"])
    rate = "lossless (bits-back)" if self.lossless else f"lambda={m['lmbda']:g}"
    level = f"\tquality={quality}" if quality is not None else ""
    return (
      f"{self.name}{level}\tmodel={self.exported.model_name}\t{rate}"
      f"\ttrained_on={m['trained_on']} ({size}, step {m['step']})"
      f"\tsha256={self.sha256[:16]}"
    )


def _files() -> dict[str, str]:
  return catalog.files(catalog.CODECS)


@functools.lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int, size: int) -> Codec:
  del mtime_ns, size  # cache keys: a changed file is reloaded
  exported = load_codec(path)
  shape = exported.meta["image_shape"]
  try:
    if not exported.lossless:
      program = program_for(exported.model_spec, exported.params, shape)
    else:
      program = bitsback.Program(exported.params, shape, exported.tables)
  except UserError:
    raise
  except (KeyError, ValueError, TypeError, AttributeError) as e:  # fx.RangeError included
    raise UserError(f"{path} has damaged contents ({type(e).__name__}: {e})") from e
  return Codec(os.path.basename(path)[: -len(SUFFIX)], path, exported, program)


def load(path: str) -> Codec:
  """Loads a codec file (cached while the file is unchanged)."""
  st = os.stat(path)
  return _load(os.path.abspath(path), st.st_mtime_ns, st.st_size)


def available() -> list[Codec]:
  """Every codec on the search path, sorted by name (numbers in names by value)."""
  return [load(p) for _, p in sorted(_files().items(), key=lambda kv: catalog.natural_key(kv[0]))]


def get(name: str) -> Codec:
  """The codec called `name`, or a codec file path."""
  return load(catalog.find(catalog.CODECS, name))


def by_id(codec_id: bytes) -> Codec:
  """The codec whose SHA-256 starts with the 8-byte `codec_id`, or that replaces the codec
  file that had it (`replaces`: the same parameters and tables, newer metadata)."""
  for path in _files().values():
    with open(path, "rb") as f:
      if hashlib.sha256(f.read()).digest()[: len(codec_id)] == codec_id:
        return load(path)
  for path in _files().values():  # a file made with an earlier edition of a codec
    try:
      codec = load(path)
    except UserError:  # a damaged file on the path is not this one
      continue
    if codec.identifies(codec_id):
      return codec
  raise CodecNotFoundError(
    f"the file was made with codec {codec_id.hex()}, which is not installed "
    "here (`ae codecs` lists the installed ones)"
  )


def for_image(channels: int, height: int = 0, width: int = 0) -> list[Codec]:
  """The shipped lossy choices for an image, lowest rate first: codecs of its size class
  and colour mode (a gray image may use an RGB codec), sorted by lambda. Codecs trained on
  small images (at most 32x32, like Fashion-MNIST's 28x28 gray) are the class of images of
  exactly their training shape; photo codecs serve every other image, small ones too."""
  everything = [c for c in available() if not c.lossless]
  fits = lambda c: _small(c) and list(c.exported.meta["image_shape"][:2]) == [height, width]
  small = any(fits(c) and c.channels == channels for c in everything)
  sized = [c for c in everything if (fits(c) if small else not _small(c))] or everything
  pool = (
    [c for c in sized if c.channels == channels]
    or [c for c in sized if c.channels == 3]
    or [c for c in everything if c.channels in (channels, 3)]
  )
  if not pool:
    raise CodecNotFoundError("no codec is installed for this image (`ae codecs` lists them)")
  return sorted(pool, key=lambda c: (c.exported.meta["lmbda"], c.name))


def _small(codec: Codec) -> bool:
  """Whether `codec` was trained on small images (at most 32x32, like Fashion-MNIST)."""
  return max(codec.exported.meta["image_shape"][:2]) <= 32


def default_for(channels: int, height: int = 0, width: int = 0) -> Codec:
  """The middle rate of `for_image` (the median lambda)."""
  pool = for_image(channels, height, width)
  return pool[len(pool) // 2]


def quality_levels() -> dict[str, int]:
  """{codec name: its `--quality` level}: a lossy codec's 1-based rank by lambda among the
  codecs of its size class (small images of one shape, or photos) and colour mode, the
  pool `for_image` offers an image of that class and mode."""
  levels = {}
  shapes = {tuple(c.exported.meta["image_shape"][:2]) for c in available() if _small(c)}
  for height, width in sorted(shapes) + [(256, 256)]:
    for channels in (1, 3):
      try:
        pool = for_image(channels, height, width)
      except CodecNotFoundError:
        continue
      if all(c.channels == channels for c in pool):
        levels.update({c.name: i + 1 for i, c in enumerate(pool)})
  return levels


def by_quality(quality: int, channels: int, height: int = 0, width: int = 0) -> Codec:
  """`--quality=N`: the N-th lowest rate of `for_image` (1 = smallest files)."""
  pool = for_image(channels, height, width)
  if not 1 <= quality <= len(pool):
    raise UserError(
      f"--quality={quality}: this image has qualities 1..{len(pool)} "
      f"({', '.join(c.name for c in pool)})"
    )
  return pool[quality - 1]
