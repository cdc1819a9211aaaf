"""The steps a codec architecture is written in: `Layer`s and the `Transform`s they form.

Layers ("op"): conv (SAME, `stride`; `zero_init`: its kernel starts at zero in training,
stride 1 only), deconv (the transpose of a SAME stride-s conv), gdn / igdn (Balle,
Laparra, Simoncelli 2016), relu, leaky_relu (slope 0.01), abs, dense, half_softsign
(x / (2 (1 + |x|)), in (-1/2, 1/2): the bounded latent residual prediction of the
channel-conditional codec, exact in fixed point where tanh is not). `ae.compression.arch`
composes them into architectures; python only, no jax, no flax.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Layer:
  """One step of a transform; `name` is its parameter path inside the transform ("" for
  parameter-free steps)."""

  op: str
  name: str = ""
  features: int = 0
  kernel: int = 0
  stride: int = 1
  zero_init: bool = False  # the kernel starts at zero (training only; a conv's bias does)


def conv(name: str, features: int, kernel: int, stride: int = 1, zero_init: bool = False) -> Layer:
  if zero_init and stride != 1:
    raise ValueError(f"{name}: zero_init is for stride-1 convolutions")
  return Layer("conv", name, features, kernel, stride, zero_init)


def deconv(name: str, features: int, kernel: int, stride: int) -> Layer:
  return Layer("deconv", name, features, kernel, stride)


def dense(name: str, features: int) -> Layer:
  return Layer("dense", name, features)


def gdn(name: str) -> Layer:
  return Layer("gdn", name)


def igdn(name: str) -> Layer:
  return Layer("igdn", name)


RELU, LEAKY_RELU, ABS = Layer("relu"), Layer("leaky_relu"), Layer("abs")
HALF_SOFTSIGN = Layer("half_softsign")


@dataclasses.dataclass(frozen=True)
class Transform:
  """A named parameter scope ("g_a", ...; "" for the top level) and its layers."""

  scope: str
  layers: tuple[Layer, ...]

  def out_size(self, n: int) -> int:
    """The spatial size after the transform's strided convolutions (SAME: ceil(n / s))."""
    for layer in self.layers:
      if layer.op == "conv":
        n = -(-n // layer.stride)
    return n

  @property
  def out_features(self) -> int:
    return [layer.features for layer in self.layers if layer.features][-1]
