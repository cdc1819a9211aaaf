"""Exact PCA: the optimal linear autoencoder for squared error.

With k components PCA minimizes the mean squared reconstruction error over all
rank-k affine maps (Eckart and Young 1936; Baldi and Hornik 1989 show a linear
autoencoder trained on MSE reaches exactly this subspace). The principal axes
are the right singular vectors of the centred data matrix X - mu [N, D]; we take
them from the SVD of the D x D scatter matrix (X - mu)^T (X - mu), accumulated in
float64, whose singular vectors are the same and which costs N*D^2 instead of a
full SVD of the N x D matrix.

Shapes: data [N, D] (or images [N, H, W, C], flattened), float in [0, 1].
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading

import numpy as np

from ae.ops import metrics


@dataclasses.dataclass(frozen=True)
class PCA:
  mean: np.ndarray  # [D]
  components: np.ndarray  # [k, D], orthonormal rows, by decreasing variance
  variances: np.ndarray  # [k], variance along each component


def _flat(x: np.ndarray) -> np.ndarray:
  return np.asarray(x, np.float64).reshape(x.shape[0], -1)


def fit_pca(x: np.ndarray, k: int, chunk: int = 8192) -> PCA:
  """Fits k principal components to x [N, ...]."""
  n = x.shape[0]
  d = int(np.prod(x.shape[1:]))
  if not 1 <= k <= d:
    raise ValueError(f"k={k} components must be in [1, {d}]")
  mean = np.zeros(d)
  for i in range(0, n, chunk):
    mean += _flat(x[i : i + chunk]).sum(0)
  mean /= n
  scatter = np.zeros((d, d))
  for i in range(0, n, chunk):
    c = _flat(x[i : i + chunk]) - mean
    scatter += c.T @ c
  _, s, vt = np.linalg.svd(scatter)
  return PCA(mean=mean, components=vt[:k], variances=s[:k] / n)


EXACT_SUM = 2.0**53  # float64 integers are exact below this
EXACT_ROWS = 256  # 256 * 255^2 < 2^24: a float32 sum of that many uint8 products is exact


def fit_pca_uint8(images: np.ndarray, k: int) -> PCA:
  """`fit_pca(images / 255, k)` for uint8 images [N, ...], from exact integer moments: the
  products of each 256-row chunk summed by float32 BLAS (every partial sum an integer
  below 2^24, so exact), the chunks in float64 (exact below 2^53). The centred scatter
  N * sum x x^T - (sum x)(sum x)^T is then an exact integer too while N^2 255^2 < 2^53
  (N < 370,000), and one division rounds it; larger N rounds the centring in float64.
  About twice as fast as `fit_pca` (float32 instead of float64 BLAS)."""
  if images.dtype != np.uint8:
    raise ValueError(f"fit_pca_uint8 takes uint8 images, not {images.dtype}")
  n = images.shape[0]
  d = int(np.prod(images.shape[1:]))
  if not 1 <= k <= d:
    raise ValueError(f"k={k} components must be in [1, {d}]")
  flat = images.reshape(n, d)
  total = np.zeros(d)
  raw = np.zeros((d, d))
  for i in range(0, n, EXACT_ROWS):
    c = flat[i : i + EXACT_ROWS].astype(np.float32)
    total += c.sum(0, dtype=np.float64)
    raw += c.T @ c
  if float(n) ** 2 * 255.0**2 < EXACT_SUM:
    scatter = (n * raw - np.outer(total, total)) / (n * 255.0**2)
  else:
    scatter = (raw - np.outer(total, total) / n) / 255.0**2
  _, s, vt = np.linalg.svd(scatter)
  return PCA(mean=total / (n * 255.0), components=vt[:k], variances=s[:k] / n)


def encode(pca: PCA, x: np.ndarray) -> np.ndarray:
  """x [N, ...] -> codes [N, k]."""
  return (_flat(x) - pca.mean) @ pca.components.T


def decode(pca: PCA, codes: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
  """codes [N, k] -> reconstructions [N, D] (or [N, *shape]), unclipped."""
  out = codes @ pca.components + pca.mean
  return out if shape is None else out.reshape((codes.shape[0], *shape))


def reconstruction_mse(pca: PCA, x: np.ndarray, clip: bool = False, chunk: int = 8192) -> float:
  """Mean squared error per pixel of the rank-k reconstruction of x [N, ...] in [0, 1]."""
  total = 0.0
  for i in range(0, x.shape[0], chunk):
    xb = _flat(x[i : i + chunk])
    rec = decode(pca, encode(pca, xb))
    if clip:
      rec = np.clip(rec, 0.0, 1.0)
    total += float(np.square(xb - rec).sum())
  return total / (x.shape[0] * int(np.prod(x.shape[1:])))


def baseline(train: np.ndarray, test: np.ndarray, k: int) -> dict[str, float]:
  """The PCA baseline at k components: fitted to uint8 train [N, ...], measured on uint8
  test [M, ...] (both read as x / 255 in [0, 1]): MSE per pixel and PSNR (dB), of the
  reconstruction as it is and clipped to [0, 1]."""
  pca = fit_pca_uint8(train, k)
  x_test = test.astype(np.float32) / 255.0
  mse, mse_clip = (reconstruction_mse(pca, x_test, clip=c) for c in (False, True))
  return {
    "k": k,
    "mse": mse,
    "psnr": float(metrics.psnr_of_mse(mse)),
    "mse_clipped": mse_clip,
    "psnr_clipped": float(metrics.psnr_of_mse(mse_clip)),
  }


def baseline_in_background(
  train: np.ndarray, test: np.ndarray, k: int
) -> concurrent.futures.Future:
  """`baseline(train, test, k)` in a thread, so that a run fits it while it trains (numpy's
  BLAS and SVD release the GIL; the fit took 1.4 s of the seed experiment's 3-epoch process
  here before it ran in the thread)."""
  future: concurrent.futures.Future = concurrent.futures.Future()

  def run() -> None:
    if future.set_running_or_notify_cancel():
      try:
        future.set_result(baseline(train, test, k))
      except BaseException as e:  # noqa: BLE001  # handed to whoever asks for the result
        future.set_exception(e)

  # A daemon thread: a run that stops early (an error, a divergence) exits at once.
  threading.Thread(target=run, name="pca-baseline", daemon=True).start()
  return future
