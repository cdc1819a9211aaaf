"""Convolutional autoencoder: strided convolutions down, a dense code, mirrored up.

Encoder: [Conv(c_i, k x k, stride 2) -> act] for each width c_i, flatten,
[Dense(h_j) -> act] for each hidden width, Dense(code_size) -> code_activation.
Decoder: the hidden denses mirrored, Dense to the encoder's last
feature map, then [ConvTranspose(c_i, stride 2) -> act] over the widths reversed
but the last, and a final stride-2 ConvTranspose to the image channels with the
output activation (`ae.layers.ConvTranspose`, whose gradient is fast on CPU); the result is
cropped to the input size, so any H and W work (not only multiples of 2^depth).

Shapes: images [B, H, W, C] float32 in [0, 1]; codes [B, code_size].
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax

from ae.layers import Conv, ConvTranspose
from ae.models.dense import EncodeDecode, activation


def feature_shape(image_shape: Sequence[int], channels: Sequence[int]) -> tuple[int, int, int]:
  """Shape [h, w, c] of the last feature map after len(channels) stride-2 'SAME' convs."""
  h, w = int(image_shape[0]), int(image_shape[1])
  for _ in channels:
    h, w = -(-h // 2), -(-w // 2)
  return h, w, int(channels[-1])


class ConvEncoder(nn.Module):
  channels: Sequence[int] = (32, 64)
  hidden_sizes: Sequence[int] = (256,)
  code_size: int = 16
  kernel_size: int = 3
  hidden_activation: str = "relu"
  code_activation: str = "linear"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    act = activation(self.hidden_activation)
    for i, c in enumerate(self.channels):
      x = act(Conv(c, self.kernel_size, 2, name=f"conv_{i}")(x))
    x = x.reshape((x.shape[0], -1))
    for i, width in enumerate(self.hidden_sizes):
      x = act(nn.Dense(width, name=f"hidden_{i}")(x))
    return activation(self.code_activation)(nn.Dense(self.code_size, name="code")(x))


class ConvDecoder(nn.Module):
  output_shape: Sequence[int] = (28, 28, 1)
  channels: Sequence[int] = (32, 64)
  hidden_sizes: Sequence[int] = (256,)
  kernel_size: int = 3
  hidden_activation: str = "relu"
  output_activation: str = "sigmoid"

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    act = activation(self.hidden_activation)
    h, w, c = feature_shape(self.output_shape, self.channels)
    for i, width in enumerate(reversed(tuple(self.hidden_sizes))):
      z = act(nn.Dense(width, name=f"hidden_{i}")(z))
    x = act(nn.Dense(h * w * c, name="dense")(z)).reshape((z.shape[0], h, w, c))
    for i, ch in enumerate(reversed(tuple(self.channels)[:-1])):
      x = act(ConvTranspose(ch, self.kernel_size, stride=2, name=f"deconv_{i}")(x))
    x = ConvTranspose(int(self.output_shape[-1]), self.kernel_size, stride=2, name="output")(x)
    x = x[:, : self.output_shape[0], : self.output_shape[1]]
    return activation(self.output_activation)(x)


class ConvAutoencoder(EncodeDecode, nn.Module):
  output_shape: Sequence[int] = (28, 28, 1)
  channels: Sequence[int] = (32, 64)
  hidden_sizes: Sequence[int] = (256,)
  code_size: int = 16
  kernel_size: int = 3
  hidden_activation: str = "relu"
  code_activation: str = "linear"
  output_activation: str = "sigmoid"

  def setup(self):
    self.encoder = ConvEncoder(
      self.channels,
      self.hidden_sizes,
      self.code_size,
      self.kernel_size,
      self.hidden_activation,
      self.code_activation,
    )
    self.decoder = ConvDecoder(
      self.output_shape,
      self.channels,
      self.hidden_sizes,
      self.kernel_size,
      self.hidden_activation,
      self.output_activation,
    )
