"""A convolutional denoising autoencoder: a small U-Net with a residual output.

Encoder: per level two 3x3 convolutions (ReLU), then a stride-2 3x3 convolution
down; decoder: a stride-2 transposed convolution up (`ae.layers.ConvTranspose`),
concatenation with the encoder's features of that level (U-Net skip, Ronneberger
et al. 2015), two 3x3 convolutions. The output is the input minus a predicted
noise residual (residual learning, DnCNN, Zhang et al. 2017; RED-Net, Mao et al.
2016 use skips likewise). Any H and W: the input is edge-padded to a multiple of
2^levels and the output cropped. Images [B, H, W, C] in [0, 1] (noisy input may
leave that range); the output is not clipped in training.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ae.layers import Conv, ConvTranspose


class DenoisingUNet(nn.Module):
  widths: Sequence[int] = (32, 64, 96)
  residual: bool = True

  def _block(self, x, width, name):
    x = nn.relu(nn.Conv(width, (3, 3), name=f"{name}_a")(x))
    return nn.relu(nn.Conv(width, (3, 3), name=f"{name}_b")(x))

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h, w, c = x.shape[1:]
    m = 2 ** (len(self.widths) - 1)
    y = jnp.pad(x, ((0, 0), (0, (-h) % m), (0, (-w) % m), (0, 0)), mode="edge")
    skips = []
    for i, width in enumerate(self.widths[:-1]):
      y = self._block(y, width, f"enc_{i}")
      skips.append(y)
      y = nn.relu(Conv(self.widths[i + 1], 3, 2, name=f"down_{i}")(y))
    y = self._block(y, self.widths[-1], "middle")
    for i in reversed(range(len(self.widths) - 1)):
      y = nn.relu(ConvTranspose(self.widths[i], 3, 2, name=f"up_{i}")(y))
      y = self._block(jnp.concatenate([y, skips[i]], axis=-1), self.widths[i], f"dec_{i}")
    out = nn.Conv(c, (3, 3), name="out")(y)[:, :h, :w]
    return x - out if self.residual else out
