"""Frozen integer CDF tables for the entropy coder, built once at export, in numpy.

Each table codes symbols s in [lo, hi] plus one escape symbol (index hi - lo + 1)
for values outside; an escaped value's excess is sent separately by
`ae.codec.coder` (a 5-bit length, then raw bits), and `table_bits` charges that. Counts are
integers summing to 2^precision, every symbol at least 1, so a coder decodes
exactly what the encoder coded on any machine: no float enters decoding once a
table and its index are fixed.

Layout (as CompressAI's, padded): `cdf` int32 [T, L_max + 1] with a leading 0,
`cdf_length` [T] (number of symbols incl. escape, + 1), `lo` int32 [T].
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 16


def quantized_cdf(pmf: np.ndarray, precision: int = PRECISION) -> np.ndarray:
  """Integer CDF [n + 1] (0 ... 2^precision) of a pmf [n], every symbol's count >= 1.

  Counts are rounded probabilities; the difference to 2^precision is taken from
  (or given to) the largest counts, deterministically (stable order).
  """
  pmf = np.asarray(pmf, np.float64)
  total = 1 << precision
  if pmf.ndim != 1 or len(pmf) > total or not np.all(np.isfinite(pmf)):
    raise ValueError("pmf must be a finite 1-D array shorter than 2^precision")
  counts = np.maximum(1, np.round(pmf / max(pmf.sum(), 1e-300) * total)).astype(np.int64)
  diff = int(counts.sum() - total)
  order = np.argsort(-counts, kind="stable")
  i = 0
  while diff != 0:
    j = order[i % len(order)]
    step = min(diff, counts[j] - 1) if diff > 0 else diff
    counts[j] -= step
    diff -= step
    i += 1
  return np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)


def pack(cdfs: list[np.ndarray], los: list[int]) -> dict[str, np.ndarray]:
  """Pads a list of CDFs into the {cdf, cdf_length, lo} layout."""
  width = max(len(c) for c in cdfs)
  cdf = np.stack([np.pad(c, (0, width - len(c)), constant_values=c[-1]) for c in cdfs])
  return {
    "cdf": cdf.astype(np.int32),
    "cdf_length": np.array([len(c) for c in cdfs], np.int32),
    "lo": np.array(los, np.int32),
  }


def to_stored(tables: dict) -> dict:
  """The file form of packed tables: rows trimmed to their length and concatenated
  (`cdf_flat`), which for scale tables is ~8x smaller than the padded array."""
  out = {k: v for k, v in tables.items() if k != "cdf"}
  out["cdf_flat"] = np.concatenate([row[:n] for row, n in zip(tables["cdf"], tables["cdf_length"])])
  return out


def from_stored(stored: dict) -> dict:
  """Inverse of `to_stored`: the padded {cdf, cdf_length, lo, ...} layout."""
  lengths = np.asarray(stored["cdf_length"], np.int64)
  flat = np.asarray(stored["cdf_flat"], np.int32)
  if lengths.min() < 2 or lengths.sum() != len(flat):
    raise ValueError("inconsistent stored tables")
  rows = np.split(flat, np.cumsum(lengths)[:-1])
  out = {k: np.asarray(v) for k, v in stored.items() if k != "cdf_flat"}
  return {**out, **{k: v for k, v in pack(rows, list(stored["lo"])).items() if k == "cdf"}}


def factorized_tables(likelihood_fn, quantiles: np.ndarray, precision: int = PRECISION) -> dict:
  """Tables of a factorized prior, one per channel.

  Args:
    likelihood_fn: values [C, n] -> bin probabilities [C, n] (the trained density).
    quantiles: [C, 3] lower tail quantile, median, upper tail quantile.
  Returns the packed tables plus `offset` float32 [C], the medians symbols are taken around.
  """
  med = quantiles[:, 1].astype(np.float32)
  lo = np.floor(quantiles[:, 0] - med).astype(np.int64)
  hi = np.ceil(quantiles[:, 2] - med).astype(np.int64)
  width = int((hi - lo).max()) + 1
  grid = lo[:, None] + np.arange(width)[None, :]
  p = np.asarray(likelihood_fn((med[:, None] + grid).astype(np.float32)), np.float64)
  cdfs, los = [], []
  for c in range(len(med)):
    pmf = p[c, : hi[c] - lo[c] + 1]
    cdfs.append(quantized_cdf(np.append(pmf, max(0.0, 1.0 - pmf.sum())), precision))
    los.append(int(lo[c]))
  return {**pack(cdfs, los), "offset": med}


def conditional_tables(
  likelihood_fn,
  scale_table: np.ndarray,
  tail_mass: float = 1e-9,
  family: str = "gaussian",
  precision: int = PRECISION,
) -> dict:
  """Tables of a zero-mean conditional density, one per scale of `scale_table` [T].

  likelihood_fn(values [n], scale) -> bin probabilities [n]. Symbol range
  [-R, R] with R = ceil(scale * multiplier) covers all but `tail_mass`.
  """
  # scipy.special costs 0.5 s to import; only export builds tables, decoding reads them.
  from scipy.special import ndtri  # pylint: disable=g-import-not-at-top  # scipy only when building tables

  mult = -ndtri(tail_mass / 2) if family == "gaussian" else math.log(1.0 / tail_mass)
  cdfs, los = [], []
  for s in np.asarray(scale_table, np.float64):
    r = int(math.ceil(s * mult))
    pmf = np.asarray(
      likelihood_fn(np.arange(-r, r + 1, dtype=np.float32), np.float32(s)), np.float64
    )
    cdfs.append(quantized_cdf(np.append(pmf, max(0.0, 1.0 - pmf.sum())), precision))
    los.append(-r)
  return {**pack(cdfs, los), "scale_table": np.asarray(scale_table, np.float32)}


ESCAPE_LENGTHS = 32


def escape_bits(zigzag: np.ndarray) -> np.ndarray:
  """Bits `ae.codec.coder` spends on an escaped excess with zigzag code v >= 0:
  log2(32) for its bit length L = floor(log2(v + 1)), then L raw bits."""
  return np.log2(ESCAPE_LENGTHS) + np.floor(np.log2(np.asarray(zigzag, np.float64) + 1))


def table_bits(
  symbols: np.ndarray, table_index: np.ndarray, tables: dict, precision: int = PRECISION
) -> np.ndarray:
  """Bits to code integer `symbols` with the table of each `table_index` (same shape).

  In-range symbols cost -log2(count / 2^precision); others cost the escape
  symbol plus `escape_bits` of their zigzagged excess.
  """
  symbols = np.asarray(symbols, np.int64)
  idx = np.asarray(table_index, np.int64)
  lo = tables["lo"][idx].astype(np.int64)
  n = tables["cdf_length"][idx].astype(np.int64) - 1  # symbols incl. escape
  k = symbols - lo
  escape = (k < 0) | (k >= n - 1)
  kk = np.where(escape, n - 1, k)
  cdf = tables["cdf"]
  counts = cdf[idx, kk + 1].astype(np.int64) - cdf[idx, kk].astype(np.int64)
  bits = precision - np.log2(counts)
  excess = np.where(k < 0, -k - 1, k - (n - 1))
  zigzag = np.where(escape, np.where(k < 0, 2 * excess + 1, 2 * excess), 0)
  return bits + np.where(escape, escape_bits(zigzag), 0.0)


def scale_index(scales: np.ndarray, scale_table: np.ndarray) -> np.ndarray:
  """Index of the smallest table scale >= each scale (the last one for larger scales)."""
  idx = np.searchsorted(np.asarray(scale_table, np.float32), np.asarray(scales, np.float32), "left")
  return np.minimum(idx, len(scale_table) - 1).astype(np.int32)
