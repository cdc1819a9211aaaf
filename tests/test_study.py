"""Runs of the family through the runner, the AE-vs-PCA script and the figures, on tiny data."""

import json
import os
import subprocess
import sys

import pytest

from ae.train import parallel
from ae.train.restore import load_trained
from ae.train.runner import train_and_evaluate
from ae.viz import figures
from experiments.configs import sparse, vae_2d
from tests.conftest import make_test_config, set_fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _from(module, fake, **overrides):
  """`module`'s config with the tiny test settings of `make_test_config` on top."""
  tiny = make_test_config(fake)
  config = module.get_config()
  config.data = tiny.data
  for key in (
    "batch_size",
    "num_steps",
    "steps_per_call",
    "log_every_steps",
    "eval_every_steps",
    "checkpoint_every_steps",
  ):
    config.train[key] = tiny.train[key]
  for key in ("eval_batch_size", "num_figure_images", "tensorboard", "progress"):
    config[key] = tiny[key]
  return set_fields(config, **overrides)


def test_vae_run_reports_elbo_and_iwae_and_draws_figures(fake_fashion, tmp_path):
  config = _from(
    vae_2d,
    fake_fashion,
    model__hidden_sizes=(16,),
    eval__iwae_samples=40,
    eval__iwae_chunk=20,
    eval__iwae_batch=8,
    eval__iwae_examples=12,
  )
  results = train_and_evaluate(config, str(tmp_path))
  v = results["vae"]
  assert v["iwae_samples"] == 40 and v["iwae_examples"] == 12
  assert v["neg_elbo"] == pytest.approx(v["kl"] + v["rec_nll"], rel=1e-5)
  # The IWAE bound is tighter than the ELBO: its NLL estimate is not above -ELBO (MC slack).
  assert v["iwae_nll"] <= v["neg_elbo_on_iwae_examples"] + 1.0
  mesh = parallel.make_mesh()
  run = load_trained(str(tmp_path), mesh)
  paths = figures.make_run_figures(run, str(tmp_path), mesh)
  names = sorted(os.path.basename(p) for p in paths)
  assert names == [
    "interpolation.png",
    "latent_2d.png",
    "manifold.png",
    "reconstructions.png",
    "samples.png",
  ]
  first = {p: open(p, "rb").read() for p in paths}
  figures.make_run_figures(load_trained(str(tmp_path), mesh), str(tmp_path), mesh)
  assert all(open(p, "rb").read() == b for p, b in first.items())  # deterministic


def test_sparse_run_reports_activation_statistics(fake_fashion, tmp_path):
  config = _from(sparse, fake_fashion, model__code_size=16)
  s = train_and_evaluate(config, str(tmp_path))["sparse"]
  assert 0 < s["mean_activation"] < 1
  # A dead unit's entries are all near zero, so the entry fraction bounds the unit fraction.
  assert 0 <= s["dead_unit_fraction"] <= s["near_zero_fraction"] <= 1


def test_ae_vs_pca_script_end_to_end(fake_fashion, tmp_path):
  manual_dir, data_dir, _ = fake_fashion
  sets = [
    "train.num_steps=4",
    "train.steps_per_call=2",
    "train.log_every_steps=2",
    "train.eval_every_steps=0",
    "train.checkpoint_every_steps=2",
    "train.batch_size=8",
    "progress=False",
    "tensorboard=False",
    f"data.manual_dir={manual_dir}",
    f"data.data_dir={data_dir}",
    "data.download=False",
    "model.channels=(4, 8)",
  ]
  cmd = [
    sys.executable,
    "scripts/ae_vs_pca.py",
    f"--workdir={tmp_path}",
    "--code_sizes=2,4",
    "--models=conv",
  ] + [f"--set={s}" for s in sets]
  out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  table = json.loads((tmp_path / "ae_vs_pca.json").read_text())
  assert table["code_sizes"] == [2, 4] and set(table) == {"code_sizes", "pca", "conv"}
  assert table["pca"]["4"]["mse"] < table["pca"]["2"]["mse"]
  assert "| 2 |" in (tmp_path / "ae_vs_pca.md").read_text()
  assert (tmp_path / "ae_vs_pca.png").stat().st_size > 1000
  assert (tmp_path / "conv_k4" / "results.json").exists()


def test_overrides_parse_literals_and_fill_tuple_fields():
  from ae.utils.config_utils import apply_overrides
  from ae.utils.errors import ConfigError
  from experiments.configs import conv

  config = apply_overrides(
    conv.get_config(),
    ["model.hidden_sizes=256", "model.channels=8,16", "train.learning_rate=1", "model.code_size=4"],
  )
  assert config.model.hidden_sizes == (256,) and config.model.channels == (8, 16)
  assert config.train.learning_rate == 1.0 and isinstance(config.train.learning_rate, float)
  assert config.model.code_size == 4
  with pytest.raises(ConfigError, match="no config field"):
    apply_overrides(config, ["model.nope=1"])
  with pytest.raises(ConfigError, match="does not fit"):
    apply_overrides(config, ["model.code_size=abc"])
