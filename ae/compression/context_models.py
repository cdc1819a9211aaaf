"""Mean-scale hyperprior codecs with a context for y: decoded in a few parallel passes.

- `ChannelCodec`: mbt2018-mean's transforms with a channel-conditional y (Minnen and
  Singh 2020): slices coded in turn, each conditioned on the ones before it; parallel
  within a slice.
- `CheckerboardCodec`: mbt2018-mean's transforms with a checkerboard context (He et al.
  2021): y's anchors first, then the other half conditioned on them; two parallel passes.

Built from their `ae.compression.arch` Architectures like the codecs of
`ae.compression.models`, with the same interface (`forward`, `latents`, `rd_terms`).
Images [B, H, W, C] in [0, 1]; rates in bits per image [B].
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from ae.compression import arch as arch_lib
from ae.compression import quantization as q
from ae.compression.entropy_models import EntropyBottleneck, conditional_bits
from ae.compression.models import TransformModule, hyper_forward, pad_to_multiple, rounded_pair


class _ContextCodec(nn.Module):
  """What the codecs with a context for y share: each defines `decode_y(y, z_hat, round_fn)`
  -> (y_hat, bits of y [B], means, scales of y), the passes over y given what the decoder
  sees of z; z is coded with its factorized prior."""

  def latents(self, x):
    """{"y": (values, mean, scale) given the rounded z and y's earlier passes, "z": (values,
    None, None)}."""
    y = self.g_a(pad_to_multiple(x))
    z = self.h_a(y)
    hard = lambda v, offset, stream: q.quantize(v, offset)
    _, _, mean, scale = self.decode_y(y, hard(z, self.entropy_z.medians(), 0), hard)
    return {"y": (y, mean, scale), "z": (z, None, None)}

  def rd_terms(self, latents, round_fn):
    z_r, z_d = rounded_pair(round_fn(latents["z"], self.entropy_z.medians(), 0))
    y_hat, bits_y, _, _ = self.decode_y(latents["y"], z_d, round_fn)
    return self.g_s(y_hat), {"y": bits_y, "z": self.entropy_z.bits(z_r)}

  def forward(self, x, rng=None, train: bool = True, mixed: bool = False):
    return hyper_forward(self, x, rng, train, mixed)

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


class ChannelCodec(_ContextCodec):
  """Channel-conditional codec (Minnen and Singh 2020): mbt2018-mean's transforms and
  hyperprior; y in `slices` slices, slice i ~ N(mu_i, sigma_i^2) with (mu_i, sigma_i) from
  h_s's mean / scale features and the decoded slices 0..i-1, plus a latent residual
  prediction lrp_i(mean features, slices 0..i-1, rounded slice i) in (-1/2, 1/2)."""

  n: int = 128
  m: int = 192
  channels: int = 3
  slices: int = 4
  family: str = "gaussian"

  def setup(self):
    spec = {"name": "ms2020", "n": self.n, "m": self.m, "slices": self.slices}
    arch = arch_lib.architecture(spec, (0, 0, self.channels))
    self.g_a, self.g_s = TransformModule(arch.g_a), TransformModule(arch.g_s)
    self.h_a, self.h_s = TransformModule(arch.h_a), TransformModule(arch.h_s)
    self.entropy_z = EntropyBottleneck(self.n)
    # List attributes are named cc_mean_0, cc_mean_1, ... by flax: the declared scopes.
    self.cc_mean = [TransformModule(s.mean) for s in arch.slices]
    self.cc_scale = [TransformModule(s.scale) for s in arch.slices]
    self.lrp = [TransformModule(s.lrp) for s in arch.slices]

  def decode_y(self, y, z_hat, round_fn):
    """(y_hat with LRP, bits of y [B], means, scales) slice by slice, [B, h, w, M] each;
    z_hat is what the decoder sees of z."""
    p = self.h_s(z_hat)[:, : y.shape[1], : y.shape[2]]
    mean_f, scale_f = jnp.split(p, 2, axis=-1)
    hats, means, scales, bits = [], [], [], 0.0
    for i, y_i in enumerate(jnp.split(y, self.slices, axis=-1)):
      mu = self.cc_mean[i](jnp.concatenate([mean_f, *hats], -1))
      sigma = self.cc_scale[i](jnp.concatenate([scale_f, *hats], -1))
      y_r, y_q = rounded_pair(round_fn(y_i, mu, 1 + i))
      bits = bits + conditional_bits(y_r, mu, sigma, self.family)
      hats.append(y_q + self.lrp[i](jnp.concatenate([mean_f, *hats, y_q], -1)))
      means.append(mu)
      scales.append(sigma)
    cat = lambda v: jnp.concatenate(v, -1)
    return cat(hats), bits, cat(means), cat(scales)


class CheckerboardCodec(_ContextCodec):
  """Checkerboard context codec (He et al. 2021): mbt2018-mean's transforms and hyperprior;
  y's anchors (row + column even) ~ N(mu, sigma^2) from h_s, the rest with h_s's mean and
  scale plus the context networks' corrections from h_s's features and the decoded anchors."""

  n: int = 128
  m: int = 192
  channels: int = 3
  family: str = "gaussian"

  def setup(self):
    arch = arch_lib.architecture(
      {"name": "he2021", "n": self.n, "m": self.m}, (0, 0, self.channels)
    )
    self.g_a, self.g_s = TransformModule(arch.g_a), TransformModule(arch.g_s)
    self.h_a, self.h_s = TransformModule(arch.h_a), TransformModule(arch.h_s)
    self.entropy_z = EntropyBottleneck(self.n)
    self.ctx_mean = TransformModule(arch.context.mean)
    self.ctx_scale = TransformModule(arch.context.scale)

  def decode_y(self, y, z_hat, round_fn):
    """(y_hat, bits of y [B], means, scales), [B, h, w, M] each: the anchors' pass (stream 1)
    then the rest (stream 2); z_hat is what the decoder sees of z."""
    p = self.h_s(z_hat)[:, : y.shape[1], : y.shape[2]]
    mean_f, scale_f = jnp.split(p, 2, axis=-1)
    anchor = jnp.asarray(arch_lib.checkerboard(y.shape[1], y.shape[2]))[None, :, :, None]
    y_r0, y_d0 = rounded_pair(round_fn(y, mean_f, 1))
    ctx = jnp.where(anchor, y_d0, 0.0)
    mean1 = mean_f + self.ctx_mean(jnp.concatenate([mean_f, ctx], -1))
    scale1 = scale_f + self.ctx_scale(jnp.concatenate([scale_f, ctx], -1))
    y_r1, y_d1 = rounded_pair(round_fn(y, mean1, 2))
    mean, scale = jnp.where(anchor, mean_f, mean1), jnp.where(anchor, scale_f, scale1)
    bits = conditional_bits(jnp.where(anchor, y_r0, y_r1), mean, scale, self.family)
    return jnp.where(anchor, y_d0, y_d1), bits, mean, scale
