"""The numpy backend of a codec architecture (`ae.compression.arch`): one image's transforms.

Each transform's layer list, the same one the linen modules train, runs here by the layer
names it declares. Encoder side (`analysis`, `hyper_analysis`): float32, any machine may
differ in the last bits, which only changes which (valid) file is written. Decoder side
(`hyper_synthesis`, `synthesis`): exact fixed-point integers (`fixed_point`), so table
indices and pixels are identical on every machine, thread count and batch.

Fixed-point values are integer-valued float64 at scale 2^-FRAC (see fixed_point).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ae.codec import fixed_point as fx
from ae.compression.arch import Architecture, Layer, Transform, architecture, checkerboard
from ae.compression.constants import PEDESTAL
from ae.utils import tiles

_BETA_MIN = 1e-6
# Convolutional synthesis runs in tiles of TILE x TILE latents, each read with MARGIN latents
# of context (four 5x5 stride-2 layers see 1 + 1/2 + 1/4 + 1/8 < 2 latents away), once the
# image has more than WHOLE pixels: peak memory stays near a 608x608 decode at any size,
# and the tiles' pixels are the whole image's, bit for bit (exact integer arithmetic).
TILE, MARGIN, WHOLE = 32, 3, 1024 * 1024
_FLOAT_ACT = {
  "relu": lambda t: np.maximum(t, 0),
  "leaky_relu": lambda t: np.where(t >= 0, t, 0.01 * t),
  "abs": np.abs,
  "half_softsign": lambda t: t / (2 * (1 + np.abs(t))),
}
_FIXED_ACT = {"relu": fx.relu, "leaky_relu": fx.leaky_relu, "half_softsign": fx.half_softsign}


def _nonneg(v: np.ndarray, minimum: float = 0.0) -> np.ndarray:
  """The value of a reparameterized non-negative variable (ae.compression.gdn.nonneg)."""
  v = np.asarray(v, np.float64)
  return np.square(np.maximum(v, (minimum + PEDESTAL) ** 0.5)) - PEDESTAL


def _gdn_params(p: dict) -> tuple[np.ndarray, np.ndarray]:
  return _nonneg(p["beta"], _BETA_MIN), _nonneg(p["gamma"])


def _gdn(x: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
  """Float GDN x / sqrt(beta + gamma x^2) (Balle et al. 2016), encoder side."""
  return x / np.sqrt(beta.astype(x.dtype) + np.square(x) @ gamma.T.astype(x.dtype))


def _scope(params: dict, t: Transform) -> dict:
  return params[t.scope] if t.scope else params


def run_float(t: Transform, params: dict, x: np.ndarray) -> np.ndarray:
  """Transform `t` in float32 (encoder side): x [H, W, C] (convolutional) or [N, K] (dense)."""
  p = _scope(params, t)
  for layer in t.layers:
    if layer.op == "conv":
      w, b = (np.asarray(p[layer.name][k], np.float32) for k in ("kernel", "bias"))
      x = fx.conv2d(x, w, layer.stride) + b
    elif layer.op == "dense":
      w, b = (np.asarray(p[layer.name][k], np.float32) for k in ("kernel", "bias"))
      x = x @ w + b
    elif layer.op == "gdn":
      x = _gdn(x, *_gdn_params(p[layer.name]))
    elif layer.op in _FLOAT_ACT:
      x = _FLOAT_ACT[layer.op](x)
    else:
      raise ValueError(f"{t.scope}: no encoder-side {layer.op} layer")
  return x.astype(np.float32)


@dataclasses.dataclass(frozen=True)
class _Step:
  """A decoder-side layer with its parameters in fixed point (range-checked once)."""

  layer: Layer
  weights: tuple = ()


def _fixed_step(layer: Layer, p: dict, scope: str) -> _Step:
  if layer.op in ("conv", "deconv", "dense"):
    w = fx.to_fixed(p[layer.name]["kernel"], fx.W_FRAC)
    b = fx.to_fixed(p[layer.name]["bias"], fx.FRAC + fx.W_FRAC)
    fx.check_range(
      np.swapaxes(w, -1, -2) if layer.op == "deconv" else w, b, f"{scope}/{layer.name}"
    )
    return _Step(layer, (w, b))
  if layer.op == "igdn":
    return _Step(layer, _gdn_params(p[layer.name]))
  if layer.op in _FIXED_ACT:
    return _Step(layer)
  raise ValueError(f"{scope}: no decoder-side {layer.op} layer")


def fixed_steps(t: Transform, params: dict) -> tuple[_Step, ...]:
  p = _scope(params, t)
  return tuple(_fixed_step(layer, p, t.scope or "codec") for layer in t.layers)


def run_fixed(steps: tuple[_Step, ...], a: np.ndarray) -> np.ndarray:
  """Decoder-side layers on fixed-point activations, exactly."""
  for step in steps:
    op = step.layer.op
    if op == "deconv":
      a = fx.deconv(a, *step.weights, step.layer.stride)
    elif op == "conv":
      a = fx.conv(a, *step.weights, step.layer.stride)
    elif op == "dense":
      a = fx.dense(a, *step.weights)
    elif op == "igdn":
      a = fx.igdn_fixed(a, *step.weights)
    else:
      a = _FIXED_ACT[op](a)
  return a


@dataclasses.dataclass
class Program:
  """The numpy transforms of one exported codec: its architecture and parameters."""

  arch: Architecture
  params: dict

  def __post_init__(self):
    self._gs = fixed_steps(self.arch.g_s, self.params)
    self._hs = fixed_steps(self.arch.h_s, self.params) if self.arch.h_s else ()
    self._slices = tuple(
      tuple(fixed_steps(t, self.params) for t in (s.mean, s.scale, s.lrp)) for s in self.arch.slices
    )
    ctx = self.arch.context
    self._context = tuple(fixed_steps(t, self.params) for t in (ctx.mean, ctx.scale)) if ctx else ()

  @property
  def kind(self) -> str:
    return self.arch.kind

  @property
  def block(self) -> tuple[int, int]:
    return self.arch.block

  # ---- encoder side (float32) ----
  def analysis(self, x: np.ndarray) -> np.ndarray:
    """x float32 in [0, 1]: blocks [N, h, w, C] -> y [N, M] (dense);
    image [H, W, C] -> [H/16, W/16, M]."""
    if self.kind == "dense":
      x = x.reshape(x.shape[0], -1)
    return run_float(self.arch.g_a, self.params, x.astype(np.float32))

  def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
    """y [h, w, M] -> z [h/4, w/4, N] (float32)."""
    return run_float(self.arch.h_a, self.params, y)

  # ---- decoder side (exact fixed point) ----
  def hyper_synthesis(
    self, z_hat: np.ndarray, y_shape: tuple[int, ...]
  ) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point z_hat [h', w', N] -> fixed-point (mean, scale) of y, cropped to
    y_shape [h, w, M]."""
    a = run_fixed(self._hs, z_hat)[: y_shape[0], : y_shape[1]]
    if self.arch.mean_scale:
      m = a.shape[-1] // 2
      return a[..., :m], a[..., m:]
    return np.zeros_like(a), a

  def y_parts(self, y: np.ndarray) -> list[np.ndarray]:
    """Float y [h, w, M] as its streams' values: slices [h, w, M / S], the checkerboard's
    anchors [A, M] and the rest [h w - A, M], or y itself."""
    if self.arch.context:
      anchor = checkerboard(*y.shape[:2])
      return [y[anchor], y[~anchor]]
    return np.split(y, self.arch.y_streams, axis=-1)

  def decode_y(self, features: tuple[np.ndarray, np.ndarray], symbols_for) -> np.ndarray:
    """Fixed-point y_hat [h, w, M] decoded stream by stream, exactly: `features` is
    `hyper_synthesis`'s (mean, scale) of y; `symbols_for(i, mean, scale)` gives stream i's
    integer symbols (shaped like `y_parts`' i-th) for its fixed-point means and scales
    (the encoder rounds y, the decoder reads the file). A hyperprior has one stream; a
    channel codec's slice i has mean and scale from its slice networks over the features
    and slices 0..i-1, and its latent residual prediction added after rounding (Minnen and
    Singh 2020); a checkerboard codec's second pass adds its context networks' corrections
    over the features and the decoded anchors (He et al. 2021)."""
    if self._context:
      return self._checkerboard(features, symbols_for)
    if not self._slices:
      mean, scale = features
      return symbols_for(0, mean, scale) * 2.0**fx.FRAC + mean
    hats = []
    for i, (mean_net, scale_net, lrp_net) in enumerate(self._slices):
      mean = run_fixed(mean_net, np.concatenate([features[0], *hats], -1))
      scale = run_fixed(scale_net, np.concatenate([features[1], *hats], -1))
      y_q = symbols_for(i, mean, scale) * 2.0**fx.FRAC + mean
      lrp = run_fixed(lrp_net, np.concatenate([features[0], *hats, y_q], -1))
      hats.append(fx.clip(y_q + lrp))  # within the range check_range proved exact
    return np.concatenate(hats, -1)

  def _checkerboard(self, features, symbols_for) -> np.ndarray:
    """y_hat of a checkerboard codec: the anchors, then the rest given them."""
    (mean_f, scale_f), (mean_net, scale_net) = features, self._context
    anchor = checkerboard(*mean_f.shape[:2])
    y_hat = np.zeros_like(mean_f)
    y_hat[anchor] = symbols_for(0, mean_f[anchor], scale_f[anchor]) * 2.0**fx.FRAC + mean_f[anchor]
    mean = fx.clip(mean_f + run_fixed(mean_net, np.concatenate([mean_f, y_hat], -1)))[~anchor]
    scale = fx.clip(scale_f + run_fixed(scale_net, np.concatenate([scale_f, y_hat], -1)))[~anchor]
    y_hat[~anchor] = symbols_for(1, mean, scale) * 2.0**fx.FRAC + mean
    return y_hat

  def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
    """Fixed-point latents -> uint8 pixels: [N, M] -> [N, *block, C]; [h, w, M] -> [16h, 16w, C]."""
    if self.kind == "dense":
      a = self._to_pixels(run_fixed(self._gs, y_hat))
      return a.reshape(len(a), *self.block, self.arch.channels)
    h, w = y_hat.shape[:2]
    if 256 * h * w <= WHOLE:
      return self._synthesis(y_hat)
    out = np.empty((16 * h, 16 * w, self.arch.channels), np.uint8)
    for core_r, core_c, read_r, read_c in tiles.windows(h, w, TILE, MARGIN):
      piece = self._synthesis(y_hat[read_r, read_c])
      r0, c0 = 16 * (core_r.start - read_r.start), 16 * (core_c.start - read_c.start)
      rows, cols = 16 * (core_r.stop - core_r.start), 16 * (core_c.stop - core_c.start)
      out[16 * core_r.start : 16 * core_r.stop, 16 * core_c.start : 16 * core_c.stop] = piece[
        r0 : r0 + rows, c0 : c0 + cols
      ]
    return out

  def _synthesis(self, y_hat: np.ndarray) -> np.ndarray:
    """g_s in fixed point on latents [h, w, M] -> uint8 [16h, 16w, C], in one piece."""
    return self._to_pixels(run_fixed(self._gs, y_hat))

  def _to_pixels(self, a: np.ndarray) -> np.ndarray:
    """g_s's declared output step, exactly: uint8 round(255 x) or round(255 sigmoid(x))."""
    return fx.sigmoid_to_pixels(a) if self.arch.output == "sigmoid" else fx.to_pixels(a)


def program_for(model_spec: dict, params: dict, image_shape) -> Program:
  """The Program of an exported codec: its architecture (from config.model as stored and
  the training image shape) and its parameters."""
  return Program(architecture(model_spec, image_shape), params)
