"""Denoising evaluation: noisy input, classical baselines, BM3D and trained denoisers, side by side.

For each set and sigma (0-255 scale), every clean uint8 image x gets Gaussian
noise n ~ N(0, sigma^2) from a fixed seed, unclipped (as papers report). The
noisy PSNR is of that float image; every method's output is clipped, rounded to
8 bits (what a user saves) and scored with PSNR and SSIM (ae.ops.metrics) against
x, averaged per image. TV and bilateral strengths are calibrated per set and
sigma on training images (`baselines.calibrate`), never on test images.

Impulse noise (`evaluate_impulse`): salt-and-pepper (a fraction of pixels set to
0 or 255) and masking (a fraction set to 0), as `ae.ops.corruptions` draws them in
training; against a 3x3 median filter and biharmonic inpainting of the pixels
found at 0 or 255 (no oracle mask), and the denoisers trained on that corruption.
Every record names its noise ("gaussian 25", "salt_pepper 0.1", "masking 0.25").
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict

import numpy as np

from ae.baselines import denoisers as baselines
from ae.denoise import denoise_float
from ae.denoise.apply import estimate_sigma
from ae.ops import metrics

SIGMAS = (15.0, 25.0, 50.0)
TV_FACTORS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
BILATERAL_FACTORS = (0.5, 1.0, 2.0, 3.0, 4.0)
GAUSSIAN_KINDS = ("gaussian", "blind_gaussian", "keras")  # denoisers scored on Gaussian noise


def noise_seed(sigma: float, image: int, seed: int = 0) -> int:
  """The seed of the Gaussian noise added to test image `image` at `sigma` (0-255)."""
  return seed * 1_000_003 + int(sigma) * 1009 + image


def add_noise(clean: np.ndarray, sigma: float, seed: int) -> np.ndarray:
  """Float [0, 1]-scale noisy image (unclipped) of a uint8 image."""
  rng = np.random.default_rng(seed)
  return clean.astype(np.float64) / 255.0 + rng.normal(0.0, sigma / 255.0, clean.shape)


def add_impulse(clean: np.ndarray, kind: str, amount: float, seed: int) -> np.ndarray:
  """Float [0, 1] image with a fraction `amount` of pixels (all channels together) hit:
  `salt_pepper` sets them to 0 or 1 with equal odds, `masking` to 0."""
  rng = np.random.default_rng(seed)
  x = clean.astype(np.float64) / 255.0
  shape = clean.shape[:2] + (1,) * (clean.ndim - 2)
  hit = rng.random(shape) < amount
  value = (rng.random(shape) < 0.5).astype(np.float64) if kind == "salt_pepper" else 0.0
  return np.where(hit, value, x)


def _to8(x: np.ndarray) -> np.ndarray:
  return np.round(np.clip(x, 0, 1) * 255.0).astype(np.uint8)


def methods_for(
  sigma: float,
  calib: list[np.ndarray],
  denoisers,
  include_bm3d: bool = True,
  ensemble: bool = False,
):
  """name -> fn(noisy float) -> float, with calibrated factors; and the factors chosen.

  With `ensemble`, every noise-conditioned denoiser also appears as "NAME x8": its mean
  over the 8 flips and rotations (`ae denoise --ensemble`, 8x the work)."""
  cal = [c.astype(np.float64) / 255.0 for c in calib]
  tv_f = baselines.calibrate(baselines.tv, cal, sigma, TV_FACTORS)
  bi_f = baselines.calibrate(baselines.bilateral, cal, sigma, BILATERAL_FACTORS)
  fns = {
    "tv": functools.partial(baselines.tv, sigma=sigma, factor=tv_f),
    "wavelet": functools.partial(baselines.wavelet, sigma=sigma),
    "nl_means": functools.partial(baselines.nl_means, sigma=sigma),
    "bilateral": functools.partial(baselines.bilateral, sigma=sigma, factor=bi_f),
  }
  if include_bm3d:
    fns["bm3d"] = functools.partial(baselines.bm3d, sigma=sigma)
  fns.update(denoiser_methods(sigma, denoisers, ensemble))
  return fns, {"tv_factor": tv_f, "bilateral_factor": bi_f}


def denoiser_methods(sigma: float, denoisers, ensemble: bool = False) -> dict:
  """name -> fn(noisy float) -> float for trained denoisers at `sigma` (0-255): a
  noise-conditioned model is told sigma, as BM3D is; with `ensemble` it also appears as
  "NAME x8", its self-ensemble."""
  fns = {}
  for d in denoisers:
    fns[d.name] = lambda x, d=d: denoise_float(x, d, sigma if d.noise_conditioned else None)
  for d in denoisers if ensemble else ():
    if d.noise_conditioned:
      fns[f"{d.name} x8"] = lambda x, d=d: denoise_float(x, d, sigma, ensemble=True)
  return fns


def score(name: str, noise: str, clean: list[np.ndarray], corrupt, fns, log) -> list[dict]:
  """Records of the noisy input and of each method on every image of a set."""
  records = []
  for i, x in enumerate(clean):
    noisy = corrupt(x, i)
    records.append(
      {
        "set": name,
        "noise": noise,
        "image": i,
        "method": "noisy",
        "psnr": metrics.psnr(noisy * 255.0, x),
        "ssim": metrics.ssim(_to8(noisy), x),
      }
    )
    for m, fn in fns.items():
      t = time.perf_counter()
      out = _to8(fn(noisy))
      seconds = time.perf_counter() - t
      records.append(
        {
          "set": name,
          "noise": noise,
          "image": i,
          "method": m,
          "seconds": seconds,
          "psnr": metrics.psnr(out, x),
          "ssim": metrics.ssim(out, x),
        }
      )
  if log:
    log(
      f"{name} {noise}: " + ", ".join(f"{r['method']} {r['psnr']:.2f}" for r in summarize(records))
    )
  return records


def evaluate_set(
  name: str,
  clean: list[np.ndarray],
  calib: list[np.ndarray],
  denoisers,
  sigmas=SIGMAS,
  seed: int = 0,
  log=print,
  ensemble: bool = False,
) -> tuple[list[dict], dict]:
  """Per-image records under Gaussian noise and the calibrated parameters of one image set;
  denoisers trained on impulse noise are left out; `ensemble` as in `methods_for`."""
  records, params = [], {}
  gaussian = [d for d in denoisers if d.corruption.kind in GAUSSIAN_KINDS]
  for sigma in sigmas:
    fns, params[f"sigma={sigma:g}"] = methods_for(sigma, calib, gaussian, ensemble=ensemble)
    corrupt = lambda x, i, sigma=sigma: add_noise(x, sigma, noise_seed(sigma, i, seed))
    records += score(name, f"gaussian {sigma:g}", clean, corrupt, fns, log)
  return records, params


IMPULSE = (("salt_pepper", 0.1), ("masking", 0.25))


def evaluate_impulse(
  name: str, clean: list[np.ndarray], denoisers, settings=IMPULSE, seed: int = 0, log=print
) -> list[dict]:
  """Per-image records under each (kind, amount) of `settings`: median filter, inpainting
  and the denoisers trained on that kind of corruption."""
  records = []
  for kind, amount in settings:
    fns = {"median3": baselines.median, "inpaint": baselines.inpaint_extremes}
    for d in denoisers:
      if d.corruption.kind == kind:
        fns[d.name] = lambda x, d=d: denoise_float(x, d)
    corrupt = lambda x, i, k=kind, a=amount: add_impulse(x, k, a, seed * 1_000_003 + 7919 + i)
    records += score(name, f"{kind} {amount:g}", clean, corrupt, fns, log)
  return records


def summarize(records: list[dict]) -> list[dict]:
  """Mean PSNR and SSIM per (set, noise, method), per image averaged."""
  groups = defaultdict(list)
  for r in records:
    groups[(r["set"], r["noise"], r["method"])].append(r)
  return [
    {
      "set": k[0],
      "noise": k[1],
      "method": k[2],
      "images": len(v),
      "psnr": float(np.mean([r["psnr"] for r in v])),
      "ssim": float(np.nanmean([r["ssim"] for r in v])),
      "seconds": float(np.median([r.get("seconds", np.nan) for r in v])),
    }
    for k, v in groups.items()
  ]


def sigma_estimates(name: str, clean: list[np.ndarray], sigmas=SIGMAS, seed: int = 0) -> list[dict]:
  """The wavelet MAD estimate of sigma (`ae.denoise.estimate_sigma`, what `ae denoise`
  uses without --sigma) on each image of a set with the noise of `evaluate_set`, its
  input clipped and rounded to 8 bits as a saved file is: true, mean estimate, mean
  absolute error, all on the 0-255 scale."""
  out = []
  for sigma in sigmas:
    est = [
      estimate_sigma(_to8(add_noise(x, sigma, noise_seed(sigma, i, seed))) / 255.0)
      for i, x in enumerate(clean)
    ]
    out.append(
      {
        "set": name,
        "sigma": float(sigma),
        "mean_estimate": float(np.mean(est)),
        "mean_abs_error": float(np.mean(np.abs(np.array(est) - sigma))),
      }
    )
  return out


def markdown(summary: list[dict]) -> str:
  """One table per set and noise family: rows noise, columns methods, cells PSNR / SSIM."""
  out = []
  family = lambda noise: "gaussian" if noise.startswith("gaussian") else "impulse"
  for s in sorted({r["set"] for r in summary}):
    for fam in ("gaussian", "impulse"):
      rows = [r for r in summary if r["set"] == s and family(r["noise"]) == fam]
      if rows:
        out += _table(f"**{s}**, {fam} noise ({rows[0]['images']} images), PSNR dB / SSIM\n", rows)
  return "\n".join(out) + "\n"


def _table(title: str, rows: list[dict]) -> list[str]:
  methods = list(dict.fromkeys(r["method"] for r in rows))
  out = [title, "| noise | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
  for noise in dict.fromkeys(r["noise"] for r in rows):
    cell = {r["method"]: r for r in rows if r["noise"] == noise}
    out.append(
      f"| {noise} | "
      + " | ".join(
        f"{cell[m]['psnr']:.2f} / {cell[m]['ssim']:.3f}" if m in cell else "—" for m in methods
      )
      + " |"
    )
  timed = {m: [r["seconds"] for r in rows if r["method"] == m and "seconds" in r] for m in methods}
  secs = {m: float(np.median(t)) if t else None for m, t in timed.items()}
  out.append(
    "| time (s per image, median) | "
    + " | ".join("—" if m == "noisy" or secs[m] is None else f"{secs[m]:.2f}" for m in methods)
    + " |"
  )
  return out + [""]
