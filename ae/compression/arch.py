"""Codec architectures, each written once: layer lists that two backends run.

An `Architecture` declares a codec's transforms as lists of `Layer`s, its latents (their
names in stream order, channels, and entropy model) and their shapes for an H x W image.
The linen modules that train (`ae.compression.models`) and the numpy program that codes
real files (`ae.codec.transforms`: float32 encoder, exact fixed-point decoder) are both
built from it, reaching parameters by the layer names declared here, so the two cannot
drift apart; export, `compress` / `decompress`, refinement and the RD harness ask the
architecture instead of branching on model names. Adding an architecture is one entry of
`ARCHITECTURES` (and its tests).

Layers ("op"): conv (SAME, `stride`; `zero_init`: its kernel starts at zero in training),
deconv (the transpose of a SAME stride-s conv), gdn / igdn (Balle, Laparra, Simoncelli
2016), relu, leaky_relu (slope 0.01), abs, dense, half_softsign (x / (2 (1 + |x|)), in
(-1/2, 1/2): the bounded latent residual prediction of the channel-conditional codec,
exact in fixed point where tanh is not).
Shapes are channels last; python and numpy, no jax, no flax.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from ae.utils.errors import ConfigError

# A file holds z and one stream per slice of y: `ae.codec.bitstream.MAX_STREAMS` - 1.
MAX_SLICES = 7

PAD_MULTIPLE = 16  # convolutional codecs edge-pad images to a multiple of this


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


@dataclasses.dataclass(frozen=True)
class Latent:
  """A coded latent: `factorized` (one table per channel, symbols around its median; its
  density is the module `module`) or `conditional` (tables chosen by the predicted scale,
  symbols around the predicted mean)."""

  name: str
  channels: int
  entropy: str
  module: str = ""


@dataclasses.dataclass(frozen=True)
class SliceNets:
  """The networks of one slice of a channel-conditional y (Minnen and Singh 2020): its
  mean from h_s's mean features and the slices before it, its scale likewise from the
  scale features, and its latent residual prediction from the mean features, the slices
  before it and its own rounded value."""

  mean: Transform
  scale: Transform
  lrp: Transform


@dataclasses.dataclass(frozen=True)
class ContextNets:
  """The checkerboard context of y (He et al. 2021): corrections to h_s's mean and scale of
  the non-anchor latents, from h_s's mean (scale) features and the decoded anchors (zero at
  the non-anchor positions, so a plain convolution sees only anchors)."""

  mean: Transform
  scale: Transform


def checkerboard(h: int, w: int):
  """[h, w] bool numpy array, True at the anchors: (row + column) even (He et al. 2021)."""
  return (np.add.outer(np.arange(h), np.arange(w)) % 2) == 0


def anchor_count(h: int, w: int) -> int:
  """How many of an h x w grid's positions are anchors: ceil(h/2) ceil(w/2) + floor both."""
  return -(-h // 2) * -(-w // 2) + (h // 2) * (w // 2)


@dataclasses.dataclass(frozen=True)
class Architecture:
  """A codec: `kind` is "dense" (blocks of `block` pixels, a vector latent),
  "factorized" (g_a, g_s), "hyperprior" (also h_a, h_s; `mean_scale` when h_s predicts
  means as well as scales, Minnen et al. 2018) or "channel" (a mean-scale hyperprior
  whose y is coded in `len(slices)` equal channel slices, each conditioned on the ones
  before it: Minnen and Singh 2020) or "checkerboard" (a mean-scale hyperprior whose y is
  coded in two streams, the anchors then the rest, conditioned on the anchors through
  `context`: He et al. 2021). `latents` are in stream order; a channel codec's y is one
  stream per slice, a checkerboard codec's two."""

  name: str
  kind: str
  channels: int
  g_a: Transform
  g_s: Transform
  latents: tuple[Latent, ...]
  h_a: Transform | None = None
  h_s: Transform | None = None
  mean_scale: bool = False
  block: tuple[int, int] = (0, 0)
  output: str = "linear"  # g_s's last step: "linear" (pixels in [0, 1] scale) or "sigmoid"
  slices: tuple[SliceNets, ...] = ()
  context: ContextNets | None = None

  @property
  def y_nets(self) -> tuple[Transform, ...]:
    """The networks between h_s and y's entropy model: slice or context networks."""
    nets = [t for s in self.slices for t in (s.mean, s.scale, s.lrp)]
    return tuple(nets + ([self.context.mean, self.context.scale] if self.context else []))

  @property
  def hyper(self) -> bool:
    """Whether y is coded conditionally on a hyper-latent z (hyperprior or channel)."""
    return self.h_a is not None

  @property
  def y_streams(self) -> int:
    """How many streams y is coded in: one per slice, two for a checkerboard, or one."""
    return 2 if self.context else max(1, len(self.slices))

  @property
  def factorized(self) -> Latent:
    """The latent coded with a factorized prior (y, or the hyperprior's z)."""
    return next(lat for lat in self.latents if lat.entropy == "factorized")

  def latent(self, name: str) -> Latent:
    return next(lat for lat in self.latents if lat.name == name)

  def latent_shapes(self, h: int, w: int) -> dict[str, tuple[int, ...]]:
    """{latent: shape} for an H x W image: dense [N blocks, M]; convolutional y
    [h', w', M] of the image padded to PAD_MULTIPLE, z [h'', w'', N] of y."""
    if self.kind == "dense":
      n = math.ceil(h / self.block[0]) * math.ceil(w / self.block[1])
      return {"y": (n, self.latent("y").channels)}
    hp, wp = -(-h // PAD_MULTIPLE) * PAD_MULTIPLE, -(-w // PAD_MULTIPLE) * PAD_MULTIPLE
    yh, yw = self.g_a.out_size(hp), self.g_a.out_size(wp)
    shapes = {"y": (yh, yw, self.latent("y").channels)}
    if self.h_a is not None:
      shapes["z"] = (self.h_a.out_size(yh), self.h_a.out_size(yw), self.latent("z").channels)
    return {lat.name: shapes[lat.name] for lat in self.latents}


def stream_shapes(arch: Architecture, h: int, w: int) -> list[tuple[str, tuple[int, ...]]]:
  """(latent name, symbol shape) of each stream of an H x W image's file, in file order:
  z then y for hyperpriors, z then y's slices [h', w', M / S] for channel codecs, z then
  y's anchors [A, M] and the rest [h' w' - A, M] for checkerboard codecs."""
  shapes = arch.latent_shapes(h, w)
  out = [(name, shape) for name, shape in shapes.items() if name != "y"]
  y = shapes["y"]
  if arch.context:
    a = anchor_count(y[0], y[1])
    return out + [("y", (a, y[2])), ("y", (y[0] * y[1] - a, y[2]))]
  return out + [("y", (*y[:-1], y[-1] // arch.y_streams))] * arch.y_streams


def _gdn_transforms(n: int, m: int, channels: int) -> tuple[Transform, Transform]:
  """[Conv5x5/2 -> GDN] x 3, Conv5x5/2 and its mirror with IGDN (Balle et al. 2017)."""
  g_a = [x for i in range(3) for x in (conv(f"conv_{i}", n, 5, 2), gdn(f"gdn_{i}"))]
  g_s = [x for i in range(3) for x in (deconv(f"deconv_{i}", n, 5, 2), igdn(f"igdn_{i}"))]
  return (
    Transform("g_a", (*g_a, conv("conv_3", m, 5, 2))),
    Transform("g_s", (*g_s, deconv("deconv_3", channels, 5, 2))),
  )


def _dense(mc, image_shape: Sequence[int]) -> Architecture:
  """The seed's dense autoencoder made a codec: 784 -> hidden -> M -> hidden -> 784 sigmoid."""
  hidden, m = tuple(int(v) for v in mc.get("hidden_sizes", (256,))), int(mc.latent_size)
  enc = [x for i, f in enumerate(hidden) for x in (dense(f"enc_{i}", f), RELU)]
  dec = [x for i, f in enumerate(reversed(hidden)) for x in (dense(f"dec_{i}", f), RELU)]
  out = int(math.prod(image_shape))
  return Architecture(
    "dense_codec",
    "dense",
    int(image_shape[2]),
    Transform("", (*enc, dense(f"enc_{len(hidden)}", m))),
    Transform("", (*dec, dense(f"dec_{len(hidden)}", out))),
    (Latent("y", m, "factorized", "entropy_y"),),
    block=(int(image_shape[0]), int(image_shape[1])),
    output="sigmoid",
  )


def _bls2017(mc, image_shape: Sequence[int]) -> Architecture:
  """Factorized prior (Balle, Laparra, Simoncelli 2017)."""
  g_a, g_s = _gdn_transforms(int(mc.n), int(mc.m), int(image_shape[2]))
  latents = (Latent("y", int(mc.m), "factorized", "entropy_y"),)
  return Architecture("bls2017", "factorized", int(image_shape[2]), g_a, g_s, latents)


def _hyperprior(mean_scale: bool) -> Callable:
  def build(mc, image_shape: Sequence[int]) -> Architecture:
    """Scale hyperprior (Balle et al. 2018) or, with `mean_scale`, the mean-scale
    hyperprior without context model (Minnen, Balle, Toderici 2018)."""
    n, m, c = int(mc.n), int(mc.m), int(image_shape[2])
    act = LEAKY_RELU if mean_scale else RELU
    g_a, g_s = _gdn_transforms(n, m, c)
    h_a = (conv("conv_0", n, 3), act, conv("conv_1", n, 5, 2), act, conv("conv_2", n, 5, 2))
    h_a = h_a if mean_scale else (ABS, *h_a)
    widths, out = ((m, m * 3 // 2), 2 * m) if mean_scale else ((n, n), m)
    h_s = (deconv("deconv_0", widths[0], 5, 2), act, deconv("deconv_1", widths[1], 5, 2), act)
    h_s = (*h_s, conv("conv_out", out, 3), *(() if mean_scale else (RELU,)))
    return Architecture(
      "mbt2018_mean" if mean_scale else "bmshj2018",
      "hyperprior",
      c,
      g_a,
      g_s,
      (Latent("z", n, "factorized", "entropy_z"), Latent("y", m, "conditional")),
      Transform("h_a", h_a),
      Transform("h_s", h_s),
      mean_scale=mean_scale,
    )

  return build


def _slice_net(scope: str, widths: tuple[int, int], out: int, last: tuple[Layer, ...] = ()):
  """conv3x3 -> ReLU -> conv3x3 -> ReLU -> conv3x3 (`out` channels), then `last`."""
  layers = (conv("conv_0", widths[0], 3), RELU, conv("conv_1", widths[1], 3), RELU)
  return Transform(scope, (*layers, conv("conv_2", out, 3), *last))


def _channel(mc, image_shape: Sequence[int]) -> Architecture:
  """Channel-conditional codec (Minnen and Singh 2020, "Channel-wise autoregressive entropy
  models for learned image compression"): mbt2018-mean's transforms and hyperprior, y in
  `slices` slices of M / slices channels; slice i's mean and scale from h_s's features
  and slices 0..i-1 (all of them: every slice is support, `max_support_slices` = S), and
  a latent residual prediction added to its rounded value (LRP, bounded by
  half_softsign instead of the paper's 0.5 tanh so that the decoder stays exact)."""
  base = _hyperprior(True)(mc, image_shape)
  m, count = int(mc.m), int(mc.get("slices", 4))
  if count < 1 or m % count:
    raise ConfigError(f"model.slices={count} must divide model.m={m}")
  if count > MAX_SLICES:
    raise ConfigError(f"model.slices={count}: a file holds at most {MAX_SLICES} slices")
  widths = (m, max(m * 2 // 3, m // count))
  slices = tuple(
    SliceNets(
      _slice_net(f"cc_mean_{i}", widths, m // count),
      _slice_net(f"cc_scale_{i}", widths, m // count),
      _slice_net(f"lrp_{i}", widths, m // count, (HALF_SOFTSIGN,)),
    )
    for i in range(count)
  )
  return dataclasses.replace(base, name="ms2020", kind="channel", slices=slices)


def _checkerboard(mc, image_shape: Sequence[int]) -> Architecture:
  """Checkerboard context codec (He et al. 2021, "Checkerboard context model for
  efficient learned image compression"): mbt2018-mean's transforms and hyperprior; y's
  anchors (row + column even) coded with h_s's mean and scale, then the other half with
  h_s's mean and scale plus corrections from a context network over h_s's features and the
  decoded anchors (conv5x5 -> ReLU -> conv1x1 -> ReLU -> conv1x1 starting at zero, so a
  codec started from an mbt2018-mean one codes as it did). Two passes, each parallel."""
  base = _hyperprior(True)(mc, image_shape)
  m = int(mc.m)

  def net(scope: str) -> Transform:
    layers = (conv("conv_0", m, 5), RELU, conv("conv_1", m, 1), RELU)
    return Transform(scope, (*layers, conv("conv_2", m, 1, zero_init=True)))

  context = ContextNets(net("ctx_mean"), net("ctx_scale"))
  return dataclasses.replace(base, name="he2021", kind="checkerboard", context=context)


ARCHITECTURES: dict[str, Callable] = {
  "dense_codec": _dense,
  "bls2017": _bls2017,
  "bmshj2018": _hyperprior(False),
  "mbt2018_mean": _hyperprior(True),
  "ms2020": _channel,
  "he2021": _checkerboard,
}


def architecture(model_config, image_shape: Sequence[int]) -> Architecture:
  """The architecture of `config.model` (a ConfigDict or a plain dict) for images of
  `image_shape` [H, W, C]."""
  name = model_config["name"]
  if name not in ARCHITECTURES:
    raise ConfigError(f"unknown codec architecture '{name}'; choose from {sorted(ARCHITECTURES)}")
  return ARCHITECTURES[name](_Fields(model_config), tuple(int(d) for d in image_shape))


class _Fields:
  """Attribute and .get access to a ConfigDict or a plain dict of model fields."""

  def __init__(self, fields):
    self._fields = fields

  def __getattr__(self, key):
    try:
      return self._fields[key]
    except KeyError as e:
      raise AttributeError(key) from e

  def get(self, key, default=None):
    return self._fields.get(key, default)
