"""Reconstruction quality on a whole split, batched and sharded like training.

Pixel scale: inputs are uint8 [0, 255]; errors are measured after mapping to
[0, 1], so MSE is per pixel in [0, 1]^2 units and PSNR uses peak 1.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.experimental import multihost_utils

from ae.data.pipeline import local_slice
from ae.train import parallel


def reconstruct_split(reconstruct_fn, params, images: np.ndarray, batch_size: int,
                      mesh) -> np.ndarray:
  """Reconstructions [N, H, W, C] float32 of uint8 `images` [N, H, W, C].

  The last batch is padded to a multiple of the device count; padding is dropped.
  """
  n_dev, outs = mesh.devices.size, []
  batch_size = max(n_dev, batch_size - batch_size % n_dev)
  sharding = parallel.batch_sharding(mesh)
  for start in range(0, images.shape[0], batch_size):
    idx = np.arange(start, min(start + batch_size, images.shape[0]))
    pad = (-len(idx)) % n_dev
    idx = np.concatenate([idx, np.full((pad,), idx[-1])])
    mine = local_slice(idx, jax.process_index(), jax.process_count())
    batch = parallel.put_global(images[mine], sharding, (len(idx), *images.shape[1:]))
    out = np.asarray(multihost_utils.process_allgather(reconstruct_fn(params, batch), tiled=True))
    outs.append(out[:len(idx) - pad])
  return np.concatenate(outs).astype(np.float32)


def reconstruction_metrics(images: np.ndarray, reconstructions: np.ndarray) -> dict[str, float]:
  """MSE per pixel, PSNR of that MSE, and mean per-image PSNR (dB), data in [0, 1]."""
  x = images.astype(np.float64) / 255.0
  err = np.square(x - reconstructions.astype(np.float64)).reshape(x.shape[0], -1).mean(-1)
  mse = float(err.mean())
  return {"mse": mse, "psnr": float(10 * np.log10(1.0 / mse)),
          "psnr_per_image": float(np.mean(10 * np.log10(1.0 / np.maximum(err, 1e-12))))}
