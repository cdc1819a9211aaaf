import jax
import jax.numpy as jnp
import ml_collections

from ae.models import Autoencoder, build_model


def _shapes(tree):
  return jax.tree.map(lambda x: x.shape, tree)


def test_seed_autoencoder_is_784_256_784():
  model = Autoencoder(output_shape=(28, 28, 1), code_size=256)
  x = jnp.zeros((3, 28, 28, 1))
  params = model.init(jax.random.PRNGKey(0), x)["params"]
  assert _shapes(params) == {
    "encoder": {"code": {"kernel": (784, 256), "bias": (256,)}},
    "decoder": {"output": {"kernel": (256, 784), "bias": (784,)}},
  }
  z = model.apply({"params": params}, x, method=Autoencoder.encode)
  assert z.shape == (3, 256) and bool(jnp.all(z >= 0))  # ReLU code
  y = model.apply({"params": params}, x)
  assert y.shape == (3, 28, 28, 1)
  assert bool(jnp.all((y > 0) & (y < 1)))  # sigmoid output
  assert model.apply({"params": params}, z, method=Autoencoder.decode).shape == (3, 28, 28, 1)


def test_deep_dense_mirrors_hidden_widths():
  cfg = ml_collections.ConfigDict(
    dict(name="dense", hidden_sizes=(64, 32), code_size=4, code_activation="linear")
  )
  model = build_model(cfg, (8, 8, 3))
  params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 3)))["params"]
  enc, dec = _shapes(params["encoder"]), _shapes(params["decoder"])
  assert [enc[k]["kernel"] for k in ("hidden_0", "hidden_1", "code")] == [
    (192, 64),
    (64, 32),
    (32, 4),
  ]
  assert [dec[k]["kernel"] for k in ("hidden_0", "hidden_1", "output")] == [
    (4, 32),
    (32, 64),
    (64, 192),
  ]
  assert model.apply({"params": params}, jnp.zeros((2, 8, 8, 3))).shape == (2, 8, 8, 3)
