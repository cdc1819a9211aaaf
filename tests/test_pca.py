"""Exact PCA (ae.baselines.pca): the uint8 path's exact scatter, and PCA's optimality."""

import numpy as np
import pytest

from ae.baselines import pca


def _images(n=3000, seed=0):
  rng = np.random.default_rng(seed)
  base = rng.integers(0, 256, (n, 6, 6, 1), dtype=np.uint8)
  base[:, 0] = 255  # constant pixels: zero variance
  base[:, 1] = base[:, 2] // 2  # correlated pixels
  base[:, 3] = 250 + (rng.random((n, 6, 1)) < 0.01)  # near-constant: the centring's hard case
  return base


def test_uint8_fit_matches_the_float64_fit():
  x = _images()
  a = pca.fit_pca(x.astype(np.float64) / 255.0, 10)
  b = pca.fit_pca_uint8(x, 10)
  np.testing.assert_allclose(b.mean, a.mean, rtol=0, atol=1e-13)
  np.testing.assert_allclose(b.variances, a.variances, rtol=1e-12)
  np.testing.assert_allclose(np.abs(np.sum(a.components * b.components, 1)), 1.0, atol=1e-9)


def test_train_error_is_the_variance_left_out():
  """Eckart-Young: the rank-k reconstruction of the fitted data leaves exactly the
  variance of the discarded components (per pixel: their sum over D)."""
  x = _images()
  d = 36
  full = pca.fit_pca_uint8(x, d)
  for k in (3, 12):
    mse = pca.reconstruction_mse(pca.fit_pca_uint8(x, k), x.astype(np.float64) / 255.0)
    assert mse == pytest.approx(full.variances[k:].sum() / d, rel=1e-9)


def test_baseline_measures_the_test_split():
  x = _images()
  out = pca.baseline(x[:2000], x[2000:], 36)  # every component: exact up to rounding
  assert out["k"] == 36 and out["mse"] < 1e-20 and out["mse_clipped"] <= out["mse"]
  low = pca.baseline_in_background(x[:2000], x[2000:], 4).result()
  assert low["mse"] > 1e-3 and low["psnr"] == pytest.approx(-10 * np.log10(low["mse"]))


def test_near_constant_pixels_keep_their_variance():
  x = _images()
  exact = x[:, 3].astype(np.float64).var(0) / 255.0**2  # two-pass, per pixel
  fit = pca.fit_pca_uint8(x[:, 3:4], 6)  # those 6 pixels alone
  np.testing.assert_allclose(np.sort(fit.variances).sum(), exact.sum(), rtol=1e-13)


def test_rejects_a_k_out_of_range_and_float_images():
  with pytest.raises(ValueError, match="components"):
    pca.fit_pca_uint8(_images(10), 37)
  with pytest.raises(ValueError, match="uint8"):
    pca.fit_pca_uint8(_images(10).astype(np.float32), 3)
