"""Codec architectures, each written once: layer lists that two backends run.

An `Architecture` declares a codec's transforms as lists of `Layer`s, its latents (their
names in stream order, channels, and entropy model) and their shapes for an H x W image.
The linen modules that train (`ae.compression.models`) and the numpy program that codes
real files (`ae.codec.transforms`: float32 encoder, exact fixed-point decoder) are both
built from it, reaching parameters by the layer names declared here, so the two cannot
drift apart; export, `compress` / `decompress`, refinement and the RD harness ask the
architecture instead of branching on model names. Adding an architecture is one entry of
`ARCHITECTURES` (and its tests).

The layers are `ae.compression.layer_spec`'s; the context of y of the codecs that code it
in several passes (channel slices, checkerboard) is `ae.compression.arch_context`'s.
Shapes are channels last; python and numpy, no jax, no flax.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from ae.compression.arch_context import (  # noqa: F401  # re-exported
  MAX_SLICES,
  ContextNets,
  SliceNets,
  anchor_count,
  checkerboard,
  context_nets,
  slice_nets,
)
from ae.compression.layer_spec import (  # noqa: F401  # re-exported
  ABS,
  HALF_SOFTSIGN,
  LEAKY_RELU,
  RELU,
  Layer,
  Transform,
  conv,
  deconv,
  dense,
  gdn,
  igdn,
)
from ae.utils.errors import ConfigError

PAD_MULTIPLE = 16  # convolutional codecs edge-pad images to a multiple of this


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


def _channel(mc, image_shape: Sequence[int]) -> Architecture:
  """Channel-conditional codec (Minnen and Singh 2020, "Channel-wise autoregressive entropy
  models for learned image compression"): mbt2018-mean's transforms and hyperprior, y in
  `slices` slices of M / slices channels; slice i's mean and scale from h_s's features
  and slices 0..i-1 (all of them: every slice is support, `max_support_slices` = S), and
  a latent residual prediction added to its rounded value (LRP, bounded by
  half_softsign instead of the paper's 0.5 tanh so that the decoder stays exact)."""
  base = _hyperprior(True)(mc, image_shape)
  slices = slice_nets(int(mc.m), int(mc.get("slices", 4)))
  return dataclasses.replace(base, name="ms2020", kind="channel", slices=slices)


def _checkerboard(mc, image_shape: Sequence[int]) -> Architecture:
  """Checkerboard context codec (He et al. 2021, "Checkerboard context model for
  efficient learned image compression"): mbt2018-mean's transforms and hyperprior; y's
  anchors (row + column even) coded with h_s's mean and scale, then the other half with
  h_s's mean and scale plus corrections from context networks over h_s's features and
  the decoded anchors (`arch_context.context_nets`). Two passes, each parallel."""
  base = _hyperprior(True)(mc, image_shape)
  context = context_nets(int(mc.m))
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
