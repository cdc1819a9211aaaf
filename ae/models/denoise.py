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
from typing import ClassVar

import flax.linen as nn
import jax
import jax.numpy as jnp

from ae.layers import Conv, ConvTranspose


class DenoisingUNet(nn.Module):
  """With `noise_map`, the noise level (0-255 scale: scalar, [B] or [B, H, W, 1]) is an
  extra input channel, as in DRUNet (Zhang et al. 2021, "Plug-and-play image restoration
  with deep denoiser prior"); `__call__(x, sigma)`."""

  widths: Sequence[int] = (32, 64, 96)
  residual: bool = True
  noise_map: bool = False

  def _block(self, x, width, name):
    x = nn.relu(nn.Conv(width, (3, 3), name=f"{name}_a")(x))
    return nn.relu(nn.Conv(width, (3, 3), name=f"{name}_b")(x))

  @property
  def noise_conditioned(self) -> bool:
    return self.noise_map

  def adapt_params(self, old: dict, fresh: dict) -> dict | None:
    """`train.init_from` of a U-Net with one level fewer: `deepen_params`."""
    return deepen_params(old, fresh, len(self.widths))

  @nn.compact
  def __call__(
    self, x: jax.Array, sigma: jax.Array | float | None = None, guide: jax.Array | None = None
  ) -> jax.Array:
    """x [B, H, W, C] -> [B, H, W, C]; `guide` [B, H, W, G], if given, is further input
    channels (after the noise map) that are not denoised (e.g. a denoised luma plane)."""
    h, w, c = x.shape[1:]
    m = 2 ** (len(self.widths) - 1)
    y = jnp.concatenate([x, noise_map(sigma, x)], axis=-1) if self.noise_map else x
    y = y if guide is None else jnp.concatenate([y, guide.astype(y.dtype)], axis=-1)
    y = jnp.pad(y, ((0, 0), (0, (-h) % m), (0, (-w) % m), (0, 0)), mode="edge")
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


def deepen_params(old: dict, fresh: dict, levels: int) -> dict | None:
  """A `levels`-level DenoisingUNet's parameters that compute what the trained
  (`levels` - 1)-level one `old` does, on images whose sides are multiples of
  2^(levels - 1) (elsewhere only the edge padding differs), or None if `old` is not such
  a model with the same widths. `fresh` is the new model's initial tree.

  The old `middle` block (`middle_a`, `middle_b`) becomes `enc_{levels-2}`; the new
  level's down, middle and up convolutions keep their fresh values; `dec_{levels-2}`
  starts as the identity on the skip (its kernels' centre taps, the skip's input rows
  only; the skip is a ReLU output, so the ReLUs pass it), with zero rows for the new up
  path, which therefore starts without effect but with gradients (its output is not
  zero). Growing depth this way keeps training cumulative (Net2Net's idea, Chen,
  Goodfellow and Shlens 2016)."""
  top = levels - 2
  if top < 1 or f"enc_{top}_a" in old or f"enc_{top - 1}_a" not in old:
    return None
  new = dict(fresh)
  for name, value in old.items():
    target = name.replace("middle", f"enc_{top}")
    if target not in new:
      return None
    if jax.tree_util.tree_map(jnp.shape, value) != jax.tree_util.tree_map(jnp.shape, new[target]):
      return None
    new[target] = value
  dec = {}
  for part in ("a", "b"):
    kernel = fresh[f"dec_{top}_{part}"]["kernel"]
    width = kernel.shape[-1]
    skip = kernel.shape[2] - width  # rows of the skip: after the up path's (a), all (b)
    centre = jnp.zeros_like(kernel).at[1, 1, skip:, :].set(jnp.eye(width, dtype=kernel.dtype))
    dec[f"dec_{top}_{part}"] = {"kernel": centre, "bias": jnp.zeros((width,), kernel.dtype)}
  return {**new, **dec}


def widths_of(unet_params: dict) -> tuple[int, ...]:
  """The widths of a DenoisingUNet from its parameters (enc_i_a per level, then middle)."""
  levels = sum(1 for name in unet_params if name.startswith("enc_") and name.endswith("_a"))
  enc = [int(jnp.shape(unet_params[f"enc_{i}_a"]["kernel"])[-1]) for i in range(levels)]
  return (*enc, int(jnp.shape(unet_params["middle_a"]["kernel"])[-1]))


def pixel_unshuffle(x: jax.Array, r: int) -> jax.Array:
  """[B, H, W, C] -> [B, H/r, W/r, r*r*C] (space-to-depth; H and W multiples of r)."""
  b, h, w, c = x.shape
  x = x.reshape(b, h // r, r, w // r, r, c).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(b, h // r, w // r, r * r * c)


def pixel_shuffle(x: jax.Array, r: int) -> jax.Array:
  """[B, H, W, r*r*C] -> [B, H*r, W*r, C] (depth-to-space, the inverse of pixel_unshuffle)."""
  b, h, w, rrc = x.shape
  c = rrc // (r * r)
  x = x.reshape(b, h, w, r, r, c).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(b, h * r, w * r, c)


def noise_map(sigma: jax.Array | float | None, x: jax.Array) -> jax.Array:
  """The noise level of each pixel of x [B, H, W, C] as [B, H, W, 1] on the [0, 1] scale,
  from sigma on the 0-255 scale: a scalar, one per image [B], or a map [B, H, W, 1].
  None means noise-free (sigma 0), which only `init` uses."""
  if sigma is None:
    return jnp.zeros(x.shape[:3] + (1,), x.dtype)
  s = jnp.asarray(sigma, x.dtype) / 255.0
  if s.ndim == 4:
    return s
  return jnp.broadcast_to(jnp.reshape(s, (-1, 1, 1, 1)), x.shape[:3] + (1,))


class FFDNet(nn.Module):
  """A noise-level-conditioned denoiser (FFDNet, Zhang, Zuo and Zhang 2018, "FFDNet:
  toward a fast and flexible solution for CNN based image denoising").

  The image is pixel-unshuffled by 2 and concatenated with the noise map at half
  resolution; `depth` 3x3 convolutions of `width` channels (ReLU between, no batch
  norm) predict the noise of the 2x2 sub-images, which are shuffled back and
  subtracted from the input (residual learning, as DnCNN). One model serves every
  sigma: `sigma` (0-255 scale) is a scalar, [B] or a map [B, H, W, 1]. Per pixel the
  stack costs width^2 * 9 * (depth - 2) / 4 multiply-adds, a quarter of DnCNN's at the
  same width and depth. Images [B, H, W, C] in [0, 1]; any H, W (edge-padded to even,
  output cropped); the output is not clipped.
  """

  width: int = 64
  depth: int = 15
  noise_conditioned: ClassVar[bool] = True  # the objective passes sigma (0-255 scale)

  @nn.compact
  def __call__(self, x: jax.Array, sigma: jax.Array | float | None = None) -> jax.Array:
    h, w, c = x.shape[1:]
    m = noise_map(sigma, x)
    pad = ((0, 0), (0, h % 2), (0, w % 2), (0, 0))
    xp, mp = jnp.pad(x, pad, mode="edge"), jnp.pad(m, pad, mode="edge")
    y = jnp.concatenate([pixel_unshuffle(xp, 2), mp[:, ::2, ::2]], axis=-1)
    for i in range(self.depth - 1):
      y = nn.relu(nn.Conv(self.width, (3, 3), name=f"conv_{i}")(y))
    noise = pixel_shuffle(nn.Conv(4 * c, (3, 3), name=f"conv_{self.depth - 1}")(y), 2)
    return x - noise[:, :h, :w]
