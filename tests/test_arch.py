"""One definition per codec architecture: the linen modules and the numpy program are both
built from `ae.compression.arch`, and the declared latent shapes are the model's."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from ae.codec.transforms import Program
from ae.compression import arch as arch_lib
from ae.models import build_model
from ae.utils.errors import ConfigError

SPECS = {
  "dense_codec": {"name": "dense_codec", "hidden_sizes": (16,), "latent_size": 6},
  "bls2017": {"name": "bls2017", "n": 8, "m": 12},
  "bmshj2018": {"name": "bmshj2018", "n": 8, "m": 12},
  "mbt2018_mean": {"name": "mbt2018_mean", "n": 8, "m": 12},
  "ms2020": {"name": "ms2020", "n": 8, "m": 12, "slices": 3},
  "he2021": {"name": "he2021", "n": 8, "m": 12},
}


def _model_and_params(name, shape):
  model = build_model(ml_collections.ConfigDict(SPECS[name]), shape)
  init = jax.jit(lambda k: model.init(k, jnp.zeros((1, *shape))))
  return model, init(jax.random.PRNGKey(0))["params"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_parameters_are_exactly_the_declared_layers(name):
  shape = (28, 28, 1) if name == "dense_codec" else (32, 48, 3)
  arch = arch_lib.architecture(SPECS[name], shape)
  _, params = _model_and_params(name, shape)
  declared = set()
  for t in (arch.g_a, arch.g_s, arch.h_a, arch.h_s, *arch.y_nets):
    if t is not None:
      declared |= {(t.scope, layer.name) for layer in t.layers if layer.name}
  found = set()
  for scope, sub in params.items():
    if scope.startswith("entropy_"):
      continue
    found |= {("", scope)} if "kernel" in sub else {(scope, k) for k in sub}
  assert found == declared
  assert {lat.module for lat in arch.latents if lat.module} == {
    k for k in params if k.startswith("entropy_")
  }


@pytest.mark.parametrize("name", ["bls2017", "bmshj2018", "mbt2018_mean", "ms2020", "he2021"])
@pytest.mark.parametrize("h,w", [(32, 48), (17, 70), (1, 1)])
def test_declared_latent_shapes_are_the_models(name, h, w):
  model, params = _model_and_params(name, (32, 48, 3))
  lat = jax.eval_shape(
    lambda x: model.apply({"params": params}, x, method="latents"), jnp.zeros((1, h, w, 3))
  )
  shapes = arch_lib.architecture(SPECS[name], (32, 48, 3)).latent_shapes(h, w)
  assert list(shapes) == (["z", "y"] if "z" in lat else ["y"])  # stream order
  for key, shape in shapes.items():
    assert lat[key][0].shape[1:] == shape


def test_the_numpy_encoder_runs_the_same_layers_as_the_module():
  model, params = _model_and_params("mbt2018_mean", (32, 48, 3))
  x = np.random.default_rng(0).uniform(0, 1, (32, 48, 3)).astype(np.float32)
  lat = model.apply({"params": params}, jnp.asarray(x[None]), method="latents")
  program = Program(arch_lib.architecture(SPECS["mbt2018_mean"], (32, 48, 3)), params)
  y = program.analysis(x)
  np.testing.assert_allclose(y, np.asarray(lat["y"][0][0]), rtol=1e-4, atol=1e-5)
  z = program.hyper_analysis(y)
  np.testing.assert_allclose(z, np.asarray(lat["z"][0][0]), rtol=1e-3, atol=1e-4)


def test_an_unknown_architecture_is_a_config_error():
  with pytest.raises(ConfigError, match="choose from"):
    arch_lib.architecture({"name": "cheng2020"}, (32, 32, 3))
