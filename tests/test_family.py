"""The autoencoder family: shapes, losses, gradients and a few training steps each."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from ae.models import build_model
from ae.ops import vae_math
from ae.train import objectives, parallel
from ae.train import step as step_lib
from ae.train.state import create_state, init_params, make_optimizer
from experiments.configs import conv, deep, sparse, vae, vae_gaussian
from tests.conftest import fake_images


def _tiny(module, **model):
  config = module.get_config()
  for k, v in model.items():
    config.model[k] = v
  config.train.learning_rate = 3e-3
  return config


TINY = {
  "deep": lambda: _tiny(deep, hidden_sizes=(32, 16), code_size=4),
  "conv": lambda: _tiny(conv, channels=(4, 8), code_size=4),
  "sparse": lambda: _tiny(sparse, code_size=16),
  "vae": lambda: _tiny(vae, hidden_sizes=(32,), latent_size=3),
  "vae_gaussian": lambda: _tiny(vae_gaussian, hidden_sizes=(32,), latent_size=3),
}


def _train(config, steps=40, shape=(28, 28, 1)):
  mesh = parallel.make_mesh(jax.devices()[:1])
  model = build_model(config.model, shape)
  params = init_params(model, jax.random.PRNGKey(0), shape)
  state = create_state(model.apply, params, make_optimizer(config.train), jax.random.PRNGKey(1))
  fn = step_lib.make_train_fn(
    objectives.build_objective(model, config), mesh, bool(config.train.get("unroll_steps", False))
  )
  images, _ = fake_images(8, 3)
  chunk = np.repeat(images[None, :, :, :, None], steps, axis=0)
  state, metrics = fn(jax.device_put(state, parallel.replicated(mesh)), chunk)
  return model, state, jax.device_get(metrics)


@pytest.mark.parametrize("name", sorted(TINY))
def test_each_model_trains_and_lowers_its_loss(name):
  model, _, metrics = _train(TINY[name](), steps=8 if name == "conv" else 40)
  loss = metrics["loss"]
  assert np.all(np.isfinite(loss))
  assert loss[-3:].mean() < loss[:3].mean(), loss
  if name == "sparse":
    assert {"l1", "kl_sparsity", "mean_activation", "near_zero_fraction"} <= set(metrics)
  if name.startswith("vae"):
    np.testing.assert_allclose(metrics["neg_elbo"], metrics["kl"] + metrics["rec_nll"], rtol=1e-4)
  del model


def test_conv_autoencoder_shapes_any_size():
  config = TINY["conv"]()
  for shape in ((28, 28, 1), (17, 33, 3)):
    model = build_model(config.model, shape)
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((2, *shape)))["params"]
    z = model.apply({"params": params}, jnp.zeros((2, *shape)), method="encode")
    assert z.shape == (2, 4)
    assert model.apply({"params": params}, jnp.zeros((2, *shape))).shape == (2, *shape)
  assert params["encoder"]["conv_0"]["kernel"].shape == (3, 3, 3, 4)
  assert params["decoder"]["output"]["kernel"].shape == (3, 3, 3, 4)  # HWIO: to 3 channels


def test_vae_shapes_and_log_weights():
  model = build_model(TINY["vae"]().model, (28, 28, 1))
  x = jnp.asarray(fake_images(5, 1)[0][..., None] > 127, jnp.float32)
  params = model.init(jax.random.PRNGKey(0), x)["params"]
  mean, logvar = model.apply({"params": params}, x, method="encode")
  assert mean.shape == logvar.shape == (5, 3)
  out = model.apply({"params": params}, mean, method="decode")
  assert out.shape == (5, 28, 28, 1) and bool(jnp.all((out >= 0) & (out <= 1)))
  lw = model.apply(
    {"params": params}, x, 7, method="log_weights", rngs={"sample": jax.random.PRNGKey(2)}
  )
  assert lw.shape == (7, 5)


def test_iwae_bound_grows_with_k_and_k1_is_the_elbo():
  model = build_model(TINY["vae"]().model, (28, 28, 1))
  x = jnp.asarray(fake_images(4, 1)[0][..., None] > 127, jnp.float32)
  params = model.init(jax.random.PRNGKey(0), x)["params"]
  lw = model.apply(
    {"params": params}, x, 4000, method="log_weights", rngs={"sample": jax.random.PRNGKey(5)}
  )  # [4000, 4]
  bounds = [
    float(jnp.mean(vae_math.iwae_bound(lw.reshape(4000 // k, k, 4).transpose(1, 0, 2))))
    for k in (1, 10, 100, 1000)
  ]
  assert all(a <= b + 1e-3 for a, b in zip(bounds, bounds[1:])), bounds
  # k = 1: the mean of log w is the ELBO; with the analytic KL it agrees within MC error.
  terms = jax.vmap(
    lambda k: model.apply({"params": params}, x, method="elbo_terms", rngs={"sample": k})[:2]
  )
  rec_ll, kl = terms(jax.random.split(jax.random.PRNGKey(6), 2000))
  elbo_analytic = float(jnp.mean(rec_ll - kl))
  assert bounds[0] == pytest.approx(elbo_analytic, rel=0.01)


def test_sparse_penalty_gradient_matches_hand_derivation():
  z = jax.random.uniform(jax.random.PRNGKey(0), (6, 5), minval=0.05, maxval=0.95) - 0.2
  rho, l1_w, kl_w = 0.1, 0.3, 0.7
  grad = jax.grad(lambda z: objectives.sparsity_penalty(z, l1_w, kl_w, rho)[0])(z)
  rho_hat = jnp.mean(z, axis=0)
  want = l1_w * jnp.sign(z) / 6 + kl_w * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / 6
  np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-6)


def test_unknown_model_and_objective_are_config_errors():
  from ae.utils.errors import ConfigError

  with pytest.raises(ConfigError, match="unknown model"):
    build_model(ml_collections.ConfigDict({"name": "nope"}), (28, 28, 1))
  config = TINY["deep"]()
  config.objective = "nope"
  with pytest.raises(ConfigError, match="unknown objective"):
    objectives.build_objective(build_model(config.model, (28, 28, 1)), config)
