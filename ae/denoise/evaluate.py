"""Denoising evaluation: noisy input, classical baselines, BM3D and trained denoisers, side by side.

For each set and sigma (0-255 scale), every clean uint8 image x gets Gaussian
noise n ~ N(0, sigma^2) from a fixed seed, unclipped (as papers report). The
noisy PSNR is of that float image; every method's output is clipped, rounded to
8 bits (what a user saves) and scored with PSNR and SSIM (ae.rd.metrics) against
x, averaged per image. TV and bilateral strengths are calibrated per set and
sigma on training images (`baselines.calibrate`), never on test images.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import numpy as np

from ae.denoise import baselines, denoise_float
from ae.rd import metrics

SIGMAS = (15.0, 25.0, 50.0)
TV_FACTORS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
BILATERAL_FACTORS = (0.5, 1.0, 2.0, 3.0, 4.0)


def add_noise(clean: np.ndarray, sigma: float, seed: int) -> np.ndarray:
  """Float [0, 1]-scale noisy image (unclipped) of a uint8 image."""
  rng = np.random.default_rng(seed)
  return clean.astype(np.float64) / 255.0 + rng.normal(0.0, sigma / 255.0, clean.shape)


def _to8(x: np.ndarray) -> np.ndarray:
  return np.round(np.clip(x, 0, 1) * 255.0).astype(np.uint8)


def methods_for(sigma: float, calib: list[np.ndarray], denoisers, include_bm3d: bool = True):
  """name -> fn(noisy float) -> float, with calibrated factors; and the factors chosen."""
  cal = [c.astype(np.float64) / 255.0 for c in calib]
  tv_f = baselines.calibrate(baselines.tv, cal, sigma, TV_FACTORS)
  bi_f = baselines.calibrate(baselines.bilateral, cal, sigma, BILATERAL_FACTORS)
  fns = {"tv": functools.partial(baselines.tv, sigma=sigma, factor=tv_f),
         "wavelet": functools.partial(baselines.wavelet, sigma=sigma),
         "nl_means": functools.partial(baselines.nl_means, sigma=sigma),
         "bilateral": functools.partial(baselines.bilateral, sigma=sigma, factor=bi_f)}
  if include_bm3d:
    fns["bm3d"] = functools.partial(baselines.bm3d, sigma=sigma)
  for d in denoisers:
    fns[d.name] = lambda x, d=d: denoise_float(x, d)
  return fns, {"tv_factor": tv_f, "bilateral_factor": bi_f}


def evaluate_set(name: str, clean: list[np.ndarray], calib: list[np.ndarray], denoisers,
                 sigmas=SIGMAS, seed: int = 0, log=print) -> tuple[list[dict], dict]:
  """Per-image records and the calibrated parameters of one image set."""
  records, params = [], {}
  for sigma in sigmas:
    fns, params[f"sigma={sigma:g}"] = methods_for(sigma, calib, denoisers)
    for i, x in enumerate(clean):
      noisy = add_noise(x, sigma, seed * 1_000_003 + int(sigma) * 1009 + i)
      records.append({"set": name, "sigma": sigma, "image": i, "method": "noisy",
                      "psnr": metrics.psnr(noisy * 255.0, x), "ssim": metrics.ssim(_to8(noisy), x)})
      for m, fn in fns.items():
        out = _to8(fn(noisy))
        records.append({"set": name, "sigma": sigma, "image": i, "method": m,
                        "psnr": metrics.psnr(out, x), "ssim": metrics.ssim(out, x)})
    if log:
      s = summarize([r for r in records if r["sigma"] == sigma])
      log(f"{name} sigma={sigma:g}: " + ", ".join(f"{r['method']} {r['psnr']:.2f}" for r in s))
  return records, params


def summarize(records: list[dict]) -> list[dict]:
  """Mean PSNR and SSIM per (set, sigma, method), per image averaged."""
  groups = defaultdict(list)
  for r in records:
    groups[(r["set"], r["sigma"], r["method"])].append(r)
  return [{"set": k[0], "sigma": k[1], "method": k[2], "images": len(v),
           "psnr": float(np.mean([r["psnr"] for r in v])),
           "ssim": float(np.nanmean([r["ssim"] for r in v]))} for k, v in groups.items()]


def markdown(summary: list[dict]) -> str:
  """One table per set: rows sigma, columns methods, cells PSNR / SSIM."""
  out = []
  for s in sorted({r["set"] for r in summary}):
    rows = [r for r in summary if r["set"] == s]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    out.append(f"**{s}** ({rows[0]['images']} images), PSNR dB / SSIM\n")
    out.append("| sigma | " + " | ".join(methods) + " |")
    out.append("|---" * (len(methods) + 1) + "|")
    for sigma in sorted({r["sigma"] for r in rows}):
      cell = {r["method"]: r for r in rows if r["sigma"] == sigma}
      out.append(f"| {sigma:g} | " + " | ".join(
          f"{cell[m]['psnr']:.2f} / {cell[m]['ssim']:.3f}" if m in cell else "—" for m in methods) + " |")
    out.append("")
  return "\n".join(out) + "\n"
