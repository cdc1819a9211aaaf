"""Entropy coding of integer symbols with frozen integer tables, by constriction's ANS coder.

One stream codes a flat array of integer symbols, each with the index of the
table (`ae.compression.tables` layout) that models it. Symbols are grouped by
table (ascending index, raster order inside a group) so each group is one
vectorized call with one `Categorical` model: no per-symbol Python loop.

Tables hold 16-bit integer counts; they are handed to constriction as float64
counts, which its lazy quantization (`perfect=False`) divides and scales by
powers of two only, so encoder and decoder build identical models everywhere.

Escapes: a symbol outside its table's range [lo, lo + n - 2] is coded as the
escape symbol (index n - 1), then its zigzagged excess v >= 0 as an Elias-gamma
style pair: the bit length L = bit_length(v + 1) - 1 with a uniform model over
32 values (5 bits), then the low L bits of v + 1 (uniform, in chunks of at most
16 bits). `tables.escape_bits` gives that cost, which `tables.table_bits` charges.
"""

from __future__ import annotations

import constriction
import numpy as np

from ae.compression import tables as tbl

ESCAPE_LENGTHS = tbl.ESCAPE_LENGTHS  # escaped excess values below 2^32 - 1
_CHUNK_BITS = 16
_model = constriction.stream.model


class CodingError(ValueError):
  """A stream that cannot be decoded with the given tables (corrupt or foreign)."""


def _zigzag_excess(k: np.ndarray, n: np.ndarray) -> np.ndarray:
  """Escaped offsets k (< 0 or >= n - 1) -> non-negative codes."""
  return np.where(k < 0, 2 * (-k - 1) + 1, 2 * (k - (n - 1)))


def _unzigzag(v: np.ndarray, n: np.ndarray) -> np.ndarray:
  return np.where(v % 2 == 1, -(v + 1) // 2, v // 2 + (n - 1))


def _chunks(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """For bit lengths L [E]: owner [K] and chunk sizes in bits [K], low chunks first."""
  owner, bits = [], []
  for e, length in enumerate(lengths.tolist()):
    while length > 0:
      b = min(length, _CHUNK_BITS)
      owner.append(e)
      bits.append(b)
      length -= b
  return np.array(owner, np.int64), np.array(bits, np.int64)


def _shifts(owner: np.ndarray, bits: np.ndarray) -> np.ndarray:
  """Bit position of each chunk inside its owner's value (chunks of one owner are adjacent)."""
  before = np.cumsum(bits) - bits
  return before - before[np.searchsorted(owner, owner)]


def _categorical(tables: dict, t: int):
  cdf = tables["cdf"][t, : tables["cdf_length"][t]].astype(np.int64)
  return _model.Categorical(np.diff(cdf).astype(np.float64), perfect=False)


def _plan(index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Coding order (stable sort by table) and the (table, start, stop) of each group."""
  order = np.argsort(index, kind="stable")
  ts, starts = np.unique(index[order], return_index=True)
  stops = np.append(starts[1:], len(order))
  return order, ts, np.stack([starts, stops], 1) if len(ts) else np.zeros((0, 2), np.int64)


def encode(symbols: np.ndarray, index: np.ndarray, tables: dict) -> bytes:
  """Codes integer `symbols` [n] with the tables of `index` [n]; returns the stream bytes."""
  symbols, index = np.asarray(symbols, np.int64).ravel(), np.asarray(index, np.int64).ravel()
  order, ts, bounds = _plan(index)
  s, idx = symbols[order], index[order]
  lo = tables["lo"][idx].astype(np.int64)
  n = tables["cdf_length"][idx].astype(np.int64) - 1
  k = s - lo
  escape = (k < 0) | (k >= n - 1)
  kk = np.where(escape, n - 1, k).astype(np.int32)
  v = _zigzag_excess(k[escape], n[escape]) + 1  # >= 1
  if len(v) and v.max() >= 2**ESCAPE_LENGTHS:
    raise CodingError("a latent value is too far outside its table to be coded")
  lengths = np.floor(np.log2(v.astype(np.float64))).astype(np.int64) if len(v) else v
  owner, bits = _chunks(lengths)
  payload = (v[owner] >> _shifts(owner, bits)) & ((1 << bits) - 1)

  coder = constriction.stream.stack.AnsCoder()  # a stack: encode in reverse order
  if len(payload):
    coder.encode_reverse(payload.astype(np.int32), _model.Uniform(), (1 << bits).astype(np.int32))
  if len(lengths):
    coder.encode_reverse(lengths.astype(np.int32), _model.Uniform(ESCAPE_LENGTHS))
  for t, (a, b) in reversed(list(zip(ts.tolist(), bounds.tolist()))):
    coder.encode_reverse(kk[a:b], _categorical(tables, t))
  return coder.get_compressed().astype("<u4").tobytes()


def decode(data: bytes, index: np.ndarray, tables: dict) -> np.ndarray:
  """Inverse of `encode`: the symbols [n] coded in `data` with the tables of `index` [n]."""
  if len(data) % 4:
    raise CodingError("stream length is not a whole number of 32-bit words")
  index = np.asarray(index, np.int64).ravel()
  words = np.frombuffer(data, "<u4").astype(np.uint32)
  try:
    coder = constriction.stream.stack.AnsCoder(words)
    order, ts, bounds = _plan(index)
    kk = np.empty(len(index), np.int64)
    for t, (a, b) in zip(ts.tolist(), bounds.tolist()):
      kk[a:b] = coder.decode(_categorical(tables, t), b - a)
    idx = index[order]
    lo = tables["lo"][idx].astype(np.int64)
    n = tables["cdf_length"][idx].astype(np.int64) - 1
    escape = kk == n - 1
    s = kk + lo
    if escape.any():
      lengths = coder.decode(_model.Uniform(ESCAPE_LENGTHS), int(escape.sum())).astype(np.int64)
      owner, bits = _chunks(lengths)
      v = np.left_shift(1, lengths)
      if len(owner):
        payload = coder.decode(_model.Uniform(), (1 << bits).astype(np.int32)).astype(np.int64)
        np.add.at(v, owner, payload << _shifts(owner, bits))
      s[escape] = _unzigzag(v - 1, n[escape]) + lo[escape]
  except (ValueError, RuntimeError, OverflowError) as e:
    raise CodingError(f"corrupt stream ({e})") from e
  out = np.empty(len(index), np.int64)
  out[order] = s
  return out


def estimated_bits(symbols: np.ndarray, index: np.ndarray, tables: dict) -> float:
  """Information content in bits of `symbols` under the tables (what `encode` aims at)."""
  return float(tbl.table_bits(symbols, index, tables).sum())
