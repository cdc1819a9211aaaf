"""Whole-split evaluation, batched and sharded like training.

Pixel scale: inputs are uint8 [0, 255]; errors are measured after mapping to
[0, 1], so MSE is per pixel in [0, 1]^2 units and PSNR uses peak 1.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np
from absl import logging
from jax.experimental import multihost_utils

from ae.data.pipeline import local_slice, to_float
from ae.ops import metrics as metrics_lib
from ae.train import parallel

# fn(params, images float32 [B, H, W, C] in [0, 1], rng) -> per-example array [B, ...]
ExampleFn = Callable[[object, jax.Array, jax.Array], jax.Array]


def make_eval_fn(fn: ExampleFn, mesh, name: str = "eval") -> Callable:
  """Jits `fn` on uint8 batches over `mesh`: params replicated, examples split."""

  def wrapped(params, images, rng):
    logging.info("Compiling %s for batch %s.", name, images.shape)
    return fn(params, to_float(images), rng)

  data, rep = parallel.batch_sharding(mesh), parallel.replicated(mesh)
  return jax.jit(wrapped, in_shardings=(rep, data, rep), out_shardings=data)


def map_split(
  eval_fn, params, images: np.ndarray, batch_size: int, mesh, rng: jax.Array | None = None
) -> np.ndarray:
  """Applies a `make_eval_fn` function to all uint8 `images` [N, ...]; returns [N, ...].

  Batch i gets the key `fold_in(rng, i)`. The last batch is padded to a multiple
  of the device count by repeating its last example; padding is dropped.
  """
  n_dev, outs = mesh.devices.size, []
  batch_size = max(n_dev, batch_size - batch_size % n_dev)
  sharding = parallel.batch_sharding(mesh)
  rng = jax.random.PRNGKey(0) if rng is None else rng
  for i, start in enumerate(range(0, images.shape[0], batch_size)):
    idx = np.arange(start, min(start + batch_size, images.shape[0]))
    pad = (-len(idx)) % n_dev
    idx = np.concatenate([idx, np.full((pad,), idx[-1])])
    mine = local_slice(idx, jax.process_index(), jax.process_count())
    batch = parallel.put_global(images[mine], sharding, (len(idx), *images.shape[1:]))
    out = eval_fn(params, batch, jax.random.fold_in(rng, i))
    outs.append(np.asarray(multihost_utils.process_allgather(out, tiled=True))[: len(idx) - pad])
  return np.concatenate(outs)


def make_reconstruct_fn(apply_fn, mesh) -> Callable:
  """Jitted `params, uint8 images, rng -> reconstructions in [0, 1]` (model `__call__`)."""
  return make_eval_fn(lambda p, x, r: apply_fn({"params": p}, x), mesh, "reconstruction")


def reconstruct_split(
  reconstruct_fn, params, images: np.ndarray, batch_size: int, mesh
) -> np.ndarray:
  """Reconstructions [N, H, W, C] float32 of uint8 `images` [N, H, W, C]."""
  return map_split(reconstruct_fn, params, images, batch_size, mesh).astype(np.float32)


def _per_image_mse(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
  """float64 [n]: mean squared error of each uint8 image against its reconstruction in
  [0, 1]."""
  x = images.astype(np.float64) / 255.0
  return np.square(x - reconstructions.astype(np.float64)).reshape(x.shape[0], -1).mean(-1)


def reconstruction_metrics(images: np.ndarray, reconstructions: np.ndarray) -> dict[str, float]:
  """MSE per pixel, PSNR of that MSE, and mean per-image PSNR (dB), data in [0, 1]."""
  err = np.concatenate(
    [  # 256 images at a time: the float64 temporaries stay small (4x faster here)
      _per_image_mse(images[i : i + 256], reconstructions[i : i + 256])
      for i in range(0, max(len(images), 1), 256)
    ]
  )
  mse = float(err.mean())
  return {
    "mse": mse,
    "psnr": float(metrics_lib.psnr_of_mse(mse)),
    "psnr_per_image": metrics_lib.mean_psnr(err),
  }
