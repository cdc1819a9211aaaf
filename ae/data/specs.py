"""One way to name a data set: the spec string that training (`config.data.name`), RD
evaluation (`ae eval --images`, `experiments.evaluate --images`) and denoising evaluation
(`experiments.denoise_eval --sets`) all parse with `parse`.

  fashion_mnist    Fashion-MNIST, 28x28 gray (offline from Debian's IDX files, via TFDS)
  photos           the offline photo set of `ae.data.photos`, RGB
  photos:gray      the same photos as ITU-R 601 luma
  folder:PATH      the images of a folder (see `ae.data.folder` for its splits)
  kodak:PATH       a folder holding the Kodak set (RD reports add its published curves)
  tfds:NAME        a prepared TFDS dataset; in training configs a bare TFDS name works too

This module is the grammar only; `ae.data.sources` loads what a spec names.
"""

from __future__ import annotations

import dataclasses
import os

from ae.utils.errors import UserError

GRAMMAR = "fashion_mnist, photos, photos:gray, folder:PATH, kodak:PATH, tfds:NAME"
_WITH_ARG = ("folder", "kodak", "tfds")


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """A parsed spec: `kind` one of fashion_mnist, photos, folder, kodak, tfds; `arg` the
  folder path or TFDS name ("" otherwise); `gray` for `photos:gray`."""

  kind: str
  arg: str = ""
  gray: bool = False

  def __str__(self) -> str:
    if self.kind in _WITH_ARG:
      return f"{self.kind}:{self.arg}"
    return self.kind + (":gray" if self.gray else "")

  @property
  def kodak(self) -> bool:
    return self.kind == "kodak"

  @property
  def slug(self) -> str:
    """A file-name-safe label: fashion_mnist, photos, photos_gray, folder_<last folder>."""
    if self.kind in _WITH_ARG:
      last = os.path.basename(self.arg.rstrip("/\\")) or self.arg
      return f"{self.kind}_" + "".join(c if c.isalnum() or c in "-_." else "_" for c in last)
    return self.kind + ("_gray" if self.gray else "")

  @property
  def source(self) -> str:
    """What a trained model's `trained_on` starts with when it was trained on this kind."""
    return "fashion_mnist" if self.kind == "fashion_mnist" else "photos"


def parse(spec: str) -> DataSpec:
  """The DataSpec of `spec`; UserError naming the grammar when it is not one."""
  kind, sep, arg = str(spec).partition(":")
  if kind in _WITH_ARG and arg:
    return DataSpec(kind, arg)
  if kind == "fashion_mnist" and not sep:
    return DataSpec(kind)
  if kind == "photos" and arg in ("", "gray") and (arg or not sep):
    return DataSpec(kind, gray=arg == "gray")
  raise UserError(f"unknown data set '{spec}' (one of: {GRAMMAR})")


_KINDS = ("fashion_mnist", "photos", *_WITH_ARG)


def training_spec(name: str) -> DataSpec:
  """`config.data.name` as a DataSpec: a spec, or a bare TFDS name (`mnist`, or with a
  version, `mnist:3.0.1`)."""
  try:
    return parse(name)
  except UserError:
    if not name or name.partition(":")[0] in _KINDS:
      raise
    return DataSpec("tfds", name)
