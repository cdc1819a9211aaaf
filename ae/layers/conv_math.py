"""Strided convolutions and their adjoints as plain functions, shaped for XLA on CPU.

A stride-s convolution with SAME padding is a linear map u -> A_w u,
[B, sH, sW, C_out] -> [B, H, W, C_in] with kernel w [k, k, C_out, C_in] (HWIO). Its
adjoint A_w^T is the transposed convolution. Autodiff through either one hands
XLA an input-dilated convolution (three quarters of its multiply-adds on inserted
zeros for s = 2), which XLA on CPU runs slowly; these functions give every
gradient of both as a strided or stride-1 convolution instead:

- `subpixel_transpose`: A_w^T x as one stride-1 convolution over the s*s output
  phases, then depth-to-space (Shi et al. 2016, "Real-time single image and video
  super-resolution using an efficient sub-pixel convolutional neural network").
- `kernel_grad`: d/dw <A_w u, g>, the kernel gradient of the strided convolution,
  summed over batch chunks small enough to stay in cache (measured here for a 5x5
  stride-2 128->128 layer at batch 8 of 64x64 inputs: about 2x faster than over
  the whole batch at once).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

DN = ("NHWC", "HWIO", "NHWC")
CHUNK_BYTES = 4 << 20  # input plus cotangent bytes per kernel-gradient chunk


def conv_same(u: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """A_w u: conv(u, w) with `stride` and SAME padding, [B, sH, sW, C_out] -> [B, H, W, C_in]."""
  return lax.conv_general_dilated(u, w, (stride, stride), "SAME", dimension_numbers=DN)


def dilated_transpose(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """A_w^T x by autodiff of `conv_same` (XLA's input-dilated form): the reference."""
  shape = (x.shape[0], x.shape[1] * stride, x.shape[2] * stride, w.shape[2])
  _, vjp = jax.vjp(lambda u: conv_same(u, w, stride), jnp.zeros(shape, x.dtype))
  return vjp(x)[0]


@functools.lru_cache(maxsize=None)
def phase_taps(k: int, stride: int) -> tuple[np.ndarray, int]:
  """(taps [n_offsets, stride], lowest offset o_min): taps[o - o_min, r] is the kernel
  tap t that output phase r takes from input offset o, or k where none does.
  SAME padding of the strided convolution puts (k - stride) // 2 zeros before."""
  pad_lo = max(k - stride, 0) // 2
  pairs = [((r + pad_lo - t) // stride, r, t) for r in range(stride) for t in range(k)
           if (r + pad_lo - t) % stride == 0]
  o_min, o_max = min(p[0] for p in pairs), max(p[0] for p in pairs)
  taps = np.full((o_max - o_min + 1, stride), k, np.int32)
  for o, r, t in pairs:
    taps[o - o_min, r] = t
  return taps, o_min


def subpixel_transpose(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """A_w^T x, [B, H, W, C_in] -> [B, sH, sW, C_out]: output pixel s*m + r only sees the
  taps t = r + pad_lo - s*o of input pixel m + o, so the s*s output phases are one
  stride-1 convolution with s*s*C_out output channels, then depth-to-space. For
  k = 5, s = 2 that is 36 multiply-adds per pixel and channel pair, against 100 in
  XLA's input-dilated form."""
  k, s = w.shape[0], stride
  taps, o_min = phase_taps(k, s)
  n = taps.shape[0]
  wz = jnp.pad(jnp.transpose(w, (0, 1, 3, 2)), ((0, 1), (0, 1), (0, 0), (0, 0)))  # tap k = 0
  kp = wz[taps[:, None, :, None], taps[None, :, None, :]]      # [n, n, s, s, C_in, C_out]
  c_in, c_out = w.shape[3], w.shape[2]
  kp = jnp.transpose(kp, (0, 1, 4, 2, 3, 5)).reshape(n, n, c_in, s * s * c_out)
  pad = ((-o_min, n - 1 + o_min), (-o_min, n - 1 + o_min))
  z = lax.conv_general_dilated(x, kp, (1, 1), pad, dimension_numbers=DN)
  b, h, wd = x.shape[:3]
  z = z.reshape(b, h, wd, s, s, c_out).transpose(0, 1, 3, 2, 4, 5)
  return z.reshape(b, h * s, wd * s, c_out)


def batch_chunk(batch: int, bytes_per_example: int, budget: int) -> int:
  """The largest divisor of `batch` whose examples fit in `budget` bytes (at least 1)."""
  fit = max(1, budget // max(1, bytes_per_example))
  return max(d for d in range(1, batch + 1) if batch % d == 0 and d <= fit)


def kernel_grad(u: jax.Array, g: jax.Array, w: jax.Array, stride: int,
                budget: int | None = None) -> jax.Array:
  """d/dw <conv_same(u, w, stride), g>, [k, k, C_out, C_in], for u [B, sH, sW, C_out] and
  g [B, H, W, C_in].

  Computed per batch chunk of at most `budget` bytes of u and g (default
  `CHUNK_BYTES`) and summed: exact up to float summation order."""
  per_example = (u[0].size + g[0].size) * u.dtype.itemsize
  chunk = batch_chunk(u.shape[0], per_example, CHUNK_BYTES if budget is None else budget)

  def one(uc, gc):
    _, vjp = jax.vjp(lambda k: conv_same(uc, k, stride), w)
    return vjp(gc)[0]

  total = one(u[:chunk], g[:chunk])
  for i in range(chunk, u.shape[0], chunk):
    total = total + one(u[i:i + chunk], g[i:i + chunk])
  return total
