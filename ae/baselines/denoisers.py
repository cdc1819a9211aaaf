"""Classical denoisers (scikit-image) and BM3D (PyPI `bm3d`), parameters from the known sigma.

All take a noisy float image [H, W] or [H, W, 3] on the [0, 1] scale (unclipped)
and the noise sigma on the 0-255 scale, and return a float image clipped to [0, 1]:

- tv: total variation, Chambolle's projection (skimage `denoise_tv_chambolle`),
  weight = TV_FACTOR * sigma / 255;
- wavelet: BayesShrink soft thresholding of db1 wavelets, sigma given (skimage);
- nl_means: non-local means (Buades et al. 2005), fast mode, patch 5, distance 6,
  h = 0.8 sigma with sigma given, as skimage's documentation advises;
- bilateral: skimage `denoise_bilateral` on the clipped image, sigma_color =
  BILATERAL_FACTOR * sigma / 255, sigma_spatial = 1.5;
- bm3d: BM3D (Dabov et al. 2007) with sigma_psd = sigma / 255; `bm3d_rgb` (YCbCr
  opponent transform) for colour.
For impulse noise (no sigma):
- median: 3x3 median filter per channel (scipy.ndimage);
- inpaint_extremes: pixels at exactly 0 or 1 in every channel taken as hit and
  filled by biharmonic inpainting (skimage `inpaint_biharmonic`; Damelin and
  Hoang 2018), no oracle mask: true black or white pixels are inpainted too.
The TV and bilateral factors were calibrated once on training photos and
Fashion-MNIST train images (`calibrate` below), never on the test images.
"""

from __future__ import annotations

import numpy as np
from skimage import restoration

TV_FACTOR = 1.0
BILATERAL_FACTOR = 2.0


def _axis(x: np.ndarray):
  return -1 if x.ndim == 3 else None


def tv(x: np.ndarray, sigma: float, factor: float = TV_FACTOR) -> np.ndarray:
  return np.clip(
    restoration.denoise_tv_chambolle(x, weight=factor * sigma / 255.0, channel_axis=_axis(x)), 0, 1
  )


def wavelet(x: np.ndarray, sigma: float) -> np.ndarray:
  return np.clip(
    restoration.denoise_wavelet(
      x,
      sigma=sigma / 255.0,
      mode="soft",
      method="BayesShrink",
      rescale_sigma=True,
      channel_axis=_axis(x),
    ),
    0,
    1,
  )


def nl_means(x: np.ndarray, sigma: float) -> np.ndarray:
  s = sigma / 255.0
  return np.clip(
    restoration.denoise_nl_means(
      x, h=0.8 * s, sigma=s, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=_axis(x)
    ),
    0,
    1,
  )


def bilateral(x: np.ndarray, sigma: float, factor: float = BILATERAL_FACTOR) -> np.ndarray:
  return np.clip(
    restoration.denoise_bilateral(
      np.clip(x, 0, 1), sigma_color=factor * sigma / 255.0, sigma_spatial=1.5, channel_axis=_axis(x)
    ),
    0,
    1,
  )


def bm3d(x: np.ndarray, sigma: float) -> np.ndarray:
  import bm3d as bm3d_lib  # pylint: disable=g-import-not-at-top  # optional: the BM3D baseline

  s = sigma / 255.0
  out = bm3d_lib.bm3d_rgb(x, s) if x.ndim == 3 else bm3d_lib.bm3d(x, s)
  return np.clip(np.asarray(out, np.float64), 0, 1)


def median(x: np.ndarray) -> np.ndarray:
  from scipy import ndimage  # pylint: disable=g-import-not-at-top  # scipy only for this baseline

  size = (3, 3, 1) if x.ndim == 3 else (3, 3)
  return np.clip(ndimage.median_filter(x, size=size, mode="reflect"), 0, 1)


def inpaint_extremes(x: np.ndarray) -> np.ndarray:
  x3 = x if x.ndim == 3 else x[..., None]
  mask = np.all((x3 == 0.0) | (x3 == 1.0), axis=-1)
  if not mask.any() or mask.all():
    return np.clip(x, 0, 1)
  out = restoration.inpaint_biharmonic(x, mask, channel_axis=_axis(x))
  return np.clip(out, 0, 1)


BASELINES = {
  "tv": tv,
  "wavelet": wavelet,
  "nl_means": nl_means,
  "bilateral": bilateral,
  "bm3d": bm3d,
}


def calibrate(fn, clean: list[np.ndarray], sigma: float, factors, seed: int = 0) -> float:
  """The factor of `fn(x, sigma, factor)` with the best mean PSNR on `clean` images."""
  rng = np.random.default_rng(seed)
  noisy = [c + rng.normal(0, sigma / 255.0, c.shape) for c in clean]

  def score(f):
    return np.mean([-np.mean((fn(n, sigma, f) - c) ** 2) for n, c in zip(noisy, clean)])

  return max(factors, key=score)
