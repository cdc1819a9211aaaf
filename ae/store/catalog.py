"""Where model files are found: the search path of each kind of shipped model.

A kind (`CODECS`: `.aec`, `DENOISERS`: `.aed`) has a folder shipped inside this package
(`ae/store/codecs/`, `ae/store/denoisers/`) and an environment variable of further
folders (`AE_CODEC_PATH`, `AE_DENOISER_PATH`, separated by `os.pathsep`) searched before
it; a model's name is its file name without the suffix, and the first file of a name wins.
"""

from __future__ import annotations

import dataclasses
import os
import re

from ae.utils.errors import UserError

_HERE = os.path.dirname(os.path.abspath(__file__))


class ModelNotFoundError(UserError):
  pass


@dataclasses.dataclass(frozen=True)
class Kind:
  """One kind of model file: `noun` for messages, its suffix, variable and shipped folder."""

  noun: str
  suffix: str
  env_var: str
  folder: str

  @property
  def shipped_dir(self) -> str:
    return os.path.join(_HERE, self.folder)


CODECS = Kind("codec", ".aec", "AE_CODEC_PATH", "codecs")
DENOISERS = Kind("denoiser", ".aed", "AE_DENOISER_PATH", "denoisers")


def files(kind: Kind) -> dict[str, str]:
  """{name: path} of the kind's files on its search path, `$env_var` folders first."""
  dirs = [d for d in os.environ.get(kind.env_var, "").split(os.pathsep) if d]
  found: dict[str, str] = {}
  for d in dirs + [kind.shipped_dir]:
    if os.path.isdir(d):
      for f in sorted(os.listdir(d)):
        if f.endswith(kind.suffix):
          found.setdefault(f[: -len(kind.suffix)], os.path.join(d, f))
  return found


def find(kind: Kind, name: str) -> str:
  """The path of the model called `name`, or `name` itself when it is a file of the kind;
  ModelNotFoundError listing what is installed otherwise."""
  if name.endswith(kind.suffix) and os.path.isfile(name):
    return name
  found = files(kind)
  if name not in found:
    if os.path.exists(name):
      raise ModelNotFoundError(f"{name} is not a {kind.noun} file ({kind.suffix})")
    if name.endswith(kind.suffix) or os.sep in name:
      raise ModelNotFoundError(f"{name}: no such {kind.noun} file")
    known = ", ".join(sorted(found, key=natural_key)) or "none installed"
    raise ModelNotFoundError(f"no {kind.noun} named '{name}' (available: {known})")
  return found[name]


def natural_key(name: str) -> list:
  """Sort key: runs of digits compare as numbers (photo-mbt-q2 before photo-mbt-q10)."""
  return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name)]
