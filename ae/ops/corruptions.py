"""Corruptions for denoising, a pluggable part of the data path (applied inside the step).

Images x are float32 [B, H, W, C] in [0, 1]; every function takes a PRNG key and
returns the corrupted batch, same shape:

- `gaussian`: x + n, n ~ N(0, (sigma / 255)^2), sigma on the 0-255 scale, not
  clipped (as denoising papers report, e.g. Zhang et al. 2017, DnCNN);
- `keras`: the Keras tutorial's clip(x + 0.5 * N(0, 1), 0, 1) ("noise factor");
- `salt_pepper`: a fraction `amount` of pixels set to 0 or 1 with equal odds;
- `masking`: a fraction `fraction` of pixels set to 0 (dropout-style masking
  noise, Vincent et al. 2008);
- blind Gaussian: `gaussian` with sigma drawn per image from U[sigma_min, sigma_max].

With `quantize` = q > 0 in the config, a fraction q of the Gaussian-noisy images
(drawn per image) is also clipped to [0, 1] and rounded to 8 bits, as a noisy photo
saved by a camera or a user is. `gaussian_with_level` returns the per-image sigma
beside the noisy batch, for noise-level-conditioned denoisers (FFDNet).

`corrupt(corruption_config, key, x)` dispatches on `corruption.kind`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ae.utils.errors import ConfigError


def gaussian(key: jax.Array, x: jax.Array, sigma: float | jax.Array) -> jax.Array:
  """x + N(0, (sigma/255)^2) per pixel; sigma scalar or [B] (per image), 0-255 scale; unclipped."""
  s = jnp.reshape(jnp.asarray(sigma, x.dtype), (-1,) + (1,) * (x.ndim - 1)) / 255.0
  return x + s * jax.random.normal(key, x.shape, x.dtype)


def blind_gaussian(key: jax.Array, x: jax.Array, sigma_min: float, sigma_max: float) -> jax.Array:
  k_s, k_n = jax.random.split(key)
  sigma = jax.random.uniform(k_s, (x.shape[0],), x.dtype, sigma_min, sigma_max)
  return gaussian(k_n, x, sigma)


def keras(key: jax.Array, x: jax.Array, factor: float = 0.5) -> jax.Array:
  """clip(x + factor * N(0, 1), 0, 1): the Keras autoencoder tutorial's noise."""
  return jnp.clip(x + factor * jax.random.normal(key, x.shape, x.dtype), 0.0, 1.0)


def salt_pepper(key: jax.Array, x: jax.Array, amount: float) -> jax.Array:
  """A fraction `amount` of pixels (all channels together) set to 0 or 1, half each."""
  k_hit, k_val = jax.random.split(key)
  shape = x.shape[:-1] + (1,)
  hit = jax.random.uniform(k_hit, shape) < amount
  value = jax.random.bernoulli(k_val, 0.5, shape).astype(x.dtype)
  return jnp.where(hit, value, x)


def masking(key: jax.Array, x: jax.Array, fraction: float) -> jax.Array:
  """A fraction `fraction` of pixels (all channels together) set to 0."""
  keep = jax.random.uniform(key, x.shape[:-1] + (1,)) >= fraction
  return jnp.where(keep, x, 0.0)


def quantize8(key: jax.Array, x: jax.Array, fraction: float) -> jax.Array:
  """A fraction `fraction` of the images of x [B, H, W, C] (drawn per image) clipped to
  [0, 1] and rounded to the 8-bit grid (multiples of 1/255); the others unchanged."""
  hit = jax.random.uniform(key, (x.shape[0],) + (1,) * (x.ndim - 1)) < fraction
  return jnp.where(hit, jnp.round(jnp.clip(x, 0.0, 1.0) * 255.0) / 255.0, x)


def gaussian_with_level(cc, key: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
  """(noisy batch, sigma [B] on the 0-255 scale) for `cc.kind` gaussian or blind_gaussian,
  with `cc.quantize` applied (see the module docstring)."""
  k_s, k_n, k_q = jax.random.split(key, 3)
  if cc.kind == "gaussian":
    sigma = jnp.full((x.shape[0],), float(cc.sigma), x.dtype)
  elif cc.kind == "blind_gaussian":
    sigma = jax.random.uniform(
      k_s, (x.shape[0],), x.dtype, float(cc.sigma_min), float(cc.sigma_max)
    )
  else:
    raise ConfigError(
      f"a noise-conditioned denoiser needs Gaussian noise, not '{cc.kind}' "
      "(corruption.kind: gaussian or blind_gaussian)"
    )
  noisy = gaussian(k_n, x, sigma)
  q = float(cc.get("quantize", 0.0) or 0.0)
  return (quantize8(k_q, noisy, q) if q else noisy), sigma


def corrupt(cc, key: jax.Array, x: jax.Array) -> jax.Array:
  """The corruption named by `cc.kind` with its parameters from the config `cc`."""
  kind = cc.kind
  if kind == "gaussian":
    return gaussian(key, x, float(cc.sigma))
  if kind == "blind_gaussian":
    return blind_gaussian(key, x, float(cc.sigma_min), float(cc.sigma_max))
  if kind == "keras":
    return keras(key, x, float(cc.get("factor", 0.5)))
  if kind == "salt_pepper":
    return salt_pepper(key, x, float(cc.amount))
  if kind == "masking":
    return masking(key, x, float(cc.fraction))
  raise ConfigError(
    f"unknown corruption '{kind}' (gaussian, blind_gaussian, keras, salt_pepper, masking)"
  )


def describe(cc) -> str:
  """A short label: 'gaussian sigma=25', 'blind gaussian sigma 0-55', ..."""
  if cc.kind == "gaussian":
    return f"gaussian sigma={float(cc.sigma):g}"
  if cc.kind == "blind_gaussian":
    return f"blind gaussian sigma {float(cc.sigma_min):g}-{float(cc.sigma_max):g}"
  return f"{cc.kind} " + " ".join(f"{k}={v}" for k, v in cc.items() if k != "kind")
