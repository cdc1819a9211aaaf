"""The denoiser file (.aed): its format, writing and reading, with numpy alone.

The file is the msgpack bundle (`ae.store.bundle`) of
  {"format": "ae-denoiser", "version": 1, "model": <config.model as JSON>,
   "image_shape": [H, W, C] (training images), "corruption": <config.corruption as JSON>,
   "trained_on": str, "step": int, "params": <parameters>}.
Reading needs numpy only; the linen module is built (importing flax) when a denoiser is
first applied.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os

import ml_collections

from ae.store import bundle as bundle_lib
from ae.store import params as stored_params
from ae.utils.errors import UserError

FORMAT, VERSION, SUFFIX = "ae-denoiser", 1, ".aed"
# Always told sigma; so is any model with `noise_map: true`.
NOISE_CONDITIONED = ("ffdnet", "opponent_unet")
CONVOLUTIONAL = ("denoise_unet", "ffdnet", "opponent_unet")
COLOUR_ONLY = ("opponent_unet",)  # on a gray image only its luma branch acts


@dataclasses.dataclass(frozen=True)
class Denoiser:
  name: str
  model_config: ml_collections.ConfigDict
  corruption: ml_collections.ConfigDict
  image_shape: tuple[int, int, int]
  trained_on: str
  step: int
  params: dict

  @functools.cached_property
  def model(self):
    """The linen module, built on first use (importing flax costs seconds)."""
    from ae.models import build_model  # pylint: disable=g-import-not-at-top  # flax only when the module is used

    return build_model(self.model_config, self.image_shape)

  @property
  def noise_conditioned(self) -> bool:
    """Whether the model is told the noise level (FFDNet, or a U-Net with a noise map)."""
    return self.model_config.name in NOISE_CONDITIONED or bool(
      self.model_config.get("noise_map", False)
    )

  @property
  def convolutional(self) -> bool:
    """Whether the model applies to any size (else to blocks of its training size)."""
    return self.model_config.name in CONVOLUTIONAL

  @property
  def channels(self) -> int:
    return self.image_shape[2]

  @property
  def colour_only(self) -> bool:
    """Whether the model is made for colour only (the evaluation leaves it out of gray sets)."""
    return self.model_config.name in COLOUR_ONLY

  @property
  def blind(self) -> bool:
    return self.corruption.kind == "blind_gaussian"

  def noise_setting(self) -> str:
    cc = self.corruption
    if cc.kind == "gaussian":
      return f"gaussian sigma={float(cc.sigma):g}"
    if cc.kind == "blind_gaussian":
      what = "noise-map" if self.noise_conditioned else "blind"
      return f"{what} gaussian sigma {float(cc.sigma_min):g}-{float(cc.sigma_max):g}"
    field = {"salt_pepper": "amount", "masking": "fraction", "keras": "factor"}.get(cc.kind)
    return f"{cc.kind} {field}={cc[field]}" if field in cc else str(cc.kind)

  def sigma_range(self) -> tuple[float, float] | None:
    """The Gaussian sigmas (0-255 scale) the model was trained on; None for other noise."""
    cc = self.corruption
    if cc.kind == "gaussian":
      return float(cc.sigma), float(cc.sigma)
    if cc.kind == "blind_gaussian":
      return float(cc.sigma_min), float(cc.sigma_max)
    return None

  def describe(self) -> str:
    size = "x".join(map(str, self.image_shape))
    return (
      f"{self.name}\tmodel={self.model_config.name}\tnoise={self.noise_setting()}"
      f"\t{'gray' if self.channels == 1 else 'RGB'}\ttrained_on={self.trained_on} ({size}, "
      f"step {self.step})"
    )


def export_denoiser(config, params, image_shape, step: int, param_dtype: str = "float32") -> bytes:
  """The denoiser file's bytes; `param_dtype="float16"` halves them (loading widens back)."""
  params = stored_params.narrow(params, param_dtype)
  bundle = {
    **bundle_lib.model_fields(FORMAT, VERSION, config.model, image_shape),
    "corruption": json.dumps(config.corruption.to_dict(), sort_keys=True),
    "trained_on": str(config.data.name) + (" (gray)" if config.data.get("gray") else ""),
    "step": int(step),
    "params": params,
  }
  return bundle_lib.pack(bundle)


@functools.lru_cache(maxsize=32)
def _load(path: str, mtime_ns: int) -> Denoiser:
  del mtime_ns
  try:
    with open(path, "rb") as f:
      bundle = bundle_lib.unpack(f.read())
  except OSError as e:
    raise UserError(f"{path} is not a readable denoiser file ({e.strerror or e})") from e
  except bundle_lib.BundleError as e:
    raise UserError(f"{path} is not a readable denoiser file ({e})") from e
  if bundle.get("format") != FORMAT or bundle.get("version") != VERSION:
    raise UserError(f"{path} is not an ae denoiser file of version {VERSION}")
  try:
    mc = ml_collections.ConfigDict(json.loads(bundle["model"]))
    shape = tuple(int(d) for d in bundle["image_shape"])
    return Denoiser(
      os.path.basename(path)[: -len(SUFFIX)],
      mc,
      ml_collections.ConfigDict(json.loads(bundle["corruption"])),
      shape,
      bundle["trained_on"],
      int(bundle["step"]),
      stored_params.widen(bundle["params"]),
    )
  except (KeyError, ValueError, TypeError) as e:
    raise UserError(f"{path} has damaged contents ({type(e).__name__}: {e})") from e


def load(path: str) -> Denoiser:
  return _load(os.path.abspath(path), os.stat(path).st_mtime_ns)
