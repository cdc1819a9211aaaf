"""Strided convolution with fast gradients on CPU: a drop-in for `flax.linen.Conv(strides=s)`.

y = A_w x = conv(x, w, stride=s, padding=SAME) is linear in x and in w. Autodiff
gives XLA its input gradient as an input-dilated convolution (slow on CPU, three
quarters of its work on inserted zeros for s = 2) and its kernel gradient over
the whole batch at once (out of cache for large feature maps). The custom VJP
computes
  dL/dx = A_w^T g as a sub-pixel convolution (`conv_math.subpixel_transpose`),
  dL/dw in cache-sized batch chunks (`conv_math.kernel_grad`).
Inputs whose height or width is not a multiple of s fall back to autodiff.

Shapes: x [B, H, W, C_in] -> y [B, ceil(H/s), ceil(W/s), C_out]; kernel [k, k, C_in, C_out]
(HWIO, as flax's Conv, so parameters are interchangeable with it).
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax

from ae.layers.conv_math import conv_same, kernel_grad, subpixel_transpose


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _conv_fast(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  return conv_same(x, w, stride)


def _fwd(x, w, stride):
  return conv_same(x, w, stride), (x, w)


def _bwd(stride, residuals, g):
  x, w = residuals
  return subpixel_transpose(g, w, stride), kernel_grad(x, g, w, stride)


_conv_fast.defvjp(_fwd, _bwd)


def strided_conv(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
  """conv(x, w) with `stride` and SAME padding, the same values as `conv_same`, faster gradients."""
  if x.ndim != 4:
    raise ValueError(f"strided_conv takes [B, H, W, C] inputs, got shape {x.shape}")
  if x.shape[1] % stride or x.shape[2] % stride:
    return conv_same(x, w, stride)
  return _conv_fast(x, w, stride)


class Conv(nn.Module):
  """SAME-padded convolution layer with `strided_conv`'s gradients:
  [B, H, W, C_in] -> [B, H/s, W/s, features].

  Parameters are named and initialized as `flax.linen.Conv`'s ("kernel" [k, k, C_in,
  features] with LeCun normal, "bias" zeros)."""

  features: int
  kernel_size: int = 3
  stride: int = 1
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (k, k, x.shape[-1], self.features))
    y = strided_conv(x, kernel.astype(x.dtype), self.stride)
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,))
    return y
