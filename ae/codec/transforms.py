"""The transforms of an exported codec as numpy programs for one image.

Encoder side (`analysis`, `hyper_analysis`): float32, any machine may differ in
the last bits, which only changes which (valid) file is written. Decoder side
(`hyper_synthesis`, `synthesis`): exact fixed-point integers (`fixed_point`), so
table indices and pixels are identical on every machine, thread count and batch.

Fixed-point values are integer-valued float64 at scale 2^-FRAC (see fixed_point).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ae.codec import fixed_point as fx
from ae.compression.constants import PEDESTAL
from ae.utils import tiles

_BETA_MIN = 1e-6
# Convolutional synthesis runs in tiles of TILE x TILE latents, each read with MARGIN latents
# of context (four 5x5 stride-2 layers see 1 + 1/2 + 1/4 + 1/8 < 2 latents away), once the
# image has more than WHOLE pixels: peak memory stays near a 608x608 decode at any size,
# and the tiles' pixels are the whole image's, bit for bit (exact integer arithmetic).
TILE, MARGIN, WHOLE = 32, 3, 1024 * 1024


def _nonneg(v: np.ndarray, minimum: float = 0.0) -> np.ndarray:
  """The value of a reparameterized non-negative variable (ae.compression.gdn.nonneg)."""
  v = np.asarray(v, np.float64)
  return np.square(np.maximum(v, (minimum + PEDESTAL) ** 0.5)) - PEDESTAL


def _gdn_params(p: dict) -> tuple[np.ndarray, np.ndarray]:
  return _nonneg(p["beta"], _BETA_MIN), _nonneg(p["gamma"])


def _fixed_layer(p: dict, transposed: bool, name: str) -> tuple[np.ndarray, np.ndarray]:
  """(w_int, b_int) of a dense/conv layer, range-checked for exact sums."""
  w, b = fx.to_fixed(p["kernel"], fx.W_FRAC), fx.to_fixed(p["bias"], fx.FRAC + fx.W_FRAC)
  fx.check_range(np.swapaxes(w, -1, -2) if transposed else w, b, name)
  return w, b


def _gdn(x: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
  """Float GDN x / sqrt(beta + gamma x^2) (Balle et al. 2016), encoder side."""
  return x / np.sqrt(beta.astype(x.dtype) + np.square(x) @ gamma.T.astype(x.dtype))


def _conv_f(x: np.ndarray, p: dict, stride: int) -> np.ndarray:
  return fx.conv2d(x, np.asarray(p["kernel"], np.float32), stride) + np.asarray(
    p["bias"], np.float32
  )


@dataclasses.dataclass
class Program:
  """Numpy transforms of one codec. `kind` is "dense", "factorized" or "hyperprior"."""

  kind: str
  params: dict
  mean_scale: bool = False
  channels: int = 1
  block: tuple[int, int] = (28, 28)

  def __post_init__(self):
    p = self.params
    if self.kind == "dense":
      dec = sorted((k for k in p if k.startswith("dec_")), key=lambda k: int(k[4:]))
      self._dec = [_fixed_layer(p[k], False, k) for k in dec]
      return
    gs = p["g_s"]
    self._gs = [
      (
        _fixed_layer(gs[f"deconv_{i}"], True, f"g_s/deconv_{i}"),
        _gdn_params(gs[f"igdn_{i}"]) if i < 3 else None,
      )
      for i in range(4)
    ]
    if self.kind == "hyperprior":
      hs = p["h_s"]
      self._hs = [_fixed_layer(hs[f"deconv_{i}"], True, f"h_s/deconv_{i}") for i in range(2)]
      self._hs_out = _fixed_layer(hs["conv_out"], False, "h_s/conv_out")

  # ---- encoder side (float32) ----
  def analysis(self, x: np.ndarray) -> np.ndarray:
    """x float32 in [0, 1]: blocks [N, h, w, C] -> y [N, M] (dense);
    image [H, W, C] -> [H/16, W/16, M]."""
    p = self.params
    if self.kind == "dense":
      h = x.reshape(x.shape[0], -1).astype(np.float32)
      enc = sorted((k for k in p if k.startswith("enc_")), key=lambda k: int(k[4:]))
      for i, k in enumerate(enc):
        h = h @ np.asarray(p[k]["kernel"], np.float32) + np.asarray(p[k]["bias"], np.float32)
        if i < len(enc) - 1:
          h = np.maximum(h, 0.0)
      return h
    ga = p["g_a"]
    y = x.astype(np.float32)
    for i in range(3):
      y = _gdn(_conv_f(y, ga[f"conv_{i}"], 2), *_gdn_params(ga[f"gdn_{i}"]))
    return _conv_f(y, ga["conv_3"], 2)

  def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
    """y [h, w, M] -> z [h/4, w/4, N] (float32)."""
    ha = self.params["h_a"]
    act = (
      (lambda t: np.where(t >= 0, t, 0.01 * t)) if self.mean_scale else (lambda t: np.maximum(t, 0))
    )
    z = act(_conv_f(y if self.mean_scale else np.abs(y), ha["conv_0"], 1))
    z = act(_conv_f(z, ha["conv_1"], 2))
    return _conv_f(z, ha["conv_2"], 2)

  # ---- decoder side (exact fixed point) ----
  def hyper_synthesis(
    self, z_hat: np.ndarray, y_shape: tuple[int, ...]
  ) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point z_hat [h', w', N] -> fixed-point (mean, scale) of y, cropped to
    y_shape [h, w, M]."""
    act = fx.leaky_relu if self.mean_scale else fx.relu
    a = z_hat
    for w, b in self._hs:
      a = act(fx.deconv(a, w, b, 2))
    a = fx.conv(a, *self._hs_out)[: y_shape[0], : y_shape[1]]
    if self.mean_scale:
      m = a.shape[-1] // 2
      return a[..., :m], a[..., m:]
    return np.zeros_like(a), fx.relu(a)

  def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
    """Fixed-point latents -> uint8 pixels: [N, M] -> [N, *block, C]; [h, w, M] -> [16h, 16w, C]."""
    if self.kind == "dense":
      a = y_hat
      for i, (w, b) in enumerate(self._dec):
        a = fx.dense(a, w, b)
        if i < len(self._dec) - 1:
          a = fx.relu(a)
      return fx.sigmoid_to_pixels(a).reshape(len(a), *self.block, self.channels)
    h, w = y_hat.shape[:2]
    if 256 * h * w <= WHOLE:
      return self._synthesis(y_hat)
    out = np.empty((16 * h, 16 * w, self.params["g_s"]["deconv_3"]["kernel"].shape[2]), np.uint8)
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
    a = y_hat
    for (w, b), gdn in self._gs:
      a = fx.deconv(a, w, b, 2)
      if gdn is not None:
        a = fx.igdn_fixed(a, *gdn)
    return fx.to_pixels(a)


def program_for(name: str, params: dict, image_shape) -> Program:
  """The Program of an exported codec's model (by name) and parameters."""
  if name == "dense_codec":
    return Program("dense", params, channels=int(image_shape[2]), block=tuple(image_shape[:2]))
  kind = "factorized" if name == "bls2017" else "hyperprior"
  return Program(kind, params, mean_scale=(name == "mbt2018_mean"), channels=int(image_shape[2]))
