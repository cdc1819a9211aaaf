"""Mixed quantization: noise for the rate, straight-through rounding into the decoders."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.compression import context_models, models
from ae.train import objectives
from ae.utils.errors import ConfigError
from experiments.configs import hyperprior
from tests.test_family import _train

_MODELS = {
  "dense_codec": lambda: models.DenseCodec(
    output_shape=(32, 32, 3), hidden_sizes=(16,), latent_size=8
  ),
  "bls2017": lambda: models.BLS2017(n=8, m=12),
  "bmshj2018": lambda: models.BMSHJ2018(n=8, m=12),
  "mbt2018_mean": lambda: models.MBT2018Mean(n=8, m=12),
  "ms2020": lambda: context_models.ChannelCodec(n=8, m=12, slices=3),
  "he2021": lambda: context_models.CheckerboardCodec(n=8, m=12),
}


def _setup(name):
  model = _MODELS[name]()
  x = jax.random.uniform(jax.random.PRNGKey(0), (2, 32, 32, 3))
  params = model.init(jax.random.PRNGKey(1), x, jax.random.PRNGKey(2), False, method="forward")
  return model, params["params"], x


@pytest.mark.parametrize("name", sorted(_MODELS))
def test_the_decoder_sees_the_rounded_latents_and_the_rate_the_noisy_ones(name):
  model, params, x = _setup(name)
  run = lambda *a: model.apply({"params": params}, x, *a, method="forward")
  rng = jax.random.PRNGKey(3)
  hard, hard_bits, _ = run(None, False)
  mixed, mixed_bits, _ = run(rng, True, True)
  noisy, noisy_bits, _ = run(rng, True, False)
  # What the decoder sees is what it sees at inference; the noise moves only the rate.
  np.testing.assert_allclose(mixed, hard, atol=1e-5)
  assert float(jnp.max(jnp.abs(noisy - hard))) > 1e-3
  assert all(float(jnp.max(jnp.abs(mixed_bits[k] - hard_bits[k]))) > 1e-3 for k in hard_bits)
  # The same noise draws as plain noise training: latents whose density does not depend
  # on a rounded z (the factorized y, and z itself) cost exactly the same bits.
  same = ["y"] if name in ("dense_codec", "bls2017") else ["z"]
  for k in same:
    np.testing.assert_allclose(mixed_bits[k], noisy_bits[k], rtol=1e-6)


@pytest.mark.parametrize("name", ["mbt2018_mean", "ms2020", "he2021"])
def test_the_distortion_gradient_reaches_the_encoder_through_the_rounding(name):
  model, params, x = _setup(name)

  def distortion(p):
    x_hat, _, _ = model.apply({"params": p}, x, jax.random.PRNGKey(3), True, True, method="forward")
    return jnp.mean(jnp.square(x_hat - x))

  grads = jax.grad(distortion)(params)
  assert float(jnp.max(jnp.abs(grads["g_a"]["conv_0"]["kernel"]))) > 0


def test_a_mixed_run_trains_and_an_unknown_quantization_is_refused():
  config = hyperprior.get_config()
  config.model.name, config.model.n, config.model.m = "mbt2018_mean", 8, 12
  config.train.learning_rate = 3e-3
  config.rd.quantization = "mixed"
  _, _, m = _train(config, steps=6)
  assert np.all(np.isfinite(m["loss"])) and m["loss"][-2:].mean() < m["loss"][:2].mean()
  config.rd.quantization = "round"
  with pytest.raises(ConfigError, match="rd.quantization='round'"):
    objectives.rate_distortion(models.MBT2018Mean(n=8, m=12), config)
