"""Exact fixed-point arithmetic for decoding: the same integers on every machine.

A learned decoder in float32 can give different results on different CPUs,
thread counts or batch sizes (summation order, vector width, libm), and when a
decoded float picks an entropy-coding table, a different table means garbage
(CompressAI issues #279, #309, #320). Here every decoder-side transform runs on
integers, as in integer networks (Balle, Johnston, Minnen 2019, "Integer
networks for data compression with latent-variable models"), applied after
training:

- activations are integers a = round(value * 2^FRAC), clipped to |value| <= CLIP;
- weights are integers round(w * 2^W_FRAC), biases round(b * 2^(FRAC + W_FRAC));
- products and sums of integers are carried in float64 BLAS, where they are exact
  as long as every partial sum stays below 2^53, so the result does not depend on
  summation order or threads. `check_range` proves that bound for each layer from
  the clip range and the weights, once, when a codec is loaded;
- the only other operations are IEEE-754 +, *, /, sqrt and floor on exact inputs,
  which are correctly rounded, hence identical everywhere. No exp, log or tanh.

Arrays are single images, channels last: [H, W, C]. Floats in, floats out for
the encoder-side helpers (`conv2d` works in any dtype).
"""

from __future__ import annotations

import decimal
import math

import numpy as np

FRAC = 12  # fractional bits of activations
W_FRAC = 16  # fractional bits of weights
CLIP = 1024.0  # activations are clipped to [-CLIP, CLIP]
NORM_FRAC = 6  # fractional bits of x in the GDN norm
NORM_CLIP = 256.0  # |x| bound inside the GDN norm
GAMMA_FRAC = 16  # fractional bits of GDN's gamma
EXACT = 2.0**53  # float64 integers are exact below this
_CHUNK = 1 << 18  # elements per matmul output chunk (2 MiB in float64: stays in cache)


class RangeError(ValueError):
  """A layer's weights could push an exact sum past 2^53."""


def to_fixed(x: np.ndarray, frac: int = FRAC) -> np.ndarray:
  """round(x * 2^frac) as integer-valued float64."""
  return np.round(np.asarray(x, np.float64) * 2.0**frac)


def clip(a: np.ndarray) -> np.ndarray:
  """Clips fixed-point activations to [-CLIP, CLIP], in place."""
  bound = CLIP * 2.0**FRAC
  return np.clip(a, -bound, bound, out=a)


def rescale(acc: np.ndarray, shift: int) -> np.ndarray:
  """floor(acc / 2^shift + 1/2), in place: exact for integer-valued acc below 2^52."""
  acc *= 2.0**-shift
  acc += 0.5
  return np.floor(acc, out=acc)


def check_range(w_int: np.ndarray, bias_int: np.ndarray | None, name: str) -> None:
  """Raises unless |sum_k a_k w_kj + b_j| < 2^53 for every |a_k| <= CLIP * 2^FRAC.

  w_int [K, C_out] (any leading shape is flattened into K).
  """
  col = np.abs(w_int.reshape(-1, w_int.shape[-1])).sum(0)
  bound = CLIP * 2.0**FRAC * col.max() + (0.0 if bias_int is None else np.abs(bias_int).max())
  if not bound < EXACT:
    raise RangeError(f"layer {name}: weights too large for exact fixed-point decoding")


def _patches(xp: np.ndarray, k: int, stride: int, rows: slice, wo: int) -> np.ndarray:
  """im2col of padded xp for output rows `rows`: [n_rows * wo, k * k * C]."""
  taps = [
    xp[
      i + stride * rows.start : i + stride * (rows.stop - 1) + 1 : stride,
      j : j + stride * (wo - 1) + 1 : stride,
    ]
    for i in range(k)
    for j in range(k)
  ]
  return np.concatenate(taps, axis=-1).reshape(-1, k * k * xp.shape[-1])


def conv2d(x: np.ndarray, w: np.ndarray, stride: int = 1) -> np.ndarray:
  """SAME convolution of x [H, W, C_in] with w [k, k, C_in, C_out] (HWIO), as
  `jax.lax.conv_general_dilated(..., "SAME")`: -> [ceil(H/s), ceil(W/s), C_out].

  Padding is zeros, (total // 2) before. Works in x's dtype; with integer-valued
  float64 inputs that pass `check_range` the result is exact.
  """
  k, h, wd = w.shape[0], x.shape[0], x.shape[1]
  ho, wo = -(-h // stride), -(-wd // stride)
  ph, pw = max((ho - 1) * stride + k - h, 0), max((wo - 1) * stride + k - wd, 0)
  xp = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
  wm = w.reshape(-1, w.shape[-1]).astype(x.dtype)
  out = np.empty((ho, wo, w.shape[-1]), x.dtype)
  step = max(1, _CHUNK // max(1, wo * wm.shape[0]))
  for r in range(0, ho, step):
    rows = slice(r, min(ho, r + step))
    out[rows] = (_patches(xp, k, stride, rows, wo) @ wm).reshape(rows.stop - r, wo, -1)
  return out


def conv_transpose(
  x: np.ndarray, w: np.ndarray, stride: int, bias: np.ndarray | None = None
) -> np.ndarray:
  """Adjoint of `conv2d(., w, stride)` (as `ae.layers.conv_transpose`), plus `bias`:
  x [H, W, C_in], w [k, k, C_out, C_in], bias [C_out] or None -> [s*H, s*W, C_out].

  y[s*h + i - p, s*v + j - q] += x[h, v] @ w[i, j]^T with (p, q) the leading SAME padding.
  Computed by output phase (sub-pixel form): output row s*m + r only receives taps i
  with (i - p) mod s = r, so each tap adds one contiguous [C_out, rows, cols] block
  into its phase's plane, and one transpose interleaves the s*s planes at the end.
  With integer-valued float64 inputs that pass `check_range` every sum is exact, so
  the order of the additions does not change a bit.
  """
  k, s = w.shape[0], stride
  h, wd, c_in = x.shape
  c_out = w.shape[2]
  p = (max((h - 1) * s + k - s * h, 0) // 2, max((wd - 1) * s + k - s * wd, 0) // 2)
  lo = (-(-p[0] // s), -(-p[1] // s))  # rows/cols of margin before each phase plane
  hi = ((k - 1 - p[0]) // s, (k - 1 - p[1]) // s)  # ... and after
  wm = w.reshape(k * k * c_out, c_in).astype(x.dtype)  # rows ordered (i, j, c_out)
  planes = np.empty((s, s, c_out, h + lo[0] + hi[0], wd + lo[1] + hi[1]), x.dtype)
  planes[...] = 0.0 if bias is None else np.asarray(bias, x.dtype).reshape(1, 1, -1, 1, 1)
  step = max(1, _CHUNK // max(1, wd * wm.shape[0]))
  for r in range(0, h, step):
    n = min(h, r + step) - r
    taps = (wm @ x[r : r + n].reshape(-1, c_in).T).reshape(k, k, c_out, n, wd)
    for i in range(k):
      ry, dy = (i - p[0]) % s, (i - p[0]) // s + lo[0] + r
      for j in range(k):
        rx, dx = (j - p[1]) % s, (j - p[1]) // s + lo[1]
        planes[ry, rx, :, dy : dy + n, dx : dx + wd] += taps[i, j]
  out = planes[:, :, :, lo[0] : lo[0] + h, lo[1] : lo[1] + wd].transpose(3, 0, 4, 1, 2)
  return out.reshape(s * h, s * wd, c_out)


def relu(a: np.ndarray) -> np.ndarray:
  return np.maximum(a, 0.0)


def leaky_relu(a: np.ndarray, slope: float = 0.01) -> np.ndarray:
  """Flax's leaky ReLU on fixed-point integers (one correctly rounded product)."""
  return np.where(a >= 0, a, np.floor(a * slope + 0.5))


def half_softsign(a: np.ndarray) -> np.ndarray:
  """x / (2 (1 + |x|)) of fixed-point a: round(2^FRAC a / (2 (2^FRAC + |a|))), one
  correctly rounded division of exact integers (|a| <= CLIP 2^FRAC), then floor(. + 1/2)."""
  one = 2.0**FRAC
  return np.floor(a * one / (2.0 * (one + np.abs(a))) + 0.5)


def igdn_fixed(a: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
  """Inverse GDN (Balle et al. 2016) x * sqrt(beta + gamma x^2) on fixed-point a [..., C].

  beta [C], gamma [C, C] are float parameter values. The norm is an exact integer
  at scale 2^-(2 NORM_FRAC + GAMMA_FRAC); sqrt and the product are correctly rounded.
  """
  g = to_fixed(gamma, GAMMA_FRAC)
  b = to_fixed(beta, 2 * NORM_FRAC + GAMMA_FRAC)
  bound = (NORM_CLIP * 2.0**NORM_FRAC) ** 2 * g.sum(1).max() + b.max()
  if not bound < EXACT:
    raise RangeError("GDN parameters too large for exact fixed-point decoding")
  lim = NORM_CLIP * 2.0**NORM_FRAC
  xc = np.clip(rescale(a.copy(), FRAC - NORM_FRAC), -lim, lim)
  np.square(xc, out=xc)
  norm = xc.reshape(-1, xc.shape[-1]) @ g.T
  norm += b
  norm *= 2.0 ** -(2 * NORM_FRAC + GAMMA_FRAC)
  np.sqrt(norm, out=norm)
  norm *= a.reshape(norm.shape)
  return clip(rescale(norm, 0).reshape(a.shape))


def dense(a: np.ndarray, w_int: np.ndarray, b_int: np.ndarray) -> np.ndarray:
  """Fixed-point a [..., K] @ w [K, N] + b -> fixed-point [..., N], clipped."""
  return clip(rescale(a @ w_int + b_int, W_FRAC))


def conv(a: np.ndarray, w_int: np.ndarray, b_int: np.ndarray, stride: int = 1) -> np.ndarray:
  return clip(rescale(conv2d(a, w_int, stride) + b_int, W_FRAC))


def deconv(a: np.ndarray, w_int: np.ndarray, b_int: np.ndarray, stride: int) -> np.ndarray:
  return clip(rescale(conv_transpose(a, w_int, stride, b_int), W_FRAC))


def to_pixels(a: np.ndarray) -> np.ndarray:
  """Fixed-point values in [0, 1] units -> uint8 round(255 x) clipped (exact)."""
  return np.clip(np.floor(a * 255.0 * 2.0**-FRAC + 0.5), 0, 255).astype(np.uint8)


def _sigmoid_thresholds() -> np.ndarray:
  """T_k = ceil(2^FRAC logit((k - 1/2) / 255)), k = 1..255, computed with Python's
  decimal module (correctly rounded, pure software), so they are the same everywhere."""
  ctx = decimal.Context(prec=40)
  out = []
  for k in range(1, 256):
    p = ctx.divide(decimal.Decimal(2 * k - 1), decimal.Decimal(510))
    t = ctx.ln(ctx.divide(p, ctx.subtract(1, p))) * (2**FRAC)
    out.append(math.ceil(t))
  return np.array(out, np.float64)


SIGMOID_THRESHOLDS = _sigmoid_thresholds()


def sigmoid_to_pixels(a: np.ndarray) -> np.ndarray:
  """uint8 round(255 sigmoid(x)) of fixed-point logits a: x >= t_k exactly when a >= T_k."""
  return np.searchsorted(SIGMOID_THRESHOLDS, a, side="right").astype(np.uint8)
