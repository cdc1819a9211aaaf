import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ae.models import build_model
from ae.train import objectives, parallel
from ae.train import step as step_lib
from ae.train.checkpoint import Checkpointer
from ae.train.runner import train_and_evaluate
from ae.train.state import create_state
from ae.train.writer import read_metrics
from ae.utils.errors import ConfigError, NonFiniteLossError, UserError
from tests.conftest import fake_images, make_test_config

# Timing fields differ between identical runs; everything else must not.
TIMING = {"images_per_sec"}


def _setup(fake, mesh, **overrides):
  config = make_test_config(fake, **overrides)
  model = build_model(config.model, (28, 28, 1))
  params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 28, 28, 1)))["params"]
  state = create_state(model.apply, params, optax.adam(1e-2), jax.random.PRNGKey(1))
  state = jax.device_put(state, parallel.replicated(mesh))
  fn = step_lib.make_train_fn(objectives.build_objective(model, config), mesh)
  return state, fn


def _chunk(k, batch=8):
  images, _ = fake_images(k * batch, 5)
  return images.reshape(k, batch, 28, 28, 1)


def test_four_fake_devices_are_present():
  assert jax.device_count() == 4


def test_a_few_steps_lower_the_loss(fake_fashion):
  mesh = parallel.make_mesh()
  state, fn = _setup(fake_fashion, mesh)
  chunk = jnp.asarray(np.repeat(_chunk(1), 30, axis=0))  # the same batch 30 times
  state, metrics = fn(state, chunk)
  loss = np.asarray(metrics["loss"])
  assert loss.shape == (30,) and loss[-1] < 0.7 * loss[0] and loss[-5:].max() < loss[:5].min()
  assert set(metrics) == {"loss", "mse", "psnr", "grad_norm", "param_norm"}
  assert int(state.step) == 30


@pytest.mark.parametrize("k,unroll", [(1, False), (3, False), (3, True)])
def test_a_chunk_is_its_steps_one_by_one_with_the_norms_of_the_last(fake_fashion, k, unroll):
  mesh = parallel.make_mesh(jax.devices()[:1])
  config = make_test_config(fake_fashion)
  model = build_model(config.model, (28, 28, 1))
  loss_fn = objectives.build_objective(model, config)
  params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 28, 28, 1)))["params"]
  fresh = lambda: create_state(  # a copy: the train function donates its state
    model.apply, jax.tree.map(jnp.copy, params), optax.adam(1e-2), jax.random.PRNGKey(1)
  )
  chunk = jnp.asarray(_chunk(k))
  state, metrics = step_lib.make_train_fn(loss_fn, mesh, unroll)(fresh(), chunk)
  one = jax.jit(lambda s, x: step_lib.train_step(s, x, loss_fn))
  ref, rows = fresh(), []
  for i in range(k):
    ref, m = one(ref, chunk[i])
    rows.append(jax.device_get(m))
  assert metrics["loss"].shape == (k,) and metrics["grad_norm"].shape == (1,)
  np.testing.assert_allclose(metrics["loss"], [r["loss"] for r in rows], rtol=1e-5)
  for name in ("grad_norm", "param_norm"):
    np.testing.assert_allclose(metrics[name], [rows[-1][name]], rtol=1e-5)
  jax.tree.map(
    lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
    jax.device_get(state.params),
    jax.device_get(ref.params),
  )


def test_a_logged_norm_is_the_mean_of_its_chunks_last_steps(fake_fashion, tmp_path):
  """Rows over two chunks (log every 4 steps, 2 per call) average the two chunk-end
  norms that rows over one chunk each (log every 2) report, and the losses of 4 steps."""
  rows = {}
  for every in (2, 4):
    config = make_test_config(fake_fashion, train__log_every_steps=every)
    train_and_evaluate(config, str(tmp_path / str(every)))
    rows[every] = [r for r in read_metrics(str(tmp_path / str(every)), "train")]
  assert [r["step"] for r in rows[4]] == [4, 8] and [r["step"] for r in rows[2]] == [2, 4, 6, 8]
  for i, row in enumerate(rows[4]):
    pair = rows[2][2 * i : 2 * i + 2]
    for name in ("grad_norm", "param_norm", "loss"):
      assert row[name] == pytest.approx((pair[0][name] + pair[1][name]) / 2, rel=1e-6)


def test_sharded_step_matches_one_device(fake_fashion):
  chunk = _chunk(3)
  results = []
  for devices in (jax.devices()[:1], jax.devices()):
    mesh = parallel.make_mesh(devices)
    state, fn = _setup(fake_fashion, mesh)
    batch = jax.device_put(chunk, parallel.batch_sharding(mesh, 1))
    state, metrics = fn(state, batch)
    results.append((np.asarray(metrics["loss"]), jax.device_get(state.params)))
  np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-5)
  jax.tree.map(
    lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5), results[0][1], results[1][1]
  )


def _params(workdir, like_config, fake):
  state, _ = _setup(fake, parallel.make_mesh())
  ckpt = Checkpointer(str(workdir / "checkpoints"))
  restored = ckpt.restore(ckpt.latest_step(), state)
  ckpt.close()
  return jax.device_get(restored.params)


def _metrics(workdir):
  return [{k: v for k, v in row.items() if k not in TIMING} for row in read_metrics(str(workdir))]


def test_two_runs_are_bit_identical(fake_fashion, tmp_path):
  config = make_test_config(fake_fashion)
  a = train_and_evaluate(config, str(tmp_path / "a"))
  b = train_and_evaluate(config, str(tmp_path / "b"))
  assert a == b
  assert _metrics(tmp_path / "a") == _metrics(tmp_path / "b")
  pa, pb = (
    _params(tmp_path / "a", config, fake_fashion),
    _params(tmp_path / "b", config, fake_fashion),
  )
  jax.tree.map(np.testing.assert_array_equal, pa, pb)
  assert (tmp_path / "a" / "reconstructions.png").read_bytes() == (
    tmp_path / "b" / "reconstructions.png"
  ).read_bytes()


def test_resumed_run_ends_where_an_uninterrupted_one_does(fake_fashion, tmp_path):
  config = make_test_config(fake_fashion, train__num_steps=12)
  full = train_and_evaluate(config, str(tmp_path / "full"))
  part = train_and_evaluate(config, str(tmp_path / "resumed"), stop_at_step=6)
  assert part == {"step": 6}
  assert Checkpointer(str(tmp_path / "resumed" / "checkpoints")).all_steps() == [4, 6]
  resumed = train_and_evaluate(config, str(tmp_path / "resumed"))
  assert resumed == full
  jax.tree.map(
    np.testing.assert_array_equal,
    _params(tmp_path / "full", config, fake_fashion),
    _params(tmp_path / "resumed", config, fake_fashion),
  )
  assert _metrics(tmp_path / "full") == _metrics(tmp_path / "resumed")


def test_an_input_error_while_a_chunk_trains_waits_for_its_checkpoint(
  fake_fashion, tmp_path, monkeypatch
):
  """The next chunk is gathered while the current one trains: when gathering it fails,
  the step the current chunk reached is still checkpointed before the error stops the run."""
  from ae.train import runner

  config = make_test_config(fake_fashion, train__num_steps=12)
  take, taken = runner.stream.take, []

  def failing_take(it, k):
    if sum(taken) >= 4:  # the batches of steps 4.. (checkpoints every 4 steps)
      raise OSError("disk gone")
    taken.append(k)
    return take(it, k)

  monkeypatch.setattr(runner.stream, "take", failing_take)
  with pytest.raises(OSError, match="disk gone"):
    train_and_evaluate(config, str(tmp_path))
  assert sum(taken) == 4
  assert Checkpointer(str(tmp_path / "checkpoints")).all_steps() == [4]


def test_init_from_starts_from_another_runs_parameters(fake_fashion, tmp_path):
  base = make_test_config(fake_fashion)
  train_and_evaluate(base, str(tmp_path / "base"))
  tuned = make_test_config(
    fake_fashion,
    train__num_steps=4,
    train__learning_rate=0.0,
    train__init_from=str(tmp_path / "base"),
  )
  train_and_evaluate(tuned, str(tmp_path / "tuned"))
  # Adam with a zero rate leaves the copied parameters untouched.
  jax.tree.map(
    np.testing.assert_array_equal,
    _params(tmp_path / "base", base, fake_fashion),
    _params(tmp_path / "tuned", tuned, fake_fashion),
  )
  other = make_test_config(
    fake_fashion, model__code_size=4, train__init_from=str(tmp_path / "base")
  )
  with pytest.raises(UserError, match="do not fit"):
    train_and_evaluate(other, str(tmp_path / "other"))
  assert not (tmp_path / "other").exists()  # nothing written for a bad start
  (tmp_path / "notes.txt").write_text("not a codec")
  not_codec = make_test_config(fake_fashion, train__init_from=str(tmp_path / "notes.txt"))
  with pytest.raises(UserError, match="not a readable codec file"):
    train_and_evaluate(not_codec, str(tmp_path / "bad_file"))
  assert not (tmp_path / "bad_file").exists()
  missing = make_test_config(fake_fashion, train__init_from=str(tmp_path / "missing"))
  with pytest.raises(UserError, match="neither a workdir with a checkpoint nor a codec"):
    train_and_evaluate(missing, str(tmp_path / "nothing"))
  assert not (tmp_path / "nothing").exists()  # nothing written for a bad start


def test_a_bad_model_field_is_a_config_error_before_the_workdir_is_written(fake_fashion, tmp_path):
  config = make_test_config(fake_fashion, model__hidden_sizes=("abc",))
  with pytest.raises(ConfigError, match="wrong type"):
    train_and_evaluate(config, str(tmp_path / "run"))
  assert not (tmp_path / "run").exists()


def test_workdir_layout_and_results(fake_fashion, tmp_path):
  config = make_test_config(fake_fashion)
  results = train_and_evaluate(config, str(tmp_path))
  for name in ("config.json", "metrics.jsonl", "results.json", "reconstructions.png"):
    assert (tmp_path / name).exists(), name
  assert results["step"] == 8
  assert results["pca"]["k"] == 8 and results["pca"]["mse_clipped"] <= results["pca"]["mse"]
  assert 0 < results["test"]["mse"] < 0.1
  splits = [(r["step"], r["split"]) for r in read_metrics(str(tmp_path))]
  assert splits == [
    (2, "train"),
    (4, "train"),
    (4, "test"),
    (6, "train"),
    (8, "train"),
    (8, "test"),
  ]
  # Rerunning a finished run re-evaluates it: same results, no duplicated rows.
  assert train_and_evaluate(config, str(tmp_path)) == results
  assert [(r["step"], r["split"]) for r in read_metrics(str(tmp_path))] == splits


def test_other_config_in_same_workdir_is_refused(fake_fashion, tmp_path):
  train_and_evaluate(make_test_config(fake_fashion, train__num_steps=2), str(tmp_path))
  with pytest.raises(ConfigError, match="another config"):
    train_and_evaluate(
      make_test_config(fake_fashion, train__num_steps=4, model__code_size=4), str(tmp_path)
    )


def test_options_added_later_with_neutral_defaults_still_resume():
  from ae.train.workdir import _diff  # pylint: disable=g-import-not-at-top

  stored = {"train": {"learning_rate": 1e-3}}
  assert (
    _diff(stored, {"train": {"learning_rate": 1e-3, "init_from": "", "aux_learning_rate": 0.0}})
    == []
  )
  assert _diff(stored, {"train": {"learning_rate": 1e-3, "aux_learning_rate": 1e-2}}) == [
    "train.aux_learning_rate: None -> 0.01"
  ]
  codec = {"rd": {"lmbda": 0.01}}  # a codec run from before rd.quantization existed
  assert _diff(codec, {"rd": {"lmbda": 0.01, "quantization": "noise"}}) == []
  assert _diff(codec, {"rd": {"lmbda": 0.01, "quantization": "mixed"}}) == [
    "rd.quantization: None -> 'mixed'"
  ]


def test_periods_must_align_with_fused_steps(fake_fashion, tmp_path):
  with pytest.raises(ConfigError, match="multiple of train.steps_per_call"):
    train_and_evaluate(make_test_config(fake_fashion, train__log_every_steps=3), str(tmp_path))


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(fake_fashion, tmp_path, monkeypatch):
  config = make_test_config(fake_fashion)
  train_and_evaluate(config, str(tmp_path), stop_at_step=4)

  def exploding(model, cfg):
    loss_fn = objectives.reconstruction(model, cfg)
    return lambda p, x, r: (lambda out: (out[0] * jnp.nan, out[1]))(loss_fn(p, x, r))

  monkeypatch.setitem(objectives.OBJECTIVES, "reconstruction", objectives.Objective(exploding))
  with pytest.raises(NonFiniteLossError, match=r"nan at step 5.*last good checkpoint: step 4"):
    train_and_evaluate(config, str(tmp_path))
  assert Checkpointer(str(tmp_path / "checkpoints")).all_steps() == [4]


def test_bfloat16_compute_trains_float32_parameters(fake_fashion, tmp_path):
  """Mixed precision: the step runs in bfloat16, the parameters stay float32, and the
  loss lands near the float32 run's."""
  from ae.train.restore import load_trained  # pylint: disable=g-import-not-at-top

  losses = {}
  for dtype in ("", "bfloat16"):
    wd = str(tmp_path / (dtype or "float32"))
    cfg = make_test_config(fake_fashion, train__compute_dtype=dtype, train__profile_steps=2)
    train_and_evaluate(cfg, wd)
    rows = read_metrics(wd)
    losses[dtype] = np.array([r["loss"] for r in rows if r["split"] == "train"])
    assert all(p.dtype == np.float32 for p in jax.tree.leaves(load_trained(wd).params))
    assert os.path.isdir(os.path.join(wd, "profile"))
  assert not np.array_equal(losses[""], losses["bfloat16"])
  np.testing.assert_allclose(losses["bfloat16"], losses[""], rtol=0.05)
