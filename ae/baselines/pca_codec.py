"""Linear transform coding: PCA (the KLT) + uniform quantization + the same entropy coder.

The classical learned baseline for small images (Goyal 2001, "Theoretical
foundations of transform coding"): coefficients c = (x - mu) V^T of an image
x in [0, 1] (flattened, D = H*W*C) are quantized with one step size `delta`,
s = round(c / delta), and coded with `ae.codec.coder` under a discretized
Laplace model per component whose scale is fitted on the training split
(b_i = std_i / sqrt(2), in units of delta). Decoding: x_hat = mu + (s delta) V,
clipped to [0, 1] and rounded to 8 bits. A file is the same header as an .ae
file (ae.codec.bitstream) plus one stream, so bits per pixel compare fairly.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from ae.baselines.pca import PCA, fit_pca
from ae.codec import bitstream, coder
from ae.compression import tables as tbl

DELTAS = (1.2, 0.8, 0.6, 0.4, 0.28, 0.2, 0.14, 0.1, 0.07, 0.05)


def _laplace_cdf(t: np.ndarray, b: float) -> np.ndarray:
  return np.where(
    t < 0, 0.5 * np.exp(np.minimum(t, 0) / b), 1 - 0.5 * np.exp(-np.maximum(t, 0) / b)
  )


def _laplace_tables(scales: np.ndarray, tail_mass: float = 1e-6) -> dict:
  """Integer tables of zero-mean discretized Laplace densities with the given scales [K]."""
  cdfs, los = [], []
  for b in np.maximum(scales, 1e-3):
    r = max(1, int(np.ceil(b * np.log(1.0 / tail_mass))))
    k = np.arange(-r, r + 1, dtype=np.float64)
    upper, lower = k + 0.5, k - 0.5
    pmf = _laplace_cdf(upper, b) - _laplace_cdf(lower, b)
    cdfs.append(tbl.quantized_cdf(np.append(pmf, max(0.0, 1.0 - pmf.sum()))))
    los.append(-r)
  return tbl.pack(cdfs, los)


@dataclasses.dataclass(frozen=True)
class PCACodec:
  """PCA transform coding of images of one shape [H, W, C] at step `delta`."""

  pca: PCA
  shape: tuple[int, int, int]
  delta: float
  tables: dict
  codec_id: bytes

  @classmethod
  def fit(cls, train_images: np.ndarray, delta: float, pca: PCA | None = None) -> PCACodec:
    """Fits on uint8 train images [N, H, W, C] (or reuses a fitted full-rank `pca`)."""
    if pca is None:
      pca = fit_pca(train_images.astype(np.float64) / 255.0, int(np.prod(train_images.shape[1:])))
    scales = np.sqrt(pca.variances / 2.0) / delta
    tables = _laplace_tables(scales)
    ident = hashlib.sha256(pca.components.tobytes() + np.float64(delta).tobytes()).digest()[:8]
    return cls(pca, tuple(train_images.shape[1:]), float(delta), tables, ident)

  def encode(self, image: np.ndarray) -> bytes:
    x = np.asarray(image, np.float64).reshape(1, -1) / 255.0
    sym = np.round((x - self.pca.mean) @ self.pca.components.T / self.delta).astype(np.int64)[0]
    header = bitstream.Header(self.codec_id, self.shape[0], self.shape[1], self.shape[2])
    return bitstream.pack(header, [coder.encode(sym, np.arange(len(sym)), self.tables)])

  def decode(self, data: bytes) -> np.ndarray:
    _, streams = bitstream.unpack(data)
    sym = coder.decode(streams[0], np.arange(self.pca.components.shape[0]), self.tables)
    x = self.pca.mean + (sym * self.delta) @ self.pca.components
    out = np.round(np.clip(x, 0, 1) * 255).astype(np.uint8).reshape(self.shape)
    return out[..., 0] if self.shape[2] == 1 else out
