"""Lossless coding measured in real bytes: bits-back VAE files against the model's own
bounds and against Pillow's lossless codecs, in bits per dimension (per 8-bit pixel).

Rows, all on the same uint8 images [N, H, W]:
- the lossless codec's .ae files, N / batch files of `batch` images each (every file
  decoded and compared with its images: a mismatch raises);
- the exported model's negative ELBO (mean of 4 samples of z per image) and its IWAE
  NLL bound (Burda et al. 2016) with K samples on the first `iwae_images` images, nats
  turned into bits (/ ln 2) and divided by the pixels;
- PNG (optimize), WebP lossless (method 6) and JPEG 2000 lossless (reversible 5/3
  wavelet), each as one file per image and as one file per batch tiled into a grid.
"""

from __future__ import annotations

import io
import math
import time

import numpy as np
from PIL import Image

from ae.codec import bitstream, lossless
from ae.codec.registry import Codec
from ae.ops import vae_math

CLASSICAL = {
  "PNG": ("PNG", {"optimize": True}),
  "WebP lossless": ("WEBP", {"lossless": True, "quality": 100, "method": 6}),
  "JPEG 2000 lossless": ("JPEG2000", {"irreversible": False}),
}


def _file_bytes(image: np.ndarray, fmt: str, options: dict) -> int:
  buf = io.BytesIO()
  Image.fromarray(image).save(buf, format=fmt, **options)
  return len(buf.getvalue())


def grid(images: np.ndarray) -> np.ndarray:
  """[N, H, W] -> one [rows H, cols W] image, rows = ceil(N / cols), cols = ceil(sqrt N);
  the empty cells are black."""
  n, h, w = images.shape
  cols = math.ceil(math.sqrt(n))
  rows = math.ceil(n / cols)
  out = np.zeros((rows * cols, h, w), np.uint8)
  out[:n] = images
  return out.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)


def classical_rows(images: np.ndarray, batch: int) -> list[dict]:
  """Bits per dimension of each Pillow codec, per image and per tiled batch."""
  dims = images.size
  rows = []
  for name, (fmt, options) in CLASSICAL.items():
    per_image = sum(_file_bytes(im, fmt, options) for im in images)
    batched = sum(
      _file_bytes(grid(images[i : i + batch]), fmt, options) for i in range(0, len(images), batch)
    )
    rows.append({"method": f"{name}, one file per image", "bits_per_dim": 8 * per_image / dims})
    rows.append(
      {"method": f"{name}, {batch} images tiled per file", "bits_per_dim": 8 * batched / dims}
    )
  return rows


def codec_row(images: np.ndarray, codec: Codec, batch: int) -> dict:
  """Real .ae files of `batch` images each: bits per dimension, seconds per image."""
  total, t_enc, t_dec = 0, 0.0, 0.0
  for i in range(0, len(images), batch):
    chunk = images[i : i + batch]
    t0 = time.perf_counter()
    data = lossless.encode_images(chunk, codec)
    t1 = time.perf_counter()
    header, streams = bitstream.unpack(data)
    decoded = lossless.decode_images(header, streams, codec, max_pixels=chunk.size)
    t_dec += time.perf_counter() - t1
    t_enc += t1 - t0
    if not np.array_equal(decoded, chunk):
      raise AssertionError(f"lossless round trip failed on images {i}..{i + len(chunk) - 1}")
    total += len(data)
  return {
    "method": f"{codec.name}: bits-back .ae files of {batch} images",
    "bits_per_dim": 8 * total / images.size,
    "encode_s_per_image": t_enc / len(images),
    "decode_s_per_image": t_dec / len(images),
  }


def model_bounds(images: np.ndarray, codec: Codec, iwae_samples: int, iwae_images: int) -> dict:
  """The exported model's negative ELBO and IWAE NLL in bits per dimension."""
  import jax  # pylint: disable=g-import-not-at-top  # the file rows need no jax
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top

  model, params = codec.exported.model, codec.exported.params
  x_all = jnp.asarray(images[..., None] if images.ndim == 3 else images, jnp.float32) / 255.0
  dims = float(np.prod(x_all.shape[1:])) * math.log(2)

  @jax.jit
  def neg_elbo(x, key):
    ll, kl, _ = model.apply({"params": params}, x, method="elbo_terms", rngs={"sample": key})
    return kl - ll

  @jax.jit
  def log_weights(x, key):
    return model.apply(
      {"params": params}, x, 100, method="log_weights", rngs={"sample": key}
    )  # [100, B]

  key = jax.random.key(0)
  elbo, nll = [], []
  for i in range(0, len(x_all), 500):
    x = x_all[i : i + 500]
    elbo.append(
      np.mean([np.asarray(neg_elbo(x, jax.random.fold_in(key, 4 * i + s))) for s in range(4)], 0)
    )
  for i in range(0, min(iwae_images, len(x_all)), 50):
    x = x_all[i : i + 50]
    lw = jnp.concatenate(
      [
        log_weights(x, jax.random.fold_in(key, 10**6 + i * 1000 + s))
        for s in range(iwae_samples // 100)
      ]
    )
    nll.append(-np.asarray(vae_math.iwae_bound(lw)))
  elbo = np.concatenate(elbo)
  return {
    "neg_elbo_bits_per_dim": float(elbo.mean() / dims),
    "neg_elbo_on_iwae_images_bits_per_dim": float(elbo[: len(np.concatenate(nll))].mean() / dims),
    "iwae_bits_per_dim": float(np.concatenate(nll).mean() / dims),
    "iwae_samples": iwae_samples - iwae_samples % 100,
    "iwae_images": min(iwae_images, len(x_all)),
  }
