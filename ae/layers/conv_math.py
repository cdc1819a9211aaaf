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

Convolutions with at most `SMALL_OUTPUT` output pixels per example (the
hyperprior's 2x2 and 4x4 maps) run as one matrix product over explicit patches
(`conv`): XLA on CPU gives such convolutions a batch-minor layout and a slow
generic kernel (measured here: 2.5-5 ms for a 3x3 128->512 convolution on 8 maps
of 2x2 or 4x4, against 0.2-0.5 ms as a product).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

DN = ("NHWC", "HWIO", "NHWC")
CHUNK_BYTES = 4 << 20  # input plus cotangent bytes per kernel-gradient chunk
SMALL_OUTPUT = 16  # output pixels per example at or below which `conv` is a product
Pads = tuple[tuple[int, int], tuple[int, int]]


def patches(u: jax.Array, k: int, stride: int, pads: Pads) -> jax.Array:
  """[B, H, W, C] -> [B, H', W', k*k*C]: the k x k window of each output pixel of a
  stride-`stride` convolution with `pads`, taps in the kernel's (row, column, C) order."""
  up = jnp.pad(u, ((0, 0), pads[0], pads[1], (0, 0)))
  ho, wo = (up.shape[1] - k) // stride + 1, (up.shape[2] - k) // stride + 1
  return jnp.concatenate(
    [
      up[:, a : a + stride * (ho - 1) + 1 : stride, b : b + stride * (wo - 1) + 1 : stride]
      for a in range(k)
      for b in range(k)
    ],
    axis=-1,
  )


def _is_small(h: int, w: int) -> bool:
  return h * w <= SMALL_OUTPUT


def conv(u: jax.Array, w: jax.Array, stride: int, pads: Pads) -> jax.Array:
  """conv(u, w) with `stride` and explicit `pads`: [B, H, W, C_in] -> [B, H', W', C_out] for
  a square kernel w [k, k, C_in, C_out]; XLA's convolution, or one matrix product over
  `patches` when the output has at most `SMALL_OUTPUT` pixels per example."""
  k = w.shape[0]
  if _is_small(
    (u.shape[1] + sum(pads[0]) - k) // stride + 1, (u.shape[2] + sum(pads[1]) - k) // stride + 1
  ):
    return patches(u, k, stride, pads) @ w.reshape(-1, w.shape[3])
  return lax.conv_general_dilated(u, w, (stride, stride), pads, dimension_numbers=DN)


def xla_conv_same(u: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """`conv_same` always through XLA's convolution (the reference, and large maps)."""
  return lax.conv_general_dilated(u, w, (stride, stride), "SAME", dimension_numbers=DN)


def same_pads(h: int, w: int, k: int, stride: int) -> Pads:
  """SAME padding of a k x k stride-`stride` convolution of an h x w map (as XLA's)."""
  return tuple(lax.padtype_to_pads((h, w), (k, k), (stride, stride), "SAME"))


def conv_same(u: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """A_w u: conv(u, w) with `stride` and SAME padding, [B, sH, sW, C_out] -> [B, H, W, C_in]."""
  return conv(u, w, stride, same_pads(u.shape[1], u.shape[2], w.shape[0], stride))


def dilated_transpose(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """A_w^T x by autodiff of XLA's SAME convolution (its input-dilated form): the reference."""
  shape = (x.shape[0], x.shape[1] * stride, x.shape[2] * stride, w.shape[2])
  _, vjp = jax.vjp(lambda u: xla_conv_same(u, w, stride), jnp.zeros(shape, x.dtype))
  return vjp(x)[0]


@functools.cache
def phase_taps(k: int, stride: int) -> tuple[np.ndarray, int]:
  """(taps [n_offsets, stride], lowest offset o_min): taps[o - o_min, r] is the kernel
  tap t that output phase r takes from input offset o, or k where none does.
  SAME padding of the strided convolution puts (k - stride) // 2 zeros before."""
  pad_lo = max(k - stride, 0) // 2
  pairs = [
    ((r + pad_lo - t) // stride, r, t)
    for r in range(stride)
    for t in range(k)
    if (r + pad_lo - t) % stride == 0
  ]
  o_min, o_max = min(p[0] for p in pairs), max(p[0] for p in pairs)
  taps = np.full((o_max - o_min + 1, stride), k, np.int32)
  for o, r, t in pairs:
    taps[o - o_min, r] = t
  return taps, o_min


def subpixel_kernel(w: jax.Array, stride: int) -> jax.Array:
  """The kernel of `subpixel_transpose`'s stride-1 convolution, [n, n, C_in, s*s*C_out]
  for w [k, k, C_out, C_in] and n = phase_taps(k, s)[0].shape[0]: entry [o_h, o_w, :,
  (r_h, r_w, :)] is the tap output phase (r_h, r_w) takes from input offset (o_h, o_w),
  or zeros. Built from static slices: an XLA gather took milliseconds per kernel on CPU."""
  k, s = w.shape[0], stride
  taps, _ = phase_taps(k, s)
  wt = jnp.transpose(w, (0, 1, 3, 2))  # [k, k, C_in, C_out]
  zero = jnp.zeros(wt.shape[2:], wt.dtype)
  tap = lambda a, b: zero if a == k or b == k else wt[a, b]
  n = taps.shape[0]
  return jnp.stack(
    [
      jnp.stack(
        [
          jnp.concatenate(
            [tap(taps[oh, rh], taps[ow, rw]) for rh in range(s) for rw in range(s)], axis=-1
          )
          for ow in range(n)
        ]
      )
      for oh in range(n)
    ]
  )


def subpixel_transpose(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """A_w^T x, [B, H, W, C_in] -> [B, sH, sW, C_out]: output pixel s*m + r only sees the
  taps t = r + pad_lo - s*o of input pixel m + o, so the s*s output phases are one
  stride-1 convolution with s*s*C_out output channels, then depth-to-space. For
  k = 5, s = 2 that is 36 multiply-adds per pixel and channel pair, against 100 in
  XLA's input-dilated form."""
  s, c_out = stride, w.shape[2]
  taps, o_min = phase_taps(w.shape[0], s)
  n = taps.shape[0]
  pad = ((-o_min, n - 1 + o_min), (-o_min, n - 1 + o_min))
  z = conv(x, subpixel_kernel(w, s), 1, pad)
  b, h, wd = x.shape[:3]
  z = z.reshape(b, h, wd, s, s, c_out).transpose(0, 1, 3, 2, 4, 5)
  return z.reshape(b, h * s, wd * s, c_out)


def batch_chunk(batch: int, bytes_per_example: int, budget: int) -> int:
  """The largest divisor of `batch` whose examples fit in `budget` bytes (at least 1)."""
  fit = max(1, budget // max(1, bytes_per_example))
  return max(d for d in range(1, batch + 1) if batch % d == 0 and d <= fit)


def kernel_grad(
  u: jax.Array, g: jax.Array, w: jax.Array, stride: int, budget: int | None = None
) -> jax.Array:
  """d/dw <conv_same(u, w, stride), g>, [k, k, C_out, C_in], for u [B, sH, sW, C_out] and
  g [B, H, W, C_in].

  Computed per batch chunk of at most `budget` bytes of u and g (default
  `CHUNK_BYTES`) and summed, or as one product of `patches` with g where g has at most
  `SMALL_OUTPUT` pixels per example: exact up to float summation order."""
  k = w.shape[0]
  if _is_small(g.shape[1], g.shape[2]):
    p = patches(u, k, stride, same_pads(u.shape[1], u.shape[2], k, stride))
    return jnp.einsum("bhwp,bhwo->po", p, g).reshape(w.shape)
  per_example = (u[0].size + g[0].size) * u.dtype.itemsize
  chunk = batch_chunk(u.shape[0], per_example, CHUNK_BYTES if budget is None else budget)

  def one(uc, gc):
    _, vjp = jax.vjp(lambda kern: xla_conv_same(uc, kern, stride), w)
    return vjp(gc)[0]

  total = one(u[:chunk], g[:chunk])
  for i in range(chunk, u.shape[0], chunk):
    total = total + one(u[i : i + chunk], g[i : i + chunk])
  return total
