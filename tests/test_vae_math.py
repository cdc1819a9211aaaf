import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from ae.ops import vae_math


def test_gaussian_kl_closed_form_values():
  # KL(N(1, 1) || N(0, 1)) = 1/2; KL(N(0, e) || N(0, 1)) = (e - 2) / 2 (variance e, logvar 1).
  kl = vae_math.gaussian_kl(jnp.array([[1.0], [0.0]]), jnp.array([[0.0], [1.0]]))
  np.testing.assert_allclose(kl, [0.5, (np.e - 2) / 2], rtol=1e-6)


def test_gaussian_kl_matches_monte_carlo():
  mean, logvar = jnp.array([0.3, -1.2, 2.0]), jnp.array([-0.5, 0.7, 0.1])
  z = vae_math.reparameterize(jax.random.PRNGKey(0), mean, logvar, num_samples=200_000)
  mc = jnp.mean(vae_math.log_normal(z, mean, logvar) - vae_math.log_standard_normal(z))
  assert float(mc) == pytest.approx(float(vae_math.gaussian_kl(mean, logvar)), abs=0.02)


def test_log_densities_match_scipy():
  z, m, lv = np.array([0.4, -1.0]), np.array([0.1, 0.5]), np.array([0.2, -0.3])
  want = stats.norm.logpdf(z, m, np.exp(0.5 * lv)).sum()
  assert float(vae_math.log_normal(z, m, lv)) == pytest.approx(want, rel=1e-5)
  assert float(vae_math.log_standard_normal(z)) == pytest.approx(
    stats.norm.logpdf(z).sum(), rel=1e-5
  )
  x = np.array([[[[0.2]], [[0.9]]]])  # [1, 2, 1, 1]
  ll = vae_math.gaussian_log_likelihood(x, np.full_like(x, 0.5), jnp.log(0.1))
  assert float(ll[0]) == pytest.approx(stats.norm.logpdf(x.ravel(), 0.5, 0.1).sum(), rel=1e-5)


def test_bernoulli_log_likelihood():
  x, logits = np.array([[1.0, 0.0, 1.0]]), np.array([[0.3, -2.0, 1.5]])
  p = 1 / (1 + np.exp(-logits))
  want = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))
  assert float(vae_math.bernoulli_log_likelihood(x, logits)[0]) == pytest.approx(want, rel=1e-5)


def test_iwae_with_one_sample_is_the_elbo_estimate():
  lw = jnp.array([[-3.2, -1.0]])
  np.testing.assert_allclose(vae_math.iwae_bound(lw), lw[0], rtol=1e-6)


def test_iwae_bound_is_log_mean_exp():
  lw = np.log(np.array([[1.0], [3.0]]))
  assert float(vae_math.iwae_bound(lw)[0]) == pytest.approx(np.log(2.0))


def test_kl_bernoulli():
  assert float(vae_math.kl_bernoulli(0.05, jnp.array(0.05))) == pytest.approx(0.0, abs=1e-7)
  want = 0.05 * np.log(0.05 / 0.5) + 0.95 * np.log(0.95 / 0.5)
  assert float(vae_math.kl_bernoulli(0.05, jnp.array(0.5))) == pytest.approx(want, rel=1e-6)
