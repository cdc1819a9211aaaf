"""Distortion metrics in numpy: PSNR of an MSE, and PSNR, SSIM, MS-SSIM of 8-bit images.

`psnr_of_mse` is the one PSNR formula of the package (the jitted training metrics use
`ae.ops.losses.psnr_from_mse`, its jax twin). Images are uint8 [H, W] or [H, W, C] on
the [0, 255] scale; image metrics are computed on that scale (data range 255) and
averaged over channels.
"""

from __future__ import annotations

import numpy as np

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli, Bovik 2003
_K1, _K2, _L = 0.01, 0.03, 255.0


def psnr_of_mse(mse, peak: float = 1.0):
  """10 log10(peak^2 / MSE) in dB, elementwise (MSE floored at 1e-12 peak^2: at most 120 dB);
  peak 1 for data in [0, 1], 255 for [0, 255]."""
  mse = np.asarray(mse, np.float64)
  return 10.0 * np.log10(peak**2 / np.maximum(mse, 1e-12 * peak**2))


def mean_psnr(mse, peak: float = 1.0) -> float:
  """The mean over images of each image's PSNR (dB) from per-image MSEs [N]."""
  return float(np.mean(psnr_of_mse(mse, peak)))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
  """10 log10(255^2 / MSE) in dB over all pixels and channels (inf when equal)."""
  mse = float(np.mean(np.square(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
  return float("inf") if mse == 0 else 10.0 * np.log10(_L**2 / mse)


def _gauss(size: int = 11, sigma: float = 1.5) -> np.ndarray:
  x = np.arange(size) - (size - 1) / 2
  g = np.exp(-(x**2) / (2 * sigma**2))
  return g / g.sum()


def _filter(x: np.ndarray) -> np.ndarray:
  """Valid 11x11 Gaussian filtering (sigma 1.5) of [H, W] -> [H - 10, W - 10]."""
  g = _gauss()
  # scipy.ndimage costs seconds to import: loaded only when SSIM is asked for, so
  # that `ae decompress` (which reports PSNR) starts fast.
  from scipy.ndimage import convolve1d  # pylint: disable=g-import-not-at-top  # scipy only for MS-SSIM

  y = convolve1d(convolve1d(x, g, axis=0, mode="constant"), g, axis=1, mode="constant")
  return y[5:-5, 5:-5]


def _ssim_terms(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
  """(mean SSIM, mean contrast-structure term) of one channel (Wang et al. 2004)."""
  c1, c2 = (_K1 * _L) ** 2, (_K2 * _L) ** 2
  mx, my = _filter(x), _filter(y)
  sxx, syy, sxy = _filter(x * x) - mx**2, _filter(y * y) - my**2, _filter(x * y) - mx * my
  cs = (2 * sxy + c2) / (sxx + syy + c2)
  return float(np.mean((2 * mx * my + c1) / (mx**2 + my**2 + c1) * cs)), float(np.mean(cs))


def _channels(a: np.ndarray) -> np.ndarray:
  a = np.asarray(a, np.float64)
  return a[..., None] if a.ndim == 2 else a


def ssim(a: np.ndarray, b: np.ndarray) -> float:
  """Single-scale SSIM, 11x11 Gaussian window (sigma 1.5); nan if a side is below 11."""
  a, b = _channels(a), _channels(b)
  if min(a.shape[:2]) < 11:
    return float("nan")
  return float(np.mean([_ssim_terms(a[..., c], b[..., c])[0] for c in range(a.shape[2])]))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
  """MS-SSIM over 5 scales (Wang, Simoncelli, Bovik 2003), 2x2 average pooling between
  scales; nan when the smaller side is below 161 pixels (the coarsest scale needs 11)."""
  a, b = _channels(a), _channels(b)
  if min(a.shape[:2]) < 161:
    return float("nan")
  values = []
  for c in range(a.shape[2]):
    x, y, prod = a[..., c], b[..., c], 1.0
    for i, w in enumerate(MS_SSIM_WEIGHTS):
      s, cs = _ssim_terms(x, y)
      if i == len(MS_SSIM_WEIGHTS) - 1:
        prod *= max(s, 0.0) ** w
      else:
        prod *= max(cs, 0.0) ** w
        h, wd = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
        x = x[:h, :wd].reshape(h // 2, 2, wd // 2, 2).mean((1, 3))
        y = y[:h, :wd].reshape(h // 2, 2, wd // 2, 2).mean((1, 3))
    values.append(prod)
  return float(np.mean(values))
