"""Several JAX processes on this machine (gloo collectives on CPU), as a user launches them:
`python -m experiments.train ... --coordinator_address=localhost:PORT --num_processes=2
--process_id=I`, 2 processes x 2 fake CPU devices against 1 process x 4 devices."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from ae.train.restore import load_trained

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 8


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _argv(fake, workdir, steps=STEPS, *extra):
  manual_dir, data_dir, _ = fake
  return [
    sys.executable,
    "-m",
    "experiments.train",
    "--config=experiments/configs/seed.py",
    f"--workdir={workdir}",
    f"--config.data.manual_dir={manual_dir}",
    f"--config.data.data_dir={data_dir}",
    "--config.data.download=false",
    f"--config.train.num_steps={steps}",
    "--config.train.steps_per_call=2",
    "--config.train.batch_size=8",
    "--config.train.log_every_steps=2",
    "--config.train.checkpoint_every_steps=4",
    "--config.train.eval_every_steps=0",
    "--config.model.code_size=4",
    "--config.progress=false",
    "--config.tensorboard=false",
    *extra,
  ]


def _env(devices: int) -> dict:
  env = dict(os.environ, JAX_PLATFORMS="cpu")
  env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  return env


def _launch(fake, workdir, processes: int, steps=STEPS, extra=()):
  """Popen of each process of a run on `4 // processes` devices each."""
  port = _free_port()
  flags = lambda i: (
    [f"--coordinator_address=localhost:{port}", f"--num_processes={processes}"]
    + [f"--process_id={i}"]
    if processes > 1
    else []
  )
  return [
    subprocess.Popen(
      _argv(fake, workdir, steps, *flags(i), *extra),
      cwd=ROOT,
      env=_env(4 // processes),
      stdout=subprocess.DEVNULL,
      stderr=subprocess.PIPE,
      text=True,
    )
    for i in range(processes)
  ]


def _run(fake, workdir, processes: int, steps=STEPS) -> None:
  procs = _launch(fake, workdir, processes, steps)
  for p in procs:
    _, err = p.communicate(timeout=240)
    assert p.returncode == 0, err[-3000:]


def _losses(workdir) -> np.ndarray:
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  return np.array([r["loss"] for r in rows if r["split"] == "train"])


def _params(workdir):
  return jax.tree.leaves(jax.device_get(load_trained(str(workdir)).params))


def _close(a, b) -> None:
  for x, y in zip(_params(a), _params(b)):
    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def runs(fake_fashion, tmp_path_factory):
  """(fake data, 1 process x 4 devices run, 2 processes x 2 devices run), 8 steps each."""
  root = tmp_path_factory.mktemp("multiprocess")
  one, two = root / "one", root / "two"
  _run(fake_fashion, one, 1)  # first: prepares the TFDS data the two processes then share
  _run(fake_fashion, two, 2)
  return fake_fashion, one, two


def test_two_processes_train_as_one(runs):
  _, one, two = runs
  np.testing.assert_allclose(_losses(two), _losses(one), rtol=1e-5)
  assert len(_losses(two)) == STEPS // 2  # process 0 alone wrote metrics, once per row
  _close(one, two)


@pytest.mark.parametrize("writer,reader", [(2, 1), (1, 2)])
def test_a_checkpoint_resumes_under_the_other_process_count(runs, tmp_path, writer, reader):
  fake, one, two = runs
  resumed = tmp_path / "resumed"
  shutil.copytree(two if writer == 2 else one, resumed)
  shutil.rmtree(resumed / "checkpoints" / str(STEPS))  # back to step 4
  shutil.rmtree(resumed / "heartbeats", ignore_errors=True)
  _run(fake, resumed, reader)
  _close(one, resumed)


def test_a_dead_process_stops_the_other_with_one_line(runs, tmp_path):
  fake = runs[0]
  procs = _launch(fake, tmp_path / "dead", 2, steps=100000, extra=("--heartbeat_timeout=4",))
  try:
    deadline = time.time() + 120
    while not os.path.exists(tmp_path / "dead" / "metrics.jsonl"):
      assert time.time() < deadline and procs[0].poll() is None, "the run did not start"
      time.sleep(0.5)
    procs[1].kill()
    start = time.time()
    _, err = procs[0].communicate(timeout=60)
    assert time.time() - start < 30
  finally:
    for p in procs:
      p.kill()
  assert procs[0].returncode == 1
  assert err.strip().splitlines()[-1] == (
    "error: process 1 of 2 stopped (4 s without a heartbeat); stopping process 0"
  )
