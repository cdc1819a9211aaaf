"""Transform codecs trained for rate and distortion (nonlinear transform coding).

- `DenseCodec`: the seed's dense autoencoder made a codec, for 28x28 images.
- `BLS2017`: factorized prior, GDN transforms (Balle, Laparra, Simoncelli 2017).
- `BMSHJ2018`: scale hyperprior (Balle, Minnen, Singh, Hwang, Johnston 2018).
- `MBT2018Mean`: mean-scale hyperprior without the autoregressive context, so
  decoding stays parallel (Minnen, Balle, Toderici 2018).
- with a context for y, in `ae.compression.context_models`: `ChannelCodec` (Minnen and
  Singh 2020) and `CheckerboardCodec` (He et al. 2021).

The layers are not written here: each codec is built from its `ae.compression.arch`
Architecture (`TransformModule` runs one of its layer lists), the same definition the
numpy decoder runs. Every codec has `forward(x, rng, train)` -> (x_hat, bits, aux): with train=True
latents get additive uniform noise; with train=False they are rounded around
the entropy model's offsets (channel medians, or predicted means). `bits` maps
each latent ("y", "z") to its rate in bits per image [B]; `aux` is the tail
quantile loss of the factorized models. Convolutional codecs also have
`rd_terms(latents, round_fn)` -> (x_hat before cropping, bits): the decoder's side of
`forward` from pre-quantization latents {"y", ("z")} with any rounding
`round_fn(values, offset, stream)` (noise, hard, or refinement's relaxed rounding; stream
0 is z, 1 + i y's i-th slice or checkerboard pass), which gives one array for both the
rate and the decoder, or a pair (for the rate, for the decoder): `forward(...,
mixed=True)` trains with mixed quantization, noise for the rate and straight-through
rounding around the offset for what the decoders see, as at inference (Minnen and Singh
2020). `__call__(x)` is the inference reconstruction clipped to [0, 1]. Images
[B, H, W, C] in [0, 1], any H and W: convolutional codecs pad to a multiple of 16 (edge
replication) and crop.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ae.compression import arch as arch_lib
from ae.compression import quantization as q
from ae.compression import widen
from ae.compression.arch import PAD_MULTIPLE, Transform
from ae.compression.entropy_models import EntropyBottleneck, conditional_bits
from ae.compression.gdn import GDN
from ae.layers import Conv, ConvTranspose

_ACTIVATIONS = {
  "relu": nn.relu,
  "leaky_relu": nn.leaky_relu,
  "abs": jnp.abs,
  "half_softsign": lambda x: x / (2.0 * (1.0 + jnp.abs(x))),
  "sigmoid": nn.sigmoid,
  "linear": lambda x: x,
}


def _rounding(rng, train: bool, split: bool = True, mixed: bool = False):
  """round_fn(values, offset, stream) of `forward`: additive uniform noise when training
  (z with the first half of split(rng), y's first stream with the second, stream k > 1
  with fold_in(second, k); without `split` the one y stream uses rng itself), else
  rounding around the offset. With `mixed` (training only), the pair (noisy values for the
  rate, straight-through round(v - offset) + offset for the decoder)."""
  if not train:
    return lambda v, offset, stream: q.quantize(v, offset)
  rz, ry = jax.random.split(rng) if split else (None, rng)

  def noisy(v, offset, stream):
    key = rz if stream == 0 else ry if stream == 1 else jax.random.fold_in(ry, stream)
    noised = q.add_uniform_noise(key, v)
    return (noised, q.round_st(v - offset) + offset) if mixed else noised

  return noisy


def rounded_pair(rounded) -> tuple[jax.Array, jax.Array]:
  """A round_fn's result as (values for the rate, values for the decoder)."""
  return rounded if isinstance(rounded, tuple) else (rounded, rounded)


def pad_to_multiple(x: jax.Array, multiple: int = PAD_MULTIPLE) -> jax.Array:
  h, w = x.shape[1], x.shape[2]
  return jnp.pad(x, ((0, 0), (0, (-h) % multiple), (0, (-w) % multiple), (0, 0)), mode="edge")


class DenseCodec(nn.Module):
  """784 -> hidden -> M latents (factorized prior) -> hidden -> 784 sigmoid."""

  output_shape: Sequence[int] = (28, 28, 1)
  hidden_sizes: Sequence[int] = (256,)
  latent_size: int = 64

  def setup(self):
    spec = {"name": "dense_codec", "hidden_sizes": self.hidden_sizes}
    self.arch = arch_lib.architecture({**spec, "latent_size": self.latent_size}, self.output_shape)
    # List attributes are named enc_0, enc_1, ... by flax: the architecture's layer names.
    self.enc = [nn.Dense(layer.features) for layer in self.arch.g_a.layers if layer.op == "dense"]
    self.dec = [nn.Dense(layer.features) for layer in self.arch.g_s.layers if layer.op == "dense"]
    self.entropy_y = EntropyBottleneck(self.latent_size)

  def _run(self, layers, dense, h):
    """The declared layers in order: dense ones from `dense`, activations by name."""
    dense = iter(dense)
    for layer in layers:
      h = next(dense)(h) if layer.op == "dense" else _ACTIVATIONS[layer.op](h)
    return h

  def analysis(self, x):
    return self._run(self.arch.g_a.layers, self.enc, x.reshape((x.shape[0], -1)))

  def latents(self, x):
    """Pre-quantization latents: {"y": (values, None, None)} (factorized: no mean/scale)."""
    return {"y": (self.analysis(x), None, None)}

  def synthesis(self, y):
    out = _ACTIVATIONS[self.arch.output](self._run(self.arch.g_s.layers, self.dec, y))
    return out.reshape((y.shape[0], *self.output_shape))

  def forward(self, x, rng=None, train: bool = True, mixed: bool = False):
    y = self.analysis(x)
    round_fn = _rounding(rng, train, split=False, mixed=mixed)
    y_r, y_d = rounded_pair(round_fn(y, self.entropy_y.medians(), 1))
    return self.synthesis(y_d), {"y": self.entropy_y.bits(y_r)}, self.entropy_y.aux_loss()

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


class TransformModule(nn.Module):
  """Runs one `arch.Transform` on [B, H, W, C]: conv (stride 1: flax's Conv; strided:
  `ae.layers.Conv`), deconv (`ae.layers.ConvTranspose`), gdn / igdn, activations; each
  parameterized layer named as the transform declares it."""

  transform: Transform

  @nn.compact
  def __call__(self, x):
    for layer in self.transform.layers:
      if layer.op == "conv" and layer.stride == 1:
        k, init = layer.kernel, nn.initializers.zeros if layer.zero_init else None
        kwargs = {"kernel_init": init} if init else {}
        x = nn.Conv(layer.features, (k, k), name=layer.name, **kwargs)(x)
      elif layer.op == "conv":
        x = Conv(layer.features, layer.kernel, layer.stride, name=layer.name)(x)
      elif layer.op == "deconv":
        x = ConvTranspose(layer.features, layer.kernel, layer.stride, name=layer.name)(x)
      elif layer.op in ("gdn", "igdn"):
        x = GDN(inverse=layer.op == "igdn", name=layer.name)(x)
      else:
        x = _ACTIVATIONS[layer.op](x)
    return x


def _arch(name: str, n: int, m: int, channels: int) -> arch_lib.Architecture:
  return arch_lib.architecture({"name": name, "n": n, "m": m}, (0, 0, channels))


class BLS2017(nn.Module):
  """Factorized-prior codec (Balle et al. 2017) with the deep factorized density."""

  n: int = 128
  m: int = 192
  channels: int = 3

  def setup(self):
    arch = _arch("bls2017", self.n, self.m, self.channels)
    self.g_a, self.g_s = TransformModule(arch.g_a), TransformModule(arch.g_s)
    self.entropy_y = EntropyBottleneck(self.m)

  def latents(self, x):
    return {"y": (self.g_a(pad_to_multiple(x)), None, None)}

  def rd_terms(self, latents, round_fn):
    y_r, y_d = rounded_pair(round_fn(latents["y"], self.entropy_y.medians(), 1))
    return self.g_s(y_d), {"y": self.entropy_y.bits(y_r)}

  def forward(self, x, rng=None, train: bool = True, mixed: bool = False):
    h, w = x.shape[1:3]
    y = self.g_a(pad_to_multiple(x))
    x_hat, bits = self.rd_terms({"y": y}, _rounding(rng, train, split=False, mixed=mixed))
    return x_hat[:, :h, :w], bits, self.entropy_y.aux_loss()

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


class BMSHJ2018(nn.Module):
  """Scale hyperprior: y ~ N(0, sigma(z)^2), z factorized (Balle et al. 2018)."""

  n: int = 128
  m: int = 192
  channels: int = 3
  family: str = "gaussian"
  mean_scale: bool = False

  def setup(self):
    arch = _arch("mbt2018_mean" if self.mean_scale else "bmshj2018", self.n, self.m, self.channels)
    self.g_a, self.g_s = TransformModule(arch.g_a), TransformModule(arch.g_s)
    self.h_a, self.h_s = TransformModule(arch.h_a), TransformModule(arch.h_s)
    self.entropy_z = EntropyBottleneck(self.n)

  def hyper_params(self, z_hat, y_shape):
    """(mean, scale) of y from the decoded hyper-latent, cropped to y's shape."""
    p = self.h_s(z_hat)[:, : y_shape[1], : y_shape[2]]
    if self.mean_scale:
      mean, scale = jnp.split(p, 2, axis=-1)
      return mean, scale
    return jnp.zeros_like(p), p

  def adapt_params(self, old: dict, fresh: dict) -> dict | None:
    """`train.init_from` of this codec with fewer latent channels M (`model.m`): the
    function-preserving widening of `ae.compression.widen`; None unless `old` has exactly
    the shapes of this model at its own M (same N, channels and hyperprior kind)."""
    try:
      m_old = int(old["g_a"]["conv_3"]["kernel"].shape[-1])
    except (KeyError, TypeError, AttributeError, IndexError):
      return None
    x = jax.ShapeDtypeStruct((1, 64, 64, self.channels), jnp.float32)
    narrow = jax.eval_shape(self.clone(m=m_old).init, jax.random.PRNGKey(0), x)["params"]
    shape = lambda v: tuple(np.shape(v))
    try:
      if jax.tree_util.tree_map(shape, old) != jax.tree_util.tree_map(shape, dict(narrow)):
        return None
    except (TypeError, ValueError):
      return None
    return widen.widen_params(old, fresh, self.mean_scale)

  def latents(self, x):
    """{"y": (values, mean, scale) given the rounded z, "z": (values, None, None)}."""
    y = self.g_a(pad_to_multiple(x))
    z = self.h_a(y)
    mean, scale = self.hyper_params(q.quantize(z, self.entropy_z.medians()), y.shape)
    return {"y": (y, mean, scale), "z": (z, None, None)}

  def rd_terms(self, latents, round_fn):
    z_r, z_d = rounded_pair(round_fn(latents["z"], self.entropy_z.medians(), 0))
    mean, scale = self.hyper_params(z_d, latents["y"].shape)
    y_r, y_d = rounded_pair(round_fn(latents["y"], mean, 1))
    bits = {"y": conditional_bits(y_r, mean, scale, self.family), "z": self.entropy_z.bits(z_r)}
    return self.g_s(y_d), bits

  def forward(self, x, rng=None, train: bool = True, mixed: bool = False):
    return hyper_forward(self, x, rng, train, mixed)

  def __call__(self, x):
    return jnp.clip(self.forward(x, train=False)[0], 0.0, 1.0)


def hyper_forward(model, x, rng, train: bool, mixed: bool):
  h, w = x.shape[1:3]
  y = model.g_a(pad_to_multiple(x))
  x_hat, bits = model.rd_terms({"y": y, "z": model.h_a(y)}, _rounding(rng, train, mixed=mixed))
  return x_hat[:, :h, :w], bits, model.entropy_z.aux_loss()


def MBT2018Mean(
  n: int = 128, m: int = 192, channels: int = 3, family: str = "gaussian", **kwargs
) -> BMSHJ2018:  # pylint: disable=invalid-name
  """Mean-scale hyperprior (Minnen et al. 2018) without context model."""
  return BMSHJ2018(n=n, m=m, channels=channels, family=family, mean_scale=True, **kwargs)
