"""The frozen integer tables of bits-back coding (`ae.codec.bitsback`), built at export.

Every probability that decides a symbol is an integer computed from these tables by
integer arithmetic, so encoder and decoder agree on every machine. They are built once,
in float64 with the standard library (`math.erf`, `math.exp`,
`statistics.NormalDist.inv_cdf`), rounded to integers and stored in the codec file:
whatever the building machine's libm did, every reader uses the same integers.

  normal_cdf [2 T_N 64 + 1]    round(2^PRECISION Phi(j / 64)), j in [-T_N 64, T_N 64]
  logistic_cdf [2 T_L 64 + 1]  round(2^PRECISION sigmoid(j / 64)), j in [-T_L 64, T_L 64]
  edges [K - 1]                interior edges of K buckets of equal mass 1/K under the
                               prior N(0, 1), Phi^-1(i / K), OUT_FRAC fractional bits
  centres [K]                  Phi^-1((i + 1/2) / K), the latent value of bucket i
  inv_sigma [J_SIGMA]          round(2^INV_FRAC / sigma_j), sigma_j = exp(SIGMA_LOG_MIN
                               + (j + 1/2) / 64): the posterior's scale grid
  inv_scale [J_SCALE]          the same for the pixel logistic's scale, from
                               LOG_SCALE_MIN (in [0, 1] pixel units)

Buckets of equal prior mass are Townsend, Bird, Barber 2019's discretization (BB-ANS,
section 2.5.1): the prior costs exactly LATENT_BITS bits per latent dimension.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

PRECISION = 24  # integer pmfs sum to 2^PRECISION (constriction's ANS precision)
LATENT_BITS = 10  # K = 2^10 buckets per latent dimension
OUT_FRAC = 16  # fractional bits of the networks' outputs (means, log-variances, log scales)
INV_FRAC = 16  # fractional bits of the inverse scales
GRID = 64  # table and scale-grid points per unit
NORMAL_SPAN = 8  # the normal CDF table covers t in [-8, 8]
LOGISTIC_SPAN = 16  # the logistic CDF table covers t in [-16, 16]
SIGMA_LOG_MIN, SIGMA_LOG_MAX = -8.0, 3.0  # posterior log sigma grid (nats of scale)
J_SIGMA = int((SIGMA_LOG_MAX - SIGMA_LOG_MIN) * GRID)
# The pixel logistic's log-scale clip, as ae.ops.vae_math's LOGISTIC_LOG_SCALE_MIN/MAX
# (that module imports jax; decoding must not; a test checks they agree).
LOG_SCALE_MIN, LOG_SCALE_MAX = -7.0, 1.0
J_SCALE = int((LOG_SCALE_MAX - LOG_SCALE_MIN) * GRID)
KEYS = ("normal_cdf", "logistic_cdf", "edges", "centres", "inv_sigma", "inv_scale")


def _grid(span: int) -> np.ndarray:
  return np.arange(-span * GRID, span * GRID + 1) / GRID


def _cdf_table(fn, span: int) -> np.ndarray:
  return np.array([round(fn(float(t)) * 2**PRECISION) for t in _grid(span)], np.int64)


def _normal_cdf(t: float) -> float:
  return 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))


def _sigmoid(t: float) -> float:
  return 1.0 / (1.0 + math.exp(-t))


def _inverse_scales(log_min: float, count: int) -> np.ndarray:
  logs = log_min + (np.arange(count) + 0.5) / GRID
  return np.array([round(2**INV_FRAC * math.exp(-v)) for v in logs], np.int64)


def build() -> dict[str, np.ndarray]:
  """The tables (int64 arrays), as stored in a lossless codec file."""
  k = 1 << LATENT_BITS
  inv = statistics.NormalDist().inv_cdf
  tables = {
    "normal_cdf": _cdf_table(_normal_cdf, NORMAL_SPAN),
    "logistic_cdf": _cdf_table(_sigmoid, LOGISTIC_SPAN),
    "edges": np.array([round(inv(i / k) * 2**OUT_FRAC) for i in range(1, k)], np.int64),
    "centres": np.array([round(inv((i + 0.5) / k) * 2**OUT_FRAC) for i in range(k)], np.int64),
    "inv_sigma": _inverse_scales(SIGMA_LOG_MIN, J_SIGMA),
    "inv_scale": _inverse_scales(LOG_SCALE_MIN, J_SCALE),
  }
  check(tables)
  return tables


def check(tables: dict) -> dict[str, np.ndarray]:
  """The tables as int64 arrays; ValueError unless each has its size and is ordered."""
  out = {key: np.asarray(tables[key], np.int64) for key in KEYS}
  k = 1 << LATENT_BITS
  sizes = {
    "normal_cdf": 2 * NORMAL_SPAN * GRID + 1,
    "logistic_cdf": 2 * LOGISTIC_SPAN * GRID + 1,
    "edges": k - 1,
    "centres": k,
    "inv_sigma": J_SIGMA,
    "inv_scale": J_SCALE,
  }
  for key, size in sizes.items():
    if out[key].shape != (size,):
      raise ValueError(f"bits-back table {key} has shape {out[key].shape}, not ({size},)")
  for key in ("normal_cdf", "logistic_cdf"):
    t = out[key]
    if np.any(np.diff(t) < 0) or t[0] < 0 or t[-1] > 2**PRECISION:
      raise ValueError(f"bits-back table {key} is not a CDF")
  if np.any(np.diff(out["edges"]) <= 0):
    raise ValueError("bits-back bucket edges are not increasing")
  if np.any(out["inv_sigma"] <= 0) or np.any(out["inv_scale"] <= 0):
    raise ValueError("bits-back inverse scales must be positive")
  return out
