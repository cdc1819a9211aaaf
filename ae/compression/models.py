"""Transform codecs trained for rate and distortion (nonlinear transform coding).

- `DenseCodec`: the seed's dense autoencoder made a codec, for 28x28 images.
- `BLS2017`: factorized prior, GDN transforms (Balle, Laparra, Simoncelli 2017).
- `BMSHJ2018`: scale hyperprior (Balle, Minnen, Singh, Hwang, Johnston 2018).
- `MBT2018Mean`: mean-scale hyperprior without the autoregressive context, so
  decoding stays parallel (Minnen, Balle, Toderici 2018).

Every codec has `forward(x, rng, train)` -> (x_hat, bits, aux): with train=True
latents get additive uniform noise; with train=False they are rounded around
the entropy model's offsets (channel medians, or predicted means). `bits` maps
each latent ("y", "z") to its rate in bits per image [B]; `aux` is the tail
quantile loss of the factorized models. `__call__(x)` is the inference
reconstruction clipped to [0, 1]. Images [B, H, W, C] in [0, 1], any H and W:
convolutional codecs pad to a multiple of 16 (edge replication) and crop.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ae.compression import quantization as q
from ae.compression.entropy_models import EntropyBottleneck, conditional_bits
from ae.compression.gdn import GDN
from ae.layers import Conv, ConvTranspose

PAD_MULTIPLE = 16


def _noise_or_round(y, rng, train: bool, offset):
  return q.add_uniform_noise(rng, y) if train else q.quantize(y, offset)


def pad_to_multiple(x: jax.Array, multiple: int = PAD_MULTIPLE) -> jax.Array:
  h, w = x.shape[1], x.shape[2]
  return jnp.pad(x, ((0, 0), (0, (-h) % multiple), (0, (-w) % multiple), (0, 0)), mode="edge")


class DenseCodec(nn.Module):
  """784 -> hidden -> M latents (factorized prior) -> hidden -> 784 sigmoid."""

  output_shape: Sequence[int] = (28, 28, 1)
  hidden_sizes: Sequence[int] = (256,)
  latent_size: int = 64

  def setup(self):
    self.enc = [nn.Dense(w) for w in self.hidden_sizes] + [nn.Dense(self.latent_size)]
    self.dec = [nn.Dense(w) for w in reversed(tuple(self.hidden_sizes))] + [
      nn.Dense(int(np.prod(self.output_shape)))
    ]
    self.entropy_y = EntropyBottleneck(self.latent_size)

  def analysis(self, x):
    h = x.reshape((x.shape[0], -1))
    for layer in self.enc[:-1]:
      h = nn.relu(layer(h))
    return self.enc[-1](h)

  def latents(self, x):
    """Pre-quantization latents: {"y": (values, None, None)} (factorized: no mean/scale)."""
    return {"y": (self.analysis(x), None, None)}

  def synthesis(self, y):
    for layer in self.dec[:-1]:
      y = nn.relu(layer(y))
    return nn.sigmoid(self.dec[-1](y)).reshape((y.shape[0], *self.output_shape))

  def forward(self, x, rng=None, train: bool = True):
    y = self.analysis(x)
    y_hat = _noise_or_round(y, rng, train, self.entropy_y.medians())
    return self.synthesis(y_hat), {"y": self.entropy_y.bits(y_hat)}, self.entropy_y.aux_loss()

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


class AnalysisGDN(nn.Module):
  """[Conv5x5/2 -> GDN] x 3, Conv5x5/2: [B, H, W, C] -> [B, H/16, W/16, M]."""

  n: int
  m: int

  @nn.compact
  def __call__(self, x):
    for i in range(3):
      x = GDN(name=f"gdn_{i}")(Conv(self.n, 5, 2, name=f"conv_{i}")(x))
    return Conv(self.m, 5, 2, name="conv_3")(x)


class SynthesisGDN(nn.Module):
  """[ConvT5x5/2 -> IGDN] x 3, ConvT5x5/2: [B, h, w, M] -> [B, 16h, 16w, channels]."""

  n: int
  channels: int

  @nn.compact
  def __call__(self, y):
    for i in range(3):
      y = GDN(inverse=True, name=f"igdn_{i}")(ConvTranspose(self.n, 5, 2, name=f"deconv_{i}")(y))
    return ConvTranspose(self.channels, 5, 2, name="deconv_3")(y)


class BLS2017(nn.Module):
  """Factorized-prior codec (Balle et al. 2017) with the deep factorized density."""

  n: int = 128
  m: int = 192
  channels: int = 3

  def setup(self):
    self.g_a, self.g_s = AnalysisGDN(self.n, self.m), SynthesisGDN(self.n, self.channels)
    self.entropy_y = EntropyBottleneck(self.m)

  def latents(self, x):
    return {"y": (self.g_a(pad_to_multiple(x)), None, None)}

  def forward(self, x, rng=None, train: bool = True):
    h, w = x.shape[1:3]
    y = self.g_a(pad_to_multiple(x))
    y_hat = _noise_or_round(y, rng, train, self.entropy_y.medians())
    x_hat = self.g_s(y_hat)[:, :h, :w]
    return x_hat, {"y": self.entropy_y.bits(y_hat)}, self.entropy_y.aux_loss()

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


class HyperAnalysis(nn.Module):
  n: int
  activation: str = "relu"

  @nn.compact
  def __call__(self, y):
    act = nn.relu if self.activation == "relu" else nn.leaky_relu
    y = act(nn.Conv(self.n, (3, 3), name="conv_0")(y))
    y = act(Conv(self.n, 5, 2, name="conv_1")(y))
    return Conv(self.n, 5, 2, name="conv_2")(y)


class HyperSynthesis(nn.Module):
  widths: Sequence[int]
  out: int
  activation: str = "relu"
  final_activation: bool = True

  @nn.compact
  def __call__(self, z):
    act = nn.relu if self.activation == "relu" else nn.leaky_relu
    for i, w in enumerate(self.widths):
      z = act(ConvTranspose(w, 5, 2, name=f"deconv_{i}")(z))
    z = nn.Conv(self.out, (3, 3), name="conv_out")(z)
    return act(z) if self.final_activation else z


class BMSHJ2018(nn.Module):
  """Scale hyperprior: y ~ N(0, sigma(z)^2), z factorized (Balle et al. 2018)."""

  n: int = 128
  m: int = 192
  channels: int = 3
  family: str = "gaussian"
  mean_scale: bool = False

  def setup(self):
    self.g_a, self.g_s = AnalysisGDN(self.n, self.m), SynthesisGDN(self.n, self.channels)
    act = "leaky_relu" if self.mean_scale else "relu"
    self.h_a = HyperAnalysis(self.n, act)
    if self.mean_scale:
      self.h_s = HyperSynthesis((self.m, self.m * 3 // 2), 2 * self.m, act, final_activation=False)
    else:
      self.h_s = HyperSynthesis((self.n, self.n), self.m, act)
    self.entropy_z = EntropyBottleneck(self.n)

  def hyper_params(self, z_hat, y_shape):
    """(mean, scale) of y from the decoded hyper-latent, cropped to y's shape."""
    p = self.h_s(z_hat)[:, : y_shape[1], : y_shape[2]]
    if self.mean_scale:
      mean, scale = jnp.split(p, 2, axis=-1)
      return mean, scale
    return jnp.zeros_like(p), p

  def latents(self, x):
    """{"y": (values, mean, scale) given the rounded z, "z": (values, None, None)}."""
    y = self.g_a(pad_to_multiple(x))
    z = self.h_a(y if self.mean_scale else jnp.abs(y))
    mean, scale = self.hyper_params(q.quantize(z, self.entropy_z.medians()), y.shape)
    return {"y": (y, mean, scale), "z": (z, None, None)}

  def forward(self, x, rng=None, train: bool = True):
    h, w = x.shape[1:3]
    y = self.g_a(pad_to_multiple(x))
    z = self.h_a(y if self.mean_scale else jnp.abs(y))
    rz, ry = jax.random.split(rng) if train else (None, None)
    z_hat = _noise_or_round(z, rz, train, self.entropy_z.medians())
    mean, scale = self.hyper_params(z_hat, y.shape)
    y_hat = _noise_or_round(y, ry, train, mean)
    bits = {"y": conditional_bits(y_hat, mean, scale, self.family), "z": self.entropy_z.bits(z_hat)}
    return self.g_s(y_hat)[:, :h, :w], bits, self.entropy_z.aux_loss()

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


def MBT2018Mean(
  n: int = 128, m: int = 192, channels: int = 3, family: str = "gaussian", **kwargs
) -> BMSHJ2018:  # pylint: disable=invalid-name
  """Mean-scale hyperprior (Minnen et al. 2018) without context model."""
  return BMSHJ2018(n=n, m=m, channels=channels, family=family, mean_scale=True, **kwargs)
