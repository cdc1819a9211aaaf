"""The absl entrypoint as a user runs it: `python -m experiments.train ...`."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args):
  cmd = [sys.executable, "-m", "experiments.train", "--config=experiments/configs/seed.py", *args]
  return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_end_to_end_tiny_run(fake_fashion, tmp_path):
  manual_dir, data_dir, _ = fake_fashion
  wd = tmp_path / "run"
  out = _run(
    f"--workdir={wd}",
    f"--config.data.manual_dir={manual_dir}",
    f"--config.data.data_dir={data_dir}",
    "--config.train.num_steps=4",
    "--config.train.steps_per_call=2",
    "--config.train.batch_size=8",
    "--config.train.log_every_steps=2",
    "--config.train.checkpoint_every_steps=2",
    "--config.train.eval_every_steps=0",
    "--config.model.code_size=4",
    "--config.progress=false",
  )
  assert out.returncode == 0, out.stderr[-2000:]
  assert "step 4: test MSE" in out.stdout and "exact PCA, k=4" in out.stdout
  assert json.loads((wd / "config.json").read_text())["model"]["code_size"] == 4
  assert (wd / "tensorboard").is_dir() and any((wd / "tensorboard").iterdir())


def test_missing_dataset_is_one_line_and_nonzero(tmp_path):
  out = _run(
    f"--workdir={tmp_path / 'run'}",
    f"--config.data.manual_dir={tmp_path / 'none'}",
    f"--config.data.data_dir={tmp_path / 'tfds'}",
    "--config.data.download=false",
  )
  assert out.returncode == 1
  assert "Traceback" not in out.stderr
  last = out.stderr.strip().splitlines()[-1]
  assert last.startswith("error: dataset 'fashion_mnist'") and "apt-get install" in last
