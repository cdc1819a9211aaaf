"""Lossless coding of 8-bit images by bits-back with ANS under a VAE, exact everywhere.

Townsend, Bird, Barber 2019, "Practical lossless compression with latent variables using
bits back coding" (BB-ANS). For each image x_i, i = 0 .. N-1, on one ANS stack:
  1. pop z_i ~ q(z | x_i): decode the latent buckets with the posterior's pmf;
  2. push x_i under p(x | z_i): the discretized logistic of ae.models.vae, per pixel;
  3. push z_i under the prior: uniform over K = 2^LATENT_BITS buckets of equal N(0, 1)
     mass, LATENT_BITS bits per latent dimension.
Decoding runs the inverse for i = N-1 .. 0: pop z_i (prior), pop x_i (likelihood), push
z_i back with q(z | x_i) (the bits back). Each image costs
-log2 p(x|z) - log2 p(z) + log2 q(z|x) bits, whose mean over z ~ q is the negative ELBO.

Initial bits: the first pop needs bits on the stack. The stack starts as POOL words of
a fixed pseudo-random sequence (numpy PCG64, seed 0: the same words on every platform);
the file keeps only what lies above the pool's untouched bottom words, which the decoder
puts back, and decoding checks that exactly the pool remains at the end. The cost is
the bits the first image pops, about -log2 q(z_0 | x_0) (`docs/lossless.md` measures it).

Exactness: the networks run in fixed point (ae.codec.fixed_point, relu only), every
pmf is an integer function of their integer outputs and the frozen tables of
ae.codec.bitsback_tables (linear interpolation, floor), with every bin at least 1 of
2^PRECISION, handed to constriction as float64 counts as in ae.codec.coder.
Images are uint8 [N, H, W, C]; all fixed-point values are integer-valued float64.
"""

from __future__ import annotations

import constriction
import numpy as np

from ae.codec import bitsback_tables as bt
from ae.codec import fixed_point as fx

TOTAL = 2**bt.PRECISION
LEVELS = 256
_CHUNK = 64  # images per batched posterior
_model = constriction.stream.model
_categorical = _model.Categorical(perfect=False)


def _pixel_edges() -> np.ndarray:
  """round(2^OUT_FRAC (k + 1/2) / 255), k = 0..254, in integer arithmetic."""
  k = np.arange(LEVELS - 1, dtype=np.int64)
  return ((2 * k + 1) * 2**bt.OUT_FRAC * 2 + 510) // 1020 * 1.0


PIXEL_EDGES = _pixel_edges()


def _head(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
  """A dense output layer to OUT_FRAC fractional bits, clipped to |value| <= CLIP."""
  bound = fx.CLIP * 2.0**bt.OUT_FRAC
  acc = fx.rescale(a @ w + b, fx.FRAC + fx.W_FRAC - bt.OUT_FRAC)
  return np.clip(acc, -bound, bound, out=acc)


def _interp(table: np.ndarray, t: np.ndarray, frac: int, span: int) -> np.ndarray:
  """table(t) by linear interpolation, floored: t has `frac` fractional bits, the table
  GRID points per unit on [-span, span]."""
  step = 2.0 ** (frac - 6)  # GRID = 64 = 2^6
  t = np.clip(t, -span * 2.0**frac, span * 2.0**frac - 1)
  q = np.floor(t / step)
  idx = (q + span * bt.GRID).astype(np.int64)
  lo, hi = table[idx], table[idx + 1]
  return lo + np.floor((hi - lo) * (t - q * step) / step)


def counts_of_cdf(inner: np.ndarray) -> np.ndarray:
  """Integer pmfs [..., M] from non-decreasing CDF values [..., M-1] in [0, TOTAL]: each bin
  gets floor-scaled mass plus 1, so none is empty and every row sums to TOTAL."""
  m = inner.shape[-1] + 1
  lead = inner.shape[:-1]
  full = np.concatenate([np.zeros((*lead, 1)), inner, np.full((*lead, 1), TOTAL)], -1)
  cdf = np.floor(full * (TOTAL - m) / TOTAL) + np.arange(m + 1)
  return np.diff(cdf, axis=-1)


def _scale_index(log_scale: np.ndarray, log_min: float, count: int) -> np.ndarray:
  """Grid index of OUT_FRAC log scales: floor((v - log_min) GRID), clipped."""
  j = np.floor((log_scale - log_min * 2.0**bt.OUT_FRAC) / 2.0 ** (bt.OUT_FRAC - 6))
  return np.clip(j, 0, count - 1).astype(np.int64)


class Program:
  """The integer VAE of a lossless codec: posterior pmfs of images, pixel pmfs of latents.

  params: the linen VAE's parameters (encoder/hidden_i, encoder/mean, encoder/logvar,
  dec_hidden_i, dec_output); image_shape (H, W, C); tables: bitsback_tables.check'ed.
  """

  def __init__(self, params: dict, image_shape, tables: dict):
    self.image_shape = tuple(int(d) for d in image_shape)
    self.tables = bt.check(tables)
    self.tables_f = {k: v.astype(np.float64) for k, v in self.tables.items()}
    enc = params["encoder"]
    self.enc = [_fixed(enc[k], k) for k in _numbered(enc, "hidden_")]
    self.mean, self.logvar = _fixed(enc["mean"], "mean"), _fixed(enc["logvar"], "logvar")
    self.dec = [_fixed(params[k], k) for k in _numbered(params, "dec_hidden_")]
    self.out = _fixed(params["dec_output"], "dec_output")
    self.latent_size = int(self.mean[0].shape[1])
    self.pixels = int(np.prod(self.image_shape))
    _check_shapes(self)

  def posterior(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [n, H, W, C] -> posterior means and log-variances [n, D], OUT_FRAC bits."""
    a = fx.to_fixed(images.reshape(len(images), -1) / 255.0)
    for w, b in self.enc:
      a = fx.relu(fx.dense(a, w, b))
    return _head(a, *self.mean), _head(a, *self.logvar)

  def posterior_counts(self, images: np.ndarray) -> np.ndarray:
    """Integer pmfs [n, D, K] of the latent buckets under q(z | x) for uint8 images."""
    mean, logvar = self.posterior(images)
    j = _scale_index(logvar / 2.0, bt.SIGMA_LOG_MIN, bt.J_SIGMA)
    inv = self.tables_f["inv_sigma"][j]
    bound = 16 * 2.0**bt.OUT_FRAC
    d = np.clip(self.tables_f["edges"] - mean[..., None], -bound, bound)
    frac = bt.OUT_FRAC + bt.INV_FRAC
    return counts_of_cdf(_interp(self.tables_f["normal_cdf"], d * inv[..., None], frac, 8))

  def likelihood_counts(self, buckets: np.ndarray) -> np.ndarray:
    """Integer pmfs [P, 256] of the pixels under p(x | z) for latent buckets int [D]."""
    z = self.tables_f["centres"][np.asarray(buckets, np.int64)][None]
    a = fx.rescale(z, bt.OUT_FRAC - fx.FRAC)  # to FRAC fractional bits
    for w, b in self.dec:
      a = fx.relu(fx.dense(a, w, b))
    out = _head(a, *self.out).reshape(*self.image_shape[:2], 2 * self.image_shape[2])
    c = self.image_shape[2]
    mean, log_scale = out[..., :c].reshape(-1), out[..., c:].reshape(-1)
    j = _scale_index(log_scale, bt.LOG_SCALE_MIN, bt.J_SCALE)
    inv = self.tables_f["inv_scale"][j]
    bound = 4 * 2.0**bt.OUT_FRAC
    d = np.clip(PIXEL_EDGES - mean[:, None], -bound, bound)
    frac = bt.OUT_FRAC + bt.INV_FRAC
    return counts_of_cdf(_interp(self.tables_f["logistic_cdf"], d * inv[:, None], frac, 16))


def _numbered(tree: dict, prefix: str) -> list[str]:
  """Keys prefix0, prefix1, ... of `tree` in numeric order."""
  return sorted((k for k in tree if k.startswith(prefix)), key=lambda k: int(k[len(prefix) :]))


def _check_shapes(p: Program) -> None:
  """ValueError unless the layers chain: pixels -> ... -> 2 latents heads, latents -> ...
  -> a mean and a log scale per pixel."""
  widths = [p.pixels] + [w.shape[1] for w, _ in p.enc]
  chain = [*p.enc, p.mean, p.logvar] if p.enc else [p.mean, p.logvar]
  ins = [w.shape[0] for w, _ in chain]
  outs = [w.shape[1] for w, _ in chain]
  dec_in = [w.shape[0] for w, _ in (*p.dec, p.out)]
  dec_out = [w.shape[1] for w, _ in (*p.dec, p.out)]
  ok = (
    ins == widths[: len(p.enc)] + [widths[-1], widths[-1]]
    and outs[-1] == outs[-2] == p.latent_size
    and dec_in == [p.latent_size, *dec_out[:-1]]
    and dec_out[-1] == 2 * p.pixels
    and all(b.shape == (w.shape[1],) for w, b in (*chain, *p.dec, p.out))
  )
  if not ok:
    raise ValueError(f"the VAE's layer shapes do not fit images of {p.image_shape}")


def _fixed(p: dict, name: str) -> tuple[np.ndarray, np.ndarray]:
  w = fx.to_fixed(np.asarray(p["kernel"], np.float64), fx.W_FRAC)
  b = fx.to_fixed(np.asarray(p["bias"], np.float64), fx.FRAC + fx.W_FRAC)
  fx.check_range(w, b, name)
  return w, b


def pool_words(latent_size: int) -> np.ndarray:
  """The initial stack: enough pseudo-random words for one posterior pop, top word nonzero."""
  n = (latent_size * bt.PRECISION + 31) // 32 + 8
  words = np.random.Generator(np.random.PCG64(0)).integers(0, 2**32, n, dtype=np.uint32)
  words[-1] |= np.uint32(1 << 31)
  return words


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
  n = min(len(a), len(b))
  diff = np.flatnonzero(a[:n] != b[:n])
  return int(diff[0]) if len(diff) else n


def encode(program: Program, images: np.ndarray) -> tuple[int, np.ndarray]:
  """Codes uint8 images [N, H, W, C] on one stack: (pool words kept out, the stack above
  them as uint32 words)."""
  pool = pool_words(program.latent_size)
  coder = constriction.stream.stack.AnsCoder(pool.copy())
  uniform = _model.Uniform(1 << bt.LATENT_BITS)
  for start in range(0, len(images), _CHUNK):
    chunk = images[start : start + _CHUNK]
    for x, post in zip(chunk, program.posterior_counts(chunk)):
      z = coder.decode(_categorical, post)
      pixels = x.reshape(-1).astype(np.int32)
      coder.encode_reverse(pixels, _categorical, program.likelihood_counts(z))
      coder.encode_reverse(z.astype(np.int32), uniform)
  words = coder.get_compressed().astype(np.uint32)
  kept = _common_prefix(words, pool)
  return kept, words[kept:]


class StackError(ValueError):
  """The stack did not unwind to the initial pool: corrupted data or another codec."""


def decode(program: Program, count: int, kept: int, words: np.ndarray) -> np.ndarray:
  """Inverse of `encode`: the `count` uint8 images [N, H, W, C]."""
  pool = pool_words(program.latent_size)
  if not 0 <= kept <= len(pool):
    raise StackError(f"the file claims {kept} pool words, the pool has {len(pool)}")
  stack = np.concatenate([pool[:kept], np.asarray(words, np.uint32)])
  if not len(stack) or stack[-1] == 0:
    raise StackError("the stack's top word is zero")
  coder = constriction.stream.stack.AnsCoder(stack)
  uniform = _model.Uniform(1 << bt.LATENT_BITS)
  out = np.empty((count, *program.image_shape), np.uint8)
  for i in reversed(range(count)):
    z = coder.decode(uniform, program.latent_size)
    x = coder.decode(_categorical, program.likelihood_counts(z)).reshape(program.image_shape)
    out[i] = x.astype(np.uint8)
    coder.encode_reverse(z, _categorical, program.posterior_counts(out[i][None])[0])
  rest = coder.get_compressed().astype(np.uint32)
  if len(rest) != len(pool) or np.any(rest != pool):
    raise StackError("the stack did not unwind to its initial words")
  return out


def ideal_bits(program: Program, images: np.ndarray, buckets: np.ndarray) -> np.ndarray:
  """-log2 p(x|z) - log2 p(z) + log2 q(z|x) per image [N] with the integer pmfs, for
  latent buckets int [N, D] (what the stack's size grows by, up to ANS overhead)."""
  post = program.posterior_counts(images)
  n, d = buckets.shape
  log_q = np.log2(post[np.arange(n)[:, None], np.arange(d), buckets] / TOTAL).sum(-1)
  bits = np.empty(n)
  for i in range(n):
    px = program.likelihood_counts(buckets[i])
    bits[i] = -np.log2(px[np.arange(program.pixels), images[i].reshape(-1)] / TOTAL).sum()
  return bits + d * bt.LATENT_BITS + log_q
