"""Export: a trained checkpoint becomes an immutable codec file with frozen tables.

The file layout is `ae.store.codec_file`'s (which reads it without jax); its identity
is the SHA-256 of those bytes. Export is deterministic: the same checkpoint gives the
same bytes and hash. A file is never overwritten with
different content.
"""

from __future__ import annotations

import hashlib
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from ae.compression import entropy_math as em
from ae.compression import tables as tbl
from ae.compression.arch import architecture
from ae.models import build_model
from ae.ops import metrics
from ae.store import bundle as bundle_lib
from ae.store import params as stored_params
from ae.store.codec_file import FORMAT, VERSION, ExportedCodec, load_codec
from ae.utils import files
from ae.utils.errors import UserError

__all__ = [
  "ExportedCodec",
  "build_tables",
  "estimate_bits",
  "evaluate_codec",
  "export_codec",
  "export_untrained",
  "load_codec",
  "write_once",
]


def _padded(fn, values: np.ndarray) -> np.ndarray:
  """fn (elementwise, eager jax) of `values` [n], computed on a copy zero-padded to the next power
  of two: the same per-element results, with one compilation per length class instead
  of one per scale (64 scales took minutes of XLA compiles)."""
  n = len(values)
  size = 1 << max(0, (n - 1).bit_length())
  out = np.asarray(fn(jnp.asarray(np.pad(values, (0, size - n)))))
  return out[:n]


def build_tables(model: nn.Module, model_config, params, image_shape) -> dict:
  """Integer CDF tables of every latent its architecture declares (numpy, deterministic):
  per channel for the factorized one, per scale for a conditional one."""
  arch = architecture(model_config, image_shape)
  latent, owner = arch.factorized.name, arch.factorized.module

  def factorized_likelihood(values):  # [C, n] -> [C, n]
    p = model.apply(
      {"params": params}, jnp.asarray(values).T, method=lambda m, v: getattr(m, owner).likelihood(v)
    )
    return np.asarray(p).T

  quantiles = np.asarray(params[owner]["quantiles"])[:, 0, :]
  tables = {latent: tbl.factorized_tables(factorized_likelihood, quantiles)}
  family = model_config.get("family", "gaussian")
  for conditional in (lat for lat in arch.latents if lat.entropy == "conditional"):
    # Eager, not jitted: XLA's fusion would change the last bits, and so the tables.
    fn = lambda v, s: _padded(lambda u: em.CONDITIONALS[family](u, 0.0, s), v)
    scales = np.asarray(em.default_scale_table())
    tables[conditional.name] = tbl.conditional_tables(fn, scales, family=family)
  return tables


def export_codec(config, params, image_shape, step: int, param_dtype: str = "float32") -> bytes:
  """The codec file's bytes for a trained run. `param_dtype="float16"` stores the
  parameters rounded to half precision (half the file size); the tables are built
  from the rounded parameters, which every loader widens back to float32, so
  encoder, decoder and tables agree exactly on what the file holds."""
  model = build_model(config.model, tuple(image_shape))
  params = stored_params.narrow(params, param_dtype)
  bundle = {
    **bundle_lib.model_fields(FORMAT, VERSION, config.model, image_shape),
    "trained_on": str(config.data.name),
    "lmbda": float(config.rd.lmbda),
    "step": int(step),
    "params": params,
    "tables": {
      k: tbl.to_stored(t)
      for k, t in build_tables(
        model, config.model, stored_params.widen(params), image_shape
      ).items()
    },
  }
  return serialization.msgpack_serialize(bundle)


def export_untrained(config, image_shape, seed: int = 0) -> bytes:
  """A codec file with freshly initialized parameters: valid and decodable, not trained
  (for tests and timing benchmarks). Layers declared `zero_init` get random kernels like
  the others, so that the file exercises every network of the decoder."""
  model = build_model(config.model, tuple(image_shape))
  init = jax.jit(  # one compilation instead of one per eager op of the forward pass
    lambda k_params, k_noise: model.init(
      {"params": k_params}, jnp.zeros((1, *image_shape)), k_noise, method="forward"
    )["params"]
  )
  params = jax.device_get(init(jax.random.key(seed), jax.random.key(seed + 1)))
  rng = np.random.default_rng(seed)
  arch = architecture(config.model, image_shape)
  for t in (arch.g_a, arch.g_s, arch.h_a, arch.h_s, *arch.y_nets):
    for layer in (layer for layer in (t.layers if t else ()) if layer.zero_init):
      shape = params[t.scope][layer.name]["kernel"].shape
      kernel = rng.normal(0.0, np.prod(shape[:-1]) ** -0.5, shape)
      params[t.scope][layer.name]["kernel"] = kernel.astype(np.float32)
  return export_codec(config, params, image_shape, 0)


def write_once(path: str, data: bytes) -> str:
  """Writes `data` atomically unless `path` already holds other bytes; returns the SHA-256."""
  digest = hashlib.sha256(data).hexdigest()
  if os.path.exists(path):
    with open(path, "rb") as f:
      if hashlib.sha256(f.read()).hexdigest() != digest:
        raise UserError(
          f"{path} already holds a different codec; codecs are immutable, choose another name"
        )
    return digest
  files.write_bytes(path, data)
  return digest


def estimate_bits(codec: ExportedCodec, images: np.ndarray) -> dict[str, np.ndarray]:
  """Bits per image [N] of each latent when coded with the frozen integer tables.

  images: uint8 [N, H, W, C]. Factorized latents are symbolized around the
  table offsets (channel medians); conditional ones around the predicted means,
  with the table of the smallest scale >= the predicted scale.
  """
  x = jnp.asarray(images, jnp.float32) / 255.0
  lat = codec.model.apply({"params": codec.params}, x, method="latents")
  out = {}
  for name, (y, mean, scale) in lat.items():
    y, t = np.asarray(y), codec.tables[name]
    if scale is None:
      symbols = np.round(y - t["offset"]).astype(np.int64)
      index = np.broadcast_to(np.arange(y.shape[-1]), y.shape)
    else:
      symbols = np.round(y - np.asarray(mean)).astype(np.int64)
      index = tbl.scale_index(np.maximum(np.asarray(scale), em.SCALE_BOUND), t["scale_table"])
    bits = tbl.table_bits(symbols, index, t)
    out[name] = bits.reshape(bits.shape[0], -1).sum(-1)
  return out


def evaluate_codec(codec: ExportedCodec, images: np.ndarray, batch_size: int = 500) -> dict:
  """Estimated bpp from the frozen tables and PSNR (8-bit output) on uint8 images."""
  h, w = images.shape[1:3]
  bits, sse = {}, []
  apply = jax.jit(lambda p, x: codec.model.apply({"params": p}, x))
  for i in range(0, len(images), batch_size):
    batch = images[i : i + batch_size]
    for k, v in estimate_bits(codec, batch).items():
      bits.setdefault(k, []).append(v)
    rec = np.asarray(apply(codec.params, jnp.asarray(batch, jnp.float32) / 255.0))
    rec8 = np.round(np.clip(rec, 0, 1) * 255.0)
    sse.append(np.square(rec8 - batch).reshape(len(batch), -1).mean(-1))
  mse = np.concatenate(sse)
  result = {f"bpp_{k}": float(np.concatenate(v).mean() / (h * w)) for k, v in bits.items()}
  result["bpp"] = sum(result.values())
  result.update(psnr=metrics.mean_psnr(mse, 255.0), mse_255=float(mse.mean()))
  return result
