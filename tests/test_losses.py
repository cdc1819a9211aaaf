import jax.numpy as jnp
import numpy as np
import pytest

from ae.ops import losses


def test_half_sse_matches_expectation_formula_by_hand():
  # Image 1: four pixels off by 0.5 -> ||x - x_hat||^2 = 4 * 0.25 = 1. Image 2: exact -> 0.
  x = jnp.stack([jnp.zeros((2, 2, 1)), jnp.ones((2, 2, 1))])
  x_hat = jnp.stack([jnp.full((2, 2, 1), 0.5), jnp.ones((2, 2, 1))])
  # L = 1/2 * mean over the batch of (1, 0) = 0.25.
  assert float(losses.half_sse_loss(x, x_hat)) == pytest.approx(0.25)
  np.testing.assert_allclose(losses.per_image_sse(x, x_hat), [1.0, 0.0])
  # Per-pixel MSE: (4 * 0.25 + 0) / 8 pixels.
  assert float(losses.mse(x, x_hat)) == pytest.approx(0.125)


def test_half_sse_equals_half_pixels_times_mse():
  rng = np.random.default_rng(0)
  x, x_hat = rng.random((5, 28, 28, 1)), rng.random((5, 28, 28, 1))
  assert float(losses.half_sse_loss(x, x_hat)) == pytest.approx(
    0.5 * 784 * float(losses.mse(x, x_hat)), rel=1e-5
  )


def test_psnr_known_values():
  assert float(losses.psnr_from_mse(jnp.float32(0.01))) == pytest.approx(20.0)
  assert float(losses.psnr_from_mse(jnp.float32(1e-4))) == pytest.approx(40.0, rel=1e-5)
  assert float(losses.psnr_from_mse(jnp.float32(100.0), peak=255.0)) == pytest.approx(
    28.1308, abs=1e-3
  )
