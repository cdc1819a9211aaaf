"""Codec models train through the shared step; export freezes them deterministically."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.codec import export
from ae.train.restore import load_trained
from ae.train.runner import train_and_evaluate
from ae.utils.errors import UserError
from experiments.configs import dense_codec, hyperprior
from tests.conftest import make_test_config
from tests.test_family import _train


def _codec_config(name):
  config = (dense_codec if name == "dense_codec" else hyperprior).get_config()
  config.model.name = name
  if name == "dense_codec":
    config.model.hidden_sizes, config.model.latent_size = (32,), 8
  else:
    config.model.n, config.model.m = 8, 12
  config.train.learning_rate = 3e-3
  return config


@pytest.mark.parametrize("name", ["dense_codec", "bls2017", "bmshj2018", "mbt2018_mean"])
def test_each_codec_trains_and_lowers_its_loss(name):
  _, _, m = _train(_codec_config(name), steps=30 if name == "dense_codec" else 6)
  assert np.all(np.isfinite(m["loss"]))
  assert m["loss"][-2:].mean() < m["loss"][:2].mean(), m["loss"]
  latents = {"bpp_y", "bpp_z"} if name.startswith(("bmshj", "mbt")) else {"bpp_y"}
  assert latents | {"bpp", "mse", "psnr", "aux_loss", "bpp_rounded", "rate_gap"} <= set(m)
  np.testing.assert_allclose(m["bpp"], sum(m[k] for k in latents), rtol=1e-5)
  np.testing.assert_allclose(m["rate_gap"], m["bpp"] - m["bpp_rounded"], rtol=1e-4, atol=1e-6)


def test_aux_loss_trains_the_quantiles():
  _, state, m = _train(_codec_config("dense_codec"), steps=60)
  assert m["aux_loss"][-1] < m["aux_loss"][0]
  qt = np.asarray(state.params["entropy_y"]["quantiles"])[:, 0, :]
  assert np.all(qt[:, 0] < qt[:, 1]) and np.all(qt[:, 1] < qt[:, 2])


def test_aux_learning_rate_moves_only_the_quantiles_faster():
  import ml_collections  # pylint: disable=g-import-not-at-top

  from ae.train.state import make_optimizer  # pylint: disable=g-import-not-at-top

  params = {
    "entropy_y": {"quantiles": jnp.zeros((2, 1, 3)), "matrix_0": jnp.zeros(3)},
    "conv": {"kernel": jnp.zeros(4)},
  }
  grads = jax.tree.map(jnp.ones_like, params)
  for aux, expected in ((0.0, 1e-4), (1e-2, 1e-2)):
    tx = make_optimizer(
      ml_collections.ConfigDict({"learning_rate": 1e-4, "aux_learning_rate": aux})
    )
    updates, _ = tx.update(grads, tx.init(params), params)
    np.testing.assert_allclose(updates["entropy_y"]["quantiles"], -expected, rtol=1e-3)
    np.testing.assert_allclose(updates["entropy_y"]["matrix_0"], -1e-4, rtol=1e-3)
    np.testing.assert_allclose(updates["conv"]["kernel"], -1e-4, rtol=1e-3)


@pytest.fixture(scope="module")
def trained_codec(fake_fashion, tmp_path_factory):
  wd = tmp_path_factory.mktemp("codec")
  config = make_test_config(fake_fashion)
  base = dense_codec.get_config()
  config.model, config.objective, config.rd, config.pca_baseline = (
    base.model,
    base.objective,
    base.rd,
    False,
  )
  config.model.hidden_sizes, config.model.latent_size = (32,), 8
  results = train_and_evaluate(config, str(wd))
  return str(wd), results


def test_export_is_deterministic_and_tables_match_the_estimate(trained_codec, tmp_path):
  wd, results = trained_codec
  run = load_trained(wd)
  a = export.export_codec(run.config, run.params, run.test_set.image_shape, run.step)
  b = export.export_codec(run.config, load_trained(wd).params, run.test_set.image_shape, run.step)
  assert a == b
  digest = export.write_once(str(tmp_path / "c.aec"), a)
  assert export.write_once(str(tmp_path / "c.aec"), a) == digest  # same bytes: fine
  codec = export.load_codec(str(tmp_path / "c.aec"))
  assert codec.sha256 == digest and codec.meta["step"] == run.step
  table_eval = export.evaluate_codec(codec, run.test_set.images)
  est = results["rate_distortion"]["bpp"]
  assert table_eval["bpp"] == pytest.approx(est, rel=0.01)
  # The exported parameters reproduce the run's reconstructions exactly.
  x = jnp.asarray(run.test_set.images[:4], jnp.float32) / 255
  np.testing.assert_array_equal(
    codec.model.apply({"params": codec.params}, x), run.model.apply({"params": run.params}, x)
  )


def test_half_precision_export_is_smaller_and_round_trips(trained_codec, tmp_path):
  wd, results = trained_codec
  run = load_trained(wd)
  full = export.export_codec(run.config, run.params, run.test_set.image_shape, run.step)
  half = export.export_codec(run.config, run.params, run.test_set.image_shape, run.step, "float16")
  assert len(half) < 0.6 * len(full)
  (tmp_path / "h.aec").write_bytes(half)
  codec = export.load_codec(str(tmp_path / "h.aec"))
  leaves = jax.tree.leaves(codec.params)
  assert all(a.dtype == np.float32 for a in leaves)
  rounded = jax.tree.map(lambda a: np.asarray(a).astype(np.float16).astype(np.float32), run.params)
  jax.tree.map(np.testing.assert_array_equal, codec.params, rounded)
  assert export.evaluate_codec(codec, run.test_set.images)["bpp"] == pytest.approx(
    results["rate_distortion"]["bpp"], rel=0.02
  )
  from ae.codec import api, registry  # pylint: disable=g-import-not-at-top

  loaded = registry.load(str(tmp_path / "h.aec"))
  image = run.test_set.images[0, ..., 0]
  data, predicted = api.encode_and_predict(image, loaded)
  np.testing.assert_array_equal(api.decode(data, loaded), predicted)


def test_codec_files_are_immutable_and_checked(trained_codec, tmp_path):
  path = str(tmp_path / "c.aec")
  export.write_once(path, b"first")
  with pytest.raises(UserError, match="immutable"):
    export.write_once(path, b"second")
  with pytest.raises(UserError, match="not"):
    export.load_codec(path)
  from flax import serialization

  (tmp_path / "v9.aec").write_bytes(
    serialization.msgpack_serialize({"format": "ae-codec", "version": 9})
  )
  with pytest.raises(UserError, match="version 9"):
    export.load_codec(str(tmp_path / "v9.aec"))


def test_a_run_can_start_from_an_exported_codec_file(trained_codec, fake_fashion, tmp_path):
  wd, _ = trained_codec
  run = load_trained(wd)
  path = str(tmp_path / "c.aec")
  export.write_once(
    path, export.export_codec(run.config, run.params, run.test_set.image_shape, run.step, "float16")
  )
  tuned = run.config.copy_and_resolve_references()
  tuned.train.num_steps, tuned.train.num_epochs, tuned.train.learning_rate = 2, 0, 0.0
  tuned.train.log_every_steps = tuned.train.eval_every_steps = (
    tuned.train.checkpoint_every_steps
  ) = 2
  tuned.train.init_from = path
  train_and_evaluate(tuned, str(tmp_path / "tuned"))
  # Adam with a zero rate keeps the codec's (float16-rounded) parameters.
  jax.tree.map(
    np.testing.assert_array_equal,
    load_trained(str(tmp_path / "tuned")).params,
    export.load_codec(path).params,
  )
