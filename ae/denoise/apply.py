"""Applying a trained denoiser to an image of any size: noise level, tiles, self-ensemble.

Images are float [H, W] or [H, W, 3] on the [0, 1] scale (noisy, may leave it) or
uint8 on [0, 255]. A noise-level-conditioned model (FFDNet) is told sigma (0-255
scale): the given one, or the wavelet MAD estimate (Donoho and Johnstone 1994, as
`skimage.restoration.estimate_sigma`). Images larger than one tile are processed in
square tiles of TILE pixels with MARGIN pixels of context on each side, so memory
stays bounded whatever the image size (each tile's output is its centre; windows lie
inside the image, so its border is seen as in training). The
self-ensemble averages the model over the 8 flips and rotations (Timofte, Rothe and
Van Gool 2016, "Seven ways to improve example-based single image super resolution").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ae.data.photos import OPPONENT, OPPONENT_NOISE, OPPONENT_OFFSET
from ae.denoise import registry
from ae.denoise.registry import Denoiser
from ae.utils import console, tiles
from ae.utils.errors import UserError

TILE, MARGIN = 512, 32


MIN_ESTIMATE_SIDE = 8  # the wavelet estimate needs a few finest-band coefficients per axis


def estimate_sigma(x: np.ndarray) -> float:
  """Gaussian noise level on the 0-255 scale of a float [0, 1] image [H, W(, C)] (wavelet
  median absolute deviation of the finest diagonal band, averaged over channels)."""
  from skimage.restoration import estimate_sigma as mad  # pylint: disable=g-import-not-at-top  # skimage only without --sigma

  x = np.asarray(x, np.float64)
  if min(x.shape[:2]) < MIN_ESTIMATE_SIDE:
    raise UserError(
      f"a {x.shape[1]}x{x.shape[0]} image is too small to estimate its noise level "
      f"(at least {MIN_ESTIMATE_SIDE}x{MIN_ESTIMATE_SIDE}): give sigma (--sigma)"
    )
  s = mad(x, channel_axis=-1 if x.ndim == 3 and x.shape[2] > 1 else None, average_sigmas=True)
  return float(255.0 * float(np.squeeze(s)))


_JITTED: dict[int, tuple[Denoiser, object]] = {}


def _jit_apply(d: Denoiser):
  """The jitted apply of `d` (kept per loaded denoiser; the registry caches those)."""
  if id(d) not in _JITTED:
    if d.noise_conditioned:
      fn = jax.jit(lambda p, x, s: d.model.apply({"params": p}, x, s))
    else:
      fn = jax.jit(lambda p, x, s: d.model.apply({"params": p}, x))
    _JITTED[id(d)] = (d, fn)
  return _JITTED[id(d)][1]


def _forward(d: Denoiser, x: np.ndarray, sigma: float) -> np.ndarray:
  """One batch [B, h, w, C] float32 -> [B, h, w, C]."""
  s = jnp.full((x.shape[0],), sigma, jnp.float32)
  return np.asarray(_jit_apply(d)(d.params, jnp.asarray(x, jnp.float32), s))


def _dihedral(x: np.ndarray, k: int, inverse: bool = False) -> np.ndarray:
  """The k-th of the 8 flips/rotations of [B, h, w, C] (or its inverse)."""
  if not inverse:
    x = x[:, :, ::-1] if k >= 4 else x
    return np.rot90(x, k % 4, axes=(1, 2))
  x = np.rot90(x, -(k % 4), axes=(1, 2))
  return x[:, :, ::-1] if k >= 4 else x


def _ensemble(d: Denoiser, x: np.ndarray, sigma: float, ensemble: bool) -> np.ndarray:
  if not ensemble:
    return _forward(d, x, sigma)
  return np.mean(
    [
      _dihedral(_forward(d, np.ascontiguousarray(_dihedral(x, k)), sigma), k, True)
      for k in range(8)
    ],
    axis=0,
  )


def _tiled(d: Denoiser, x: np.ndarray, sigma: float, ensemble: bool) -> np.ndarray:
  """[H, W, C] through windows of at most TILE + 2 MARGIN pixels a side, cores kept.

  Every window is a piece of the image itself: at the image's border the model sees the
  border as it does on a whole image and as in training (its convolutions' zero padding),
  never an edge-padded copy, whose repeated noisy edge pixels it denoises worse."""
  h, w, c = x.shape
  rows, cols = tiles.spans(h, TILE, MARGIN), tiles.spans(w, TILE, MARGIN)
  if len(rows) == len(cols) == 1:
    return _ensemble(d, x[None], sigma, ensemble)[0]
  sh, sw = min(h, TILE + 2 * MARGIN), min(w, TILE + 2 * MARGIN)
  out = np.empty((h, w, c), np.float32)
  grid = [(r, col) for r in rows for col in cols]
  for (r0, r1, i), (c0, c1, j) in console.progress(grid, total=len(grid), desc="denoising tiles"):
    tile = _ensemble(d, x[None, i : i + sh, j : j + sw], sigma, ensemble)[0]
    out[r0:r1, c0:c1] = tile[r0 - i : r1 - i, c0 - j : c1 - j]
  return out


def _blocks(d: Denoiser, x: np.ndarray) -> np.ndarray:
  """Dense models trained on 28x28 images: edge-padded non-overlapping blocks."""
  out = _forward(d, tiles.to_blocks(x, tuple(d.image_shape[:2])), 0.0)
  return tiles.from_blocks(out, x.shape[0], x.shape[1])


def _apply(d: Denoiser, x: np.ndarray, sigma: float, ensemble: bool) -> np.ndarray:
  """Float [H, W, C] in [0, 1] (C = the model's channels) -> float [H, W, C]."""
  if d.convolutional:
    return _tiled(d, x, sigma, ensemble)
  return _blocks(d, x)


def _opponent(d: Denoiser, x: np.ndarray, sigma: float, ensemble: bool) -> np.ndarray:
  """RGB [H, W, 3] through a noise-conditioned gray model, one opponent channel at a
  time, each told its own noise level; back to RGB."""
  y = x.astype(np.float64) @ OPPONENT.T + OPPONENT_OFFSET
  den = np.concatenate(
    [
      _apply(d, y[..., i : i + 1].astype(np.float32), sigma * float(OPPONENT_NOISE[i]), ensemble)
      for i in range(3)
    ],
    axis=-1,
  )
  return ((den.astype(np.float64) - OPPONENT_OFFSET) @ np.linalg.inv(OPPONENT).T).astype(np.float32)


def denoise_float(
  x: np.ndarray, d: Denoiser, sigma: float | None = None, ensemble: bool = False
) -> np.ndarray:
  """Float image [H, W] or [H, W, 3] on the [0, 1] scale (noisy, may leave it) -> denoised,
  clipped to [0, 1]. `sigma` (0-255) conditions a noise-level model (estimated when None);
  others ignore it. Colour modes are matched: a noise-conditioned gray model denoises an
  RGB image in an opponent colour space (luma and two chroma channels, each with its own
  sigma), other gray models per RGB channel; an RGB model takes a gray image replicated
  and returns the channel mean (an opponent-colour model told sigma / OPPONENT_NOISE[0],
  so that its luma branch, which is all that acts on such an image, gets the true sigma;
  one whose luma is guided by the chroma planes, `luma_guide`, refuses gray images).
  UserError for sigma outside [0, 255]."""
  x = np.asarray(x, np.float32)
  if sigma is not None and not 0.0 <= float(sigma) <= 255.0:
    raise UserError(f"sigma={sigma} is outside [0, 255] (the 0-255 scale)")
  gray = x.ndim == 2
  x3 = x[..., None] if gray else x
  if x3.shape[2] == 1 and bool(d.model_config.get("luma_guide", False)):
    raise UserError(f"{d.name} denoises RGB images only (its luma is guided by the chroma)")
  if d.noise_conditioned and sigma is None:
    sigma = estimate_sigma(np.clip(x3, 0.0, 1.0))
  sigma = float(sigma or 0.0)
  if d.channels == x3.shape[2]:
    out = _apply(d, x3, sigma, ensemble)
  elif d.channels == 1 and d.noise_conditioned:
    out = _opponent(d, x3, sigma, ensemble)
  elif d.channels == 1:
    out = np.concatenate(
      [_apply(d, x3[..., i : i + 1], sigma, ensemble) for i in range(x3.shape[2])], axis=-1
    )
  else:  # luma of a replicated gray image is the image, with all of its noise
    s = sigma / float(OPPONENT_NOISE[0]) if d.colour_only else sigma
    out = _apply(d, np.repeat(x3, 3, axis=2), s, ensemble).mean(-1, keepdims=True)
  out = np.clip(out, 0.0, 1.0)
  return out[..., 0] if gray else out


def _check(image: np.ndarray) -> np.ndarray:
  """`image` as an array if it is uint8 [H, W], [H, W, 1] or [H, W, 3]; UserError (one
  line) otherwise. Float images go to `denoise_float`."""
  image = np.asarray(image)
  if image.dtype != np.uint8:
    raise UserError(
      f"expected 8-bit pixels (uint8), got {image.dtype}; "
      "for float images in [0, 1] use ae.denoise.denoise_float"
    )
  if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3))) or 0 in image.shape:
    raise UserError(
      f"expected a gray [H, W] or [H, W, 1] or RGB [H, W, 3] image, got shape {image.shape}"
    )
  return image


def _choose(image: np.ndarray, model: str | Denoiser | None, sigma: float | None) -> Denoiser:
  channels = 1 if image.ndim == 2 else image.shape[2]
  if model is None:
    return registry.choose(channels, sigma, image.shape[0], image.shape[1])
  return registry.get(model) if isinstance(model, str) else model


def denoise_with_level(
  image: np.ndarray,
  model: str | Denoiser | None = None,
  sigma: float | None = None,
  ensemble: bool = False,
) -> tuple[np.ndarray, float | None]:
  """(denoised uint8 image of the input's shape, the sigma the model was given: `sigma`,
  or the estimate when None; None for models that take no noise level)."""
  image = _check(image)
  d = _choose(image, model, sigma)
  x = image.astype(np.float32) / 255.0
  if d.noise_conditioned and sigma is None:
    sigma = estimate_sigma(x)
  out = denoise_float(x, d, sigma, ensemble)
  return np.round(out * 255.0).astype(np.uint8), (float(sigma) if d.noise_conditioned else None)


def denoise(
  image: np.ndarray,
  model: str | Denoiser | None = None,
  sigma: float | None = None,
  ensemble: bool = False,
) -> np.ndarray:
  """Denoises a uint8 image [H, W] or [H, W, 3]; returns uint8 of the same shape."""
  return denoise_with_level(image, model, sigma, ensemble)[0]
