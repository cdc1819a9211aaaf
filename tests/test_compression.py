"""Quantization, GDN, entropy models and tables (issue: rate-distortion models)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.compression import entropy_math as em
from ae.compression import gdn as gdn_lib
from ae.compression import quantization as q
from ae.compression import tables as tbl
from ae.compression.entropy_models import EntropyBottleneck, conditional_bits


def test_uniform_noise_and_straight_through_rounding():
  x = jnp.linspace(-3, 3, 10001)
  noisy = q.add_uniform_noise(jax.random.PRNGKey(0), x)
  assert float(jnp.max(jnp.abs(noisy - x))) <= 0.5
  assert abs(float(jnp.mean(noisy - x))) < 0.01
  assert float(jnp.std(noisy - x)) == pytest.approx(np.sqrt(1 / 12), rel=0.03)
  np.testing.assert_array_equal(q.round_st(x), jnp.round(x))
  np.testing.assert_allclose(jax.grad(lambda t: jnp.sum(q.round_st(t)))(x), 1.0)
  np.testing.assert_allclose(q.quantize(jnp.array([0.74, 1.26]), 0.25), [0.25, 1.25])


def test_soft_round_limits_and_inverse():
  x = jnp.linspace(-2.4, 2.4, 97)
  np.testing.assert_allclose(q.soft_round(x, 1e-3), x, atol=1e-3)
  near_ints = (jnp.arange(-2.0, 3.0)[:, None] + jnp.array([-0.3, 0.0, 0.3])).ravel()
  np.testing.assert_allclose(q.soft_round(near_ints, 50.0), jnp.round(near_ints), atol=1e-3)
  np.testing.assert_allclose(q.soft_round_inverse(q.soft_round(x, 3.0), 3.0), x, atol=1e-4)


def _eb(channels=3):
  eb = EntropyBottleneck(channels)
  return eb, eb.init(jax.random.PRNGKey(1), jnp.zeros((1, channels)))


def test_factorized_density_is_a_distribution_and_rates_are_nonnegative():
  eb, v = _eb()
  grid = jnp.tile(jnp.arange(-80.0, 81.0)[:, None], (1, 3))
  p = eb.apply(v, grid, method="likelihood")
  np.testing.assert_allclose(p.sum(0), 1.0, atol=2e-3)  # sums over integer bins
  y = jax.random.normal(jax.random.PRNGKey(2), (4, 5, 5, 3)) * 4
  assert bool(jnp.all(eb.apply(v, y) >= 0))


def test_batch_bits_are_the_sum_of_element_bits():
  eb, v = _eb()
  y = jax.random.normal(jax.random.PRNGKey(3), (2, 4, 3)) * 2
  per_example = eb.apply(v, y, method="bits")
  elements = em.bits_from_likelihood(eb.apply(v, y, method="likelihood"))
  np.testing.assert_allclose(per_example, elements.reshape(2, -1).sum(-1), rtol=1e-5)
  mean, scale = jnp.zeros_like(y), jnp.full_like(y, 1.5)
  cond = conditional_bits(y, mean, scale)
  want = em.bits_from_likelihood(em.gaussian_likelihood(y, mean, scale)).reshape(2, -1).sum(-1)
  np.testing.assert_allclose(cond, want, rtol=1e-5)


@pytest.mark.parametrize("family", ["gaussian", "laplace"])
def test_conditional_bins_sum_to_one(family):
  v = jnp.arange(-300.0, 301.0)
  for s in (0.11, 1.0, 17.0):
    assert float(jnp.sum(em.CONDITIONALS[family](v, 0.3, s))) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("family", ["gaussian", "laplace"])
def test_noisy_rate_upper_bounds_rounded_rate_on_average(family):
  f = em.CONDITIONALS[family]
  for s in (0.3, 1.0, 3.0):
    y = jax.random.normal(jax.random.PRNGKey(0), (200_000,)) * s + 0.3
    u = jax.random.uniform(jax.random.PRNGKey(1), y.shape, minval=-0.5, maxval=0.5)
    noisy = float(jnp.mean(em.bits_from_likelihood(f(y + u, 0.3, s))))
    rounded = float(jnp.mean(em.bits_from_likelihood(f(q.quantize(y, 0.3), 0.3, s))))
    assert noisy >= rounded - 0.005 * rounded, (s, noisy, rounded)  # equal within MC error
    if s < 1:
      assert noisy > rounded + 0.1  # strictly above where bins are coarse


def test_gdn_then_exact_inverse_is_identity_and_parameters_stay_positive():
  layer = gdn_lib.GDN()
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 4, 5))
  v = layer.init(jax.random.PRNGKey(1), x)
  beta, gamma = gdn_lib.nonneg(v["params"]["beta"], 1e-6), gdn_lib.nonneg(v["params"]["gamma"])
  gamma = gamma + 0.02  # off-diagonal coupling
  y = gdn_lib.gdn(x, beta, gamma)
  np.testing.assert_allclose(gdn_lib.gdn_inverse(y, beta, gamma), x, rtol=1e-4, atol=1e-5)
  # The reparameterization keeps beta >= beta_min even for a stored value pushed below it.
  assert float(gdn_lib.nonneg(jnp.array(-5.0), 1e-6)) >= 1e-6 - 1e-12
  # and its gradient still lets a clipped value move back up.
  g = jax.grad(lambda t: -gdn_lib.nonneg(t, 0.1))(jnp.array(-1.0))
  assert float(g) != 0.0


def test_quantized_cdf_counts():
  cdf = tbl.quantized_cdf(np.array([0.7, 0.2999, 1e-12, 1e-4]))
  counts = np.diff(cdf)
  assert cdf[0] == 0 and cdf[-1] == 1 << 16 and counts.min() >= 1
  assert counts[0] == pytest.approx(0.7 * 65536, abs=3)


def test_table_bits_match_the_model_and_escape_out_of_range():
  eb, v = _eb(2)
  like = lambda vals: np.asarray(eb.apply(v, jnp.asarray(vals).T, method="likelihood")).T
  quantiles = np.array([[-6.0, 0.0, 6.0], [-4.0, 0.5, 5.0]])
  t = tbl.factorized_tables(like, quantiles)
  assert np.all(t["cdf"][np.arange(2), t["cdf_length"] - 1] == 1 << 16)
  symbols = np.array([[0, 1], [-2, 3]])
  index = np.broadcast_to(np.arange(2), symbols.shape)
  got = tbl.table_bits(symbols, index, t)
  values = symbols + t["offset"]
  want = np.asarray(
    em.bits_from_likelihood(eb.apply(v, jnp.asarray(values, jnp.float32), method="likelihood"))
  )
  np.testing.assert_allclose(got, want, rtol=0.01)
  far = tbl.table_bits(np.array([[40, -40]]), np.array([[0, 1]]), t)
  assert np.all(far > 10)  # escape symbol plus the coded excess


def test_scale_index_picks_smallest_scale_not_below():
  table = np.array([0.11, 0.5, 1.0, 4.0])
  np.testing.assert_array_equal(
    tbl.scale_index(np.array([0.05, 0.11, 0.3, 1.0, 3.9, 99.0]), table), [0, 0, 1, 2, 3, 3]
  )
