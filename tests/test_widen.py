"""Widening a hyperprior codec's latent channels keeps what it computes (ae.compression.widen)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.compression import models, widen


def _apply(model, params, x):
  """(x_hat, bits per latent element) with hard rounding, as the codec decodes."""
  return model.apply(
    {"params": params}, x, train=False, method=lambda m, x, train: m.forward(x, train=train)[:2]
  )


@pytest.mark.parametrize("mean_scale", [True, False])
def test_a_widened_codec_decodes_the_same_pixels_with_the_same_bits_on_its_old_channels(mean_scale):
  x = jax.random.uniform(jax.random.PRNGKey(0), (1, 32, 48, 3))
  narrow = models.BMSHJ2018(n=8, m=12, mean_scale=mean_scale)
  wide = models.BMSHJ2018(n=8, m=20, mean_scale=mean_scale)
  old = narrow.init(jax.random.PRNGKey(1), x)["params"]
  # Trained-looking values: nonzero biases everywhere.
  old = jax.tree_util.tree_map(
    lambda v: v + 0.05 * jnp.sin(jnp.arange(v.size).reshape(v.shape)), old
  )
  fresh = wide.init(jax.random.PRNGKey(2), x)["params"]
  params = wide.adapt_params(old, fresh)
  assert params is not None
  x_old, bits_old = _apply(narrow, old, x)
  x_new, bits_new = _apply(wide, params, x)
  np.testing.assert_allclose(x_new, x_old, atol=1e-5)
  np.testing.assert_allclose(bits_new["z"], bits_old["z"], rtol=1e-5, atol=1e-5)
  assert float(bits_new["y"][0]) > float(bits_old["y"][0])  # the new channels cost bits
  lat_old = narrow.apply({"params": old}, x, method=lambda m, x: m.latents(x))["y"]
  lat_new = wide.apply({"params": params}, x, method=lambda m, x: m.latents(x))["y"]
  for a, b in zip(lat_new, lat_old):  # y, its mean and scale on the old channels
    np.testing.assert_allclose(a[..., :12], b, rtol=1e-5, atol=1e-5)
  assert float(jnp.std(lat_new[0][..., 12:])) > 0  # g_a's fresh features in the new ones


def test_widening_refuses_what_is_not_a_narrower_copy():
  x = jnp.zeros((1, 32, 32, 3))
  fresh = models.MBT2018Mean(n=8, m=20).init(jax.random.PRNGKey(0), x)["params"]
  same = models.MBT2018Mean(n=8, m=20).init(jax.random.PRNGKey(1), x)["params"]
  other_n = models.MBT2018Mean(n=4, m=12).init(jax.random.PRNGKey(1), x)["params"]
  assert widen.widen_params(same, fresh, True) is None  # nothing to widen
  assert widen.widen_params(other_n, fresh, True) is None  # N differs: GDN shapes too
  assert widen.widen_kernel(np.zeros((3, 3, 4, 6)), np.zeros((3, 3, 4, 9)), "conv", 2) is None
  grown = widen.widen_kernel(np.ones((1, 1, 2, 4)), np.full((1, 1, 3, 6), 7.0), "conv", 2)
  # [means | scales]: old unit columns 0, 1 and 2, 3 land at 0, 1 and 3, 4; new inputs zero.
  np.testing.assert_array_equal(grown[0, 0, :, [0, 1, 3, 4]].T, [[1] * 4, [1] * 4, [0] * 4])
  np.testing.assert_array_equal(grown[0, 0, :, [2, 5]].T, np.full((3, 2), 7.0))


def test_only_a_narrower_copy_of_the_same_model_is_widened():
  x = jnp.zeros((1, 32, 32, 3))
  wide = models.MBT2018Mean(n=8, m=20)
  fresh = wide.init(jax.random.PRNGKey(0), x)["params"]
  assert wide.adapt_params(
    models.MBT2018Mean(n=8, m=12).init(jax.random.PRNGKey(1), x)["params"], fresh
  )
  # A scale-only hyperprior ([scales], not [means | scales]), another colour mode, another
  # architecture: not this map.
  scale_only = models.BMSHJ2018(n=8, m=12).init(jax.random.PRNGKey(1), x)["params"]
  gray = models.MBT2018Mean(n=8, m=12, channels=1).init(jax.random.PRNGKey(1), x[..., :1])["params"]
  factorized = models.BLS2017(n=8, m=12).init(jax.random.PRNGKey(1), x)["params"]
  for old in (scale_only, gray, factorized):
    assert wide.adapt_params(old, fresh) is None
