"""Bjontegaard delta rate (VCEG-M33, 2001): the average rate difference of two RD curves
at equal PSNR, over the PSNR range where both curves have points.

log(rate) is fitted as a function of PSNR, either by a cubic polynomial (the
original) or by a piecewise cubic Hermite interpolant (PCHIP, as in later JVET
tools), and integrated over the overlap [max(min p1, min p2), min(max p1, max p2)].
BD-rate = exp(mean difference of log rates) - 1, in percent: negative means the
test curve needs fewer bits than the anchor for the same quality.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator


def _sorted(rate, psnr):
  rate, psnr = np.asarray(rate, np.float64), np.asarray(psnr, np.float64)
  order = np.argsort(psnr)
  return np.log(rate[order]), psnr[order]


def _integral(log_rate: np.ndarray, psnr: np.ndarray, lo: float, hi: float, method: str) -> float:
  if method == "cubic":
    poly = np.polyint(np.polyfit(psnr, log_rate, min(3, len(psnr) - 1)))
    return float(np.polyval(poly, hi) - np.polyval(poly, lo))
  if method == "pchip":
    return float(PchipInterpolator(psnr, log_rate).integrate(lo, hi))
  raise ValueError(f"unknown BD fit '{method}' (cubic or pchip)")


def overlap(psnr_anchor, psnr_test) -> tuple[float, float]:
  """The PSNR interval both curves cover (lo > hi when they do not overlap)."""
  return max(np.min(psnr_anchor), np.min(psnr_test)), min(np.max(psnr_anchor), np.max(psnr_test))


def bd_rate(rate_anchor, psnr_anchor, rate_test, psnr_test, method: str = "cubic") -> float:
  """BD-rate of the test curve against the anchor, in percent (nan without overlap or
  with fewer than 2 distinct points per curve)."""
  la, pa = _sorted(rate_anchor, psnr_anchor)
  lt, pt = _sorted(rate_test, psnr_test)
  lo, hi = overlap(pa, pt)
  if hi <= lo or len(np.unique(pa)) < 2 or len(np.unique(pt)) < 2:
    return float("nan")
  diff = (_integral(lt, pt, lo, hi, method) - _integral(la, pa, lo, hi, method)) / (hi - lo)
  return float((np.exp(diff) - 1.0) * 100.0)
