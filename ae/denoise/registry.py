"""Trained denoisers: export from a run, the shipped ones in `ae/denoisers/`, `$AE_DENOISER_PATH`.

A denoiser file (`.aed`) is the msgpack (flax.serialization) of
  {"format": "ae-denoiser", "version": 1, "model": <config.model as JSON>,
   "image_shape": [H, W, C] (training images), "corruption": <config.corruption as JSON>,
   "trained_on": str, "step": int, "params": <parameters>}.
Its name is the file name without the suffix.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os

import flax.linen as nn
import jax
import ml_collections
import numpy as np
from flax import serialization

from ae import stored_params
from ae.errors import UserError
from ae.models import build_model
from ae.search_path import named_files

FORMAT, VERSION, SUFFIX = "ae-denoiser", 1, ".aed"
SHIPPED_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "denoisers")


@dataclasses.dataclass(frozen=True)
class Denoiser:
  name: str
  model: nn.Module
  model_config: ml_collections.ConfigDict
  corruption: ml_collections.ConfigDict
  image_shape: tuple[int, int, int]
  trained_on: str
  step: int
  params: dict

  @property
  def channels(self) -> int:
    return self.image_shape[2]

  @property
  def blind(self) -> bool:
    return self.corruption.kind == "blind_gaussian"

  def noise_setting(self) -> str:
    from ae.corruptions import describe  # pylint: disable=g-import-not-at-top
    return describe(self.corruption)

  def describe(self) -> str:
    size = "x".join(map(str, self.image_shape))
    return (f"{self.name}\tmodel={self.model_config.name}\tnoise={self.noise_setting()}"
            f"\t{'gray' if self.channels == 1 else 'RGB'}\ttrained_on={self.trained_on} ({size}, "
            f"step {self.step})")


def export_denoiser(config, params, image_shape, step: int, param_dtype: str = "float32") -> bytes:
  """The denoiser file's bytes; `param_dtype="float16"` halves them (loading widens back)."""
  params = stored_params.narrow(params, param_dtype)
  bundle = {"format": FORMAT, "version": VERSION,
            "model": json.dumps(config.model.to_dict(), sort_keys=True),
            "image_shape": [int(d) for d in image_shape],
            "corruption": json.dumps(config.corruption.to_dict(), sort_keys=True),
            "trained_on": str(config.data.name) + (" (gray)" if config.data.get("gray") else ""),
            "step": int(step), "params": params}
  return serialization.msgpack_serialize(bundle)


@functools.lru_cache(maxsize=32)
def _load(path: str, mtime_ns: int) -> Denoiser:
  del mtime_ns
  try:
    with open(path, "rb") as f:
      bundle = serialization.msgpack_restore(f.read())
  except (OSError, ValueError, TypeError) as e:
    raise UserError(f"{path} is not a readable denoiser file ({e})") from e
  if not isinstance(bundle, dict) or bundle.get("format") != FORMAT or bundle.get("version") != VERSION:
    raise UserError(f"{path} is not an ae denoiser file of version {VERSION}")
  mc = ml_collections.ConfigDict(json.loads(bundle["model"]))
  shape = tuple(int(d) for d in bundle["image_shape"])
  return Denoiser(os.path.basename(path)[:-len(SUFFIX)], build_model(mc, shape), mc,
                  ml_collections.ConfigDict(json.loads(bundle["corruption"])), shape,
                  bundle["trained_on"], int(bundle["step"]),
                  stored_params.widen(bundle["params"]))


def load(path: str) -> Denoiser:
  return _load(os.path.abspath(path), os.stat(path).st_mtime_ns)


def _files() -> dict[str, str]:
  return named_files("AE_DENOISER_PATH", SHIPPED_DIR, SUFFIX)


def available() -> list[Denoiser]:
  return [load(p) for _, p in sorted(_files().items())]


def get(name: str) -> Denoiser:
  if name.endswith(SUFFIX) and os.path.isfile(name):
    return load(name)
  files = _files()
  if name not in files:
    raise UserError(f"no denoiser named '{name}' (available: {', '.join(sorted(files)) or 'none'})")
  return load(files[name])


def choose(channels: int, sigma: float | None = None, height: int = 0, width: int = 0) -> Denoiser:
  """The default for an image: a model of its colour mode (gray may use per-channel RGB
  and vice versa), trained at `sigma` if one is, else blind; models trained on 28x28
  images for images up to 32x32, photo models for larger ones."""
  small = 0 < max(height, width) <= 32
  pool = [d for d in available() if d.channels == channels] or available()
  if not pool:
    raise UserError("no denoiser is installed (`ae denoisers` lists them)")
  def rank(d):
    fixed = d.corruption.kind == "gaussian" and sigma is not None and float(d.corruption.sigma) == sigma
    return ((d.image_shape[0] <= 32) != small, not fixed, not d.blind, d.name)
  return sorted(pool, key=rank)[0]
