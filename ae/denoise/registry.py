"""Installed denoisers (`ae.store.catalog.DENOISERS`: `$AE_DENOISER_PATH`, then the shipped
`ae/store/denoisers/`) and which one an image gets. The file format is
`ae.store.denoiser_file`'s.
"""

from __future__ import annotations

from ae.store import catalog
from ae.store.denoiser_file import Denoiser, export_denoiser, load
from ae.utils.errors import UserError

__all__ = ["Denoiser", "available", "choose", "export_denoiser", "get", "load"]


def available() -> list[Denoiser]:
  denoisers = catalog.files(catalog.DENOISERS)
  return [load(denoisers[n]) for n in sorted(denoisers, key=catalog.natural_key)]


def get(name: str) -> Denoiser:
  """The denoiser called `name`, or a denoiser file path."""
  return load(catalog.find(catalog.DENOISERS, name))


def choose(channels: int, sigma: float | None = None, height: int = 0, width: int = 0) -> Denoiser:
  """The default for an image: a noise-conditioned model (it estimates sigma when none is
  given) or one trained at `sigma`, else a blind one (for gray images, colour-only
  models last); of the image's colour mode where
  there is a choice (a gray model serves RGB images and vice versa). Models trained on
  small images (at most 32x32, e.g. Fashion-MNIST's 28x28 gray) are chosen only for images
  of exactly their training shape; photo models for every other image, small ones too."""
  pool = available()
  if not pool:
    raise UserError("no denoiser is installed (`ae denoisers` lists them)")
  fits = lambda d: _small(d) and tuple(d.image_shape[:2]) == (height, width)
  small = any(fits(d) and d.channels == channels for d in pool)

  def rank(d):
    fixed = (
      d.corruption.kind == "gaussian" and sigma is not None and float(d.corruption.sigma) == sigma
    )
    return (
      not (fits(d) if small else not _small(d)),
      channels == 1 and d.colour_only,
      not (fixed or d.noise_conditioned),
      d.channels != channels,
      not d.blind,
      d.name,
    )

  return sorted(pool, key=rank)[0]


def _small(d: Denoiser) -> bool:
  """Whether `d` was trained on small images (at most 32x32, like Fashion-MNIST)."""
  return max(d.image_shape[:2]) <= 32
