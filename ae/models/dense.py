"""The dense autoencoder family; the seed article's 784-256-784 is one member.

Encoder: flatten -> Dense(h_1) -> act -> ... -> Dense(code_size) -> code_activation.
Decoder: Dense(h_n) -> act -> ... -> Dense(H*W*C) -> output_activation -> [H, W, C].
The decoder mirrors the encoder's hidden widths. With `hidden_sizes=()`,
`code_size=256`, `code_activation="relu"` and `output_activation="sigmoid"` this is
the seed: x (784) -> Dense(256, relu) -> Dense(784, sigmoid).

Shapes: images [B, H, W, C] float32 in [0, 1]; codes [B, code_size].
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

ACTIVATIONS = {
  "relu": nn.relu,
  "sigmoid": nn.sigmoid,
  "tanh": jnp.tanh,
  "gelu": nn.gelu,
  "elu": nn.elu,
  "linear": lambda x: x,
}


def activation(name: str):
  """The activation function called `name` (see `ACTIVATIONS`)."""
  if name not in ACTIVATIONS:
    raise ValueError(f"unknown activation '{name}'; choose from {sorted(ACTIVATIONS)}")
  return ACTIVATIONS[name]


class Encoder(nn.Module):
  """Images [B, H, W, C] -> codes [B, code_size]."""

  hidden_sizes: Sequence[int] = ()
  code_size: int = 256
  hidden_activation: str = "relu"
  code_activation: str = "relu"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = x.reshape((x.shape[0], -1))
    for i, width in enumerate(self.hidden_sizes):
      x = activation(self.hidden_activation)(nn.Dense(width, name=f"hidden_{i}")(x))
    return activation(self.code_activation)(nn.Dense(self.code_size, name="code")(x))


class Decoder(nn.Module):
  """Codes [B, code_size] -> images [B, *output_shape]."""

  output_shape: Sequence[int] = (28, 28, 1)
  hidden_sizes: Sequence[int] = ()
  hidden_activation: str = "relu"
  output_activation: str = "sigmoid"

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    for i, width in enumerate(reversed(tuple(self.hidden_sizes))):
      z = activation(self.hidden_activation)(nn.Dense(width, name=f"hidden_{i}")(z))
    z = nn.Dense(int(np.prod(self.output_shape)), name="output")(z)
    return activation(self.output_activation)(z).reshape((z.shape[0], *self.output_shape))


class EncodeDecode:
  """`encode`, `decode` and `__call__` of a module whose setup() defines
  `self.encoder` and `self.decoder`: x -> z = encode(x) -> x_hat = decode(z)."""

  def encode(self, x: jax.Array) -> jax.Array:
    return self.encoder(x)

  def decode(self, z: jax.Array) -> jax.Array:
    return self.decoder(z)

  def __call__(self, x: jax.Array) -> jax.Array:
    return self.decode(self.encode(x))


class Autoencoder(EncodeDecode, nn.Module):
  """Encoder and decoder trained end to end: x -> z = encode(x) -> x_hat = decode(z)."""

  output_shape: Sequence[int] = (28, 28, 1)
  hidden_sizes: Sequence[int] = ()
  code_size: int = 256
  hidden_activation: str = "relu"
  code_activation: str = "relu"
  output_activation: str = "sigmoid"

  def setup(self):
    self.encoder = Encoder(
      self.hidden_sizes, self.code_size, self.hidden_activation, self.code_activation
    )
    self.decoder = Decoder(
      self.output_shape, self.hidden_sizes, self.hidden_activation, self.output_activation
    )
