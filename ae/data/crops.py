"""Training crops of whole photos, drawn on the fly: a pure function of (seed, step, position).

The crop at position `j` of global batch `s` uses `np.random.default_rng([seed, s, j])`:
a photo chosen with probability proportional to its pixel area, a uniform position,
a horizontal flip with probability 1/2 and, with `rotate`, a uniform number of quarter
turns (with the flip, the eight dihedral transforms); with `candidates` = k > 1, k such
crops are drawn and the one with the most detail (`detail`: the mean absolute
differences of horizontal and of vertical neighbours, summed) is kept, which tilts
training towards textured regions (the photo set's wallpapers are mostly smooth:
scripts/crop_detail_stats.py); for gray crops with a `chroma`
share, a crop becomes, with that probability, one of the two opponent chroma channels
(`photos.to_opponent`, each with probability 1/2) instead of luma, so that a gray
denoiser run on opponent channels (`ae.denoise.apply`) has seen such images. Nothing
depends on which process or worker draws it, so runs resume exactly and shard freely.

Shapes: photos uint8 [H, W, 3]; crops uint8 [n, size, size, 3] (or [..., 1] with `gray`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ae.data.photos import to_gray, to_opponent
from ae.utils.errors import ConfigError


def draw_crop(photos: list[np.ndarray], weights: np.ndarray, size: int, rotate: bool, rng):
  """One crop uint8 [size, size, 3] of `photos`, drawn with `rng`."""
  p = photos[int(rng.choice(len(photos), p=weights))]
  y, x = int(rng.integers(0, p.shape[0] - size + 1)), int(rng.integers(0, p.shape[1] - size + 1))
  crop = p[y : y + size, x : x + size]
  crop = crop[:, ::-1] if rng.random() < 0.5 else crop
  return np.rot90(crop, int(rng.integers(0, 4))) if rotate else crop


def detail(crop: np.ndarray) -> float:
  """The mean absolute difference of horizontal neighbours plus that of vertical ones in a
  uint8 crop [h, w, C], on the [0, 255] scale (0 to 510): 0 for a flat crop."""
  c = crop.astype(np.int16)
  return float(np.abs(np.diff(c, axis=0)).mean() + np.abs(np.diff(c, axis=1)).mean())


def draw_detailed_crop(
  photos: list[np.ndarray], weights: np.ndarray, size: int, rotate: bool, candidates: int, rng
):
  """The most detailed (`detail`) of `candidates` crops drawn by `draw_crop` with `rng`; for
  one candidate, exactly `draw_crop`'s crop."""
  drawn = [draw_crop(photos, weights, size, rotate, rng) for _ in range(candidates)]
  return drawn[0] if candidates == 1 else max(drawn, key=detail)


class RandomCrops:
  """A batch source (`ae.data.stream.BatchSource`) of on-the-fly photo crops; an epoch is
  `num_examples` crops. `load` gives the whole photos; it runs once in each process
  that draws (Grain workers included), so the photos are never pickled."""

  def __init__(
    self,
    load: Callable[[], list[np.ndarray]],
    size: int,
    num_examples: int,
    seed: int,
    rotate: bool = False,
    gray: bool = False,
    chroma: float = 0.0,
    candidates: int = 1,
  ):
    if not 0.0 <= chroma <= 1.0 or (chroma and not gray):
      raise ConfigError(f"data.chroma={chroma}: a share in [0, 1] of gray crops (data.gray)")
    if isinstance(candidates, bool) or int(candidates) != candidates or candidates < 1:
      raise ConfigError(f"data.candidates={candidates}: a whole number of crops, at least 1")
    self.candidates = int(candidates)
    self._load, self.size, self.num_examples = load, size, num_examples
    self.seed, self.rotate, self.gray, self.chroma = seed, rotate, gray, chroma
    self.image_shape = (size, size, 1 if gray else 3)
    self._photos = None

  def _held(self) -> tuple[list[np.ndarray], np.ndarray]:
    if self._photos is None:
      photos = [p for p in self._load() if min(p.shape[:2]) >= self.size]
      if not photos:
        raise ValueError(f"no photo is at least {self.size} pixels on each side")
      area = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
      self._photos = (photos, area / area.sum())
    return self._photos

  def batch(self, step: int, positions: np.ndarray) -> np.ndarray:
    photos, weights = self._held()
    return np.stack(
      [
        self._one(photos, weights, np.random.default_rng([self.seed, step, j]))
        for j in np.asarray(positions).tolist()
      ]
    )

  def _one(self, photos, weights, rng) -> np.ndarray:
    crop = draw_detailed_crop(photos, weights, self.size, self.rotate, self.candidates, rng)
    if not self.gray:
      return crop
    if self.chroma and rng.random() < self.chroma:  # drawn after the crop: same positions
      return to_opponent(crop)[..., 1 + int(rng.integers(0, 2)), None]
    return to_gray(crop)

  def sample(self, n: int) -> np.ndarray:
    """The crops of the first steps, batch by batch (32 a step): uint8 [n, size, size, C]."""
    n = min(n, self.num_examples)
    per = 32
    return np.concatenate([self.batch(s, np.arange(per)) for s in range(-(-n // per))])[:n]

  def __getstate__(self):
    return {**self.__dict__, "_photos": None}
