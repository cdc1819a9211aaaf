"""Exact fixed-point decoding ops against float references and integer oracles."""

import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from ae.codec import fixed_point as fx
from ae.layers.conv_transpose import conv_transpose


@pytest.mark.parametrize(
  "shape,k,stride", [((9, 7, 3), 5, 2), ((8, 8, 4), 3, 1), ((1, 1, 2), 5, 2)]
)
def test_conv2d_matches_xla_same_convolution(shape, k, stride):
  rng = np.random.default_rng(0)
  x = rng.standard_normal(shape).astype(np.float32)
  w = rng.standard_normal((k, k, shape[-1], 5)).astype(np.float32)
  want = lax.conv_general_dilated(
    x[None], w, (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
  )[0]
  np.testing.assert_allclose(fx.conv2d(x, w, stride), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(3, 5, 4), (1, 1, 2), (4, 4, 3)])
def test_conv_transpose_matches_the_layer(shape):
  rng = np.random.default_rng(1)
  x = rng.standard_normal(shape).astype(np.float32)
  w = rng.standard_normal((5, 5, 6, shape[-1])).astype(np.float32)
  want = conv_transpose(jnp.asarray(x[None]), jnp.asarray(w), 2)[0]
  np.testing.assert_allclose(fx.conv_transpose(x, w, 2), want, rtol=1e-4, atol=1e-4)


def _scatter_transpose(x: np.ndarray, w: np.ndarray, s: int, b: np.ndarray) -> np.ndarray:
  """The definition y[s*h + i - p, s*v + j - q] += x[h, v] @ w[i, j]^T in int64."""
  k, (h, wd, _) = w.shape[0], x.shape
  p, q = max((h - 1) * s + k - s * h, 0) // 2, max((wd - 1) * s + k - s * wd, 0) // 2
  y = np.zeros((s * h + k, s * wd + k, w.shape[2]), np.int64)
  for i in range(k):
    for j in range(k):
      y[i : i + s * h : s, j : j + s * wd : s] += np.einsum("hwc,oc->hwo", x, w[i, j])
  return y[p : p + s * h, q : q + s * wd] + b


@pytest.mark.parametrize(
  "shape,k,stride", [((5, 7, 3), 5, 2), ((4, 4, 2), 3, 1), ((1, 3, 2), 5, 2), ((3, 2, 2), 4, 3)]
)
def test_conv_transpose_is_the_exact_scatter(shape, k, stride):
  """The sub-pixel form adds the same integers as the scatter definition: equal bits."""
  rng = np.random.default_rng(3)
  x = rng.integers(-(2**20), 2**20, shape)
  w = rng.integers(-(2**16), 2**16, (k, k, 4, shape[-1]))
  b = rng.integers(-(2**30), 2**30, 4)
  got = fx.conv_transpose(x.astype(np.float64), w.astype(np.float64), stride, b.astype(np.float64))
  assert np.array_equal(got.astype(np.int64), _scatter_transpose(x, w, stride, b))


def test_integer_convolutions_are_exact():
  """Integer-valued float64 inputs give exactly the int64 result (no rounding anywhere)."""
  rng = np.random.default_rng(2)
  x = rng.integers(-(2**20), 2**20, (6, 5, 8)).astype(np.float64)
  w = rng.integers(-(2**16), 2**16, (3, 3, 8, 4)).astype(np.float64)
  got = fx.conv2d(x, w, 1)
  xi, wi = x.astype(np.int64), w.astype(np.int64)
  xp = np.pad(xi, ((1, 1), (1, 1), (0, 0)))
  want = sum(
    np.einsum("hwc,co->hwo", xp[i : i + 6, j : j + 5], wi[i, j]) for i in range(3) for j in range(3)
  )
  assert np.array_equal(got.astype(np.int64), want)
  assert np.all(got == np.round(got))


def test_range_check_refuses_weights_that_could_round():
  fx.check_range(np.full((3200, 8), 2.0**16), None, "ok")
  with pytest.raises(fx.RangeError):
    fx.check_range(np.full((3200, 8), 2.0**22), None, "too big")


def test_sigmoid_pixels_equal_rounded_float_sigmoid():
  x = np.random.default_rng(3).uniform(-8, 8, 20000)
  a = fx.to_fixed(x)
  want = np.round(255.0 / (1.0 + np.exp(-a / 2.0**fx.FRAC)))
  got = fx.sigmoid_to_pixels(a).astype(np.float64)
  # Equal except within float error of a rounding tie (none expected in 20000 draws).
  assert np.array_equal(got, want)


def test_igdn_fixed_matches_float_igdn():
  rng = np.random.default_rng(4)
  x = rng.standard_normal((5, 4, 6)) * 3
  beta = rng.uniform(0.5, 2, 6)
  gamma = rng.uniform(0, 0.2, (6, 6))
  want = x * np.sqrt(beta + np.square(x) @ gamma.T)
  got = fx.igdn_fixed(fx.to_fixed(x), beta, gamma) / 2.0**fx.FRAC
  np.testing.assert_allclose(got, want, rtol=0.02, atol=0.02)


def test_pixels_round_and_clip():
  a = fx.to_fixed(np.array([-0.2, 0.0, 0.5 / 255 - 1e-3, 0.5 / 255 + 1e-3, 0.5, 1.0, 1.3]))
  assert fx.to_pixels(a).tolist() == [0, 0, 0, 1, 128, 255, 255]
