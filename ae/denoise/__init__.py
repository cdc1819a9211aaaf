"""Denoising with trained denoisers: `ae.denoise.denoise(image) -> image`.

  from ae import denoise
  clean = denoise.denoise(noisy)                   # uint8 [H, W] or [H, W, 3]
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ae.denoise import registry
from ae.denoise.registry import Denoiser


def _apply(d: Denoiser, x: np.ndarray) -> np.ndarray:
  """Float [H, W, C] in [0, 1] (C = the model's channels) -> float [H, W, C]."""
  if d.model_config.name == "denoise_unet":
    return np.asarray(_jit_apply(d)(d.params, jnp.asarray(x[None], jnp.float32)))[0]
  bh, bw = d.image_shape[:2]                       # dense models: edge-padded 28x28 tiles
  h, w, c = x.shape
  xp = np.pad(x, ((0, (-h) % bh), (0, (-w) % bw), (0, 0)), mode="edge")
  gh, gw = xp.shape[0] // bh, xp.shape[1] // bw
  tiles = xp.reshape(gh, bh, gw, bw, c).transpose(0, 2, 1, 3, 4).reshape(-1, bh, bw, c)
  out = np.asarray(_jit_apply(d)(d.params, jnp.asarray(tiles, jnp.float32)))
  return out.reshape(gh, gw, bh, bw, c).transpose(0, 2, 1, 3, 4).reshape(gh * bh, gw * bw, c)[:h, :w]


_CACHE: dict[int, object] = {}


def _jit_apply(d: Denoiser):
  key = id(d)
  if key not in _CACHE:
    _CACHE[key] = jax.jit(lambda p, x: d.model.apply({"params": p}, x))
  return _CACHE[key]


def denoise_float(x: np.ndarray, d: Denoiser) -> np.ndarray:
  """Float image [H, W] or [H, W, 3] on the [0, 1] scale (noisy, may leave it) -> denoised,
  clipped to [0, 1]. Colour modes are matched per channel (gray model on RGB) or by
  replication and channel mean (RGB model on gray)."""
  x = np.asarray(x, np.float32)
  gray = x.ndim == 2
  x3 = x[..., None] if gray else x
  if d.channels == x3.shape[2]:
    out = _apply(d, x3)
  elif d.channels == 1:
    out = np.concatenate([_apply(d, x3[..., i:i + 1]) for i in range(x3.shape[2])], axis=-1)
  else:
    out = _apply(d, np.repeat(x3, 3, axis=2)).mean(-1, keepdims=True)
  out = np.clip(out, 0.0, 1.0)
  return out[..., 0] if gray else out


def denoise(image: np.ndarray, model: str | Denoiser | None = None,
            sigma: float | None = None) -> np.ndarray:
  """Denoises a uint8 image [H, W] or [H, W, 3]; returns uint8 of the same shape."""
  image = np.asarray(image)
  channels = 1 if image.ndim == 2 else image.shape[2]
  d = (registry.choose(channels, sigma, image.shape[0], image.shape[1]) if model is None
       else registry.get(model) if isinstance(model, str) else model)
  out = denoise_float(image.astype(np.float32) / 255.0, d)
  return np.round(out * 255.0).astype(np.uint8)
