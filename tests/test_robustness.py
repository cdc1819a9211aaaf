"""Shared workdirs, broken checkpoints and diverging runs: one line, nothing lost."""

import json
import os
import socket
import subprocess

import numpy as np
import pytest

from ae.train.checkpoint import Checkpointer
from ae.train.divergence import DivergedError, DivergenceWatch
from ae.train.lock import WorkdirBusyError, WorkdirLock
from ae.train.runner import train_and_evaluate
from ae.train.writer import read_metrics
from tests.conftest import make_test_config


def test_a_second_run_on_a_locked_workdir_stops_with_one_line(fake_fashion, tmp_path):
  config = make_test_config(fake_fashion)
  with WorkdirLock(str(tmp_path)):
    with pytest.raises(WorkdirBusyError, match=f"in use by pid {os.getpid()} on "):
      train_and_evaluate(config, str(tmp_path))
  assert not (tmp_path / "metrics.jsonl").exists() and not (tmp_path / "config.json").exists()
  train_and_evaluate(config, str(tmp_path))  # released: the run goes ahead
  assert not (tmp_path / ".lock").exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(fake_fashion, tmp_path):
  dead = subprocess.Popen(["true"])
  dead.wait()
  (tmp_path / ".lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
  train_and_evaluate(make_test_config(fake_fashion), str(tmp_path))
  assert not (tmp_path / ".lock").exists()
  (tmp_path / ".lock").write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
  with pytest.raises(WorkdirBusyError, match="on elsewhere"):  # cannot be checked from here
    train_and_evaluate(make_test_config(fake_fashion), str(tmp_path))


def _truncate_one_file(folder):
  files = [
    os.path.join(d, f)
    for d, _, fs in os.walk(folder)
    for f in fs
    if os.path.getsize(os.path.join(d, f)) > 16
  ]
  biggest = max(files, key=os.path.getsize)
  with open(biggest, "r+b") as f:
    f.truncate(os.path.getsize(biggest) // 2)


def test_resume_falls_back_past_a_corrupted_newest_checkpoint(fake_fashion, tmp_path, capfd):
  config = make_test_config(fake_fashion)
  reference = train_and_evaluate(config, str(tmp_path / "ref"))
  train_and_evaluate(config, str(tmp_path / "run"), stop_at_step=6)
  ckpts = tmp_path / "run" / "checkpoints"
  assert Checkpointer(str(ckpts)).all_steps() == [4, 6]  # test config keeps two
  _truncate_one_file(ckpts / "6")
  results = train_and_evaluate(config, str(tmp_path / "run"))
  err = capfd.readouterr().err
  assert "checkpoint 6 does not restore" in err and "resumed from checkpoint 4" in err
  assert (tmp_path / "run" / "checkpoints.broken" / "6").is_dir()  # kept aside, not deleted
  assert results["test"] == reference["test"]  # bit-identical to an uninterrupted run
  steps = [(r["step"], r["split"]) for r in read_metrics(str(tmp_path / "run"))]
  assert len(steps) == len(set(steps))  # no duplicated metrics rows


def test_a_huge_learning_rate_stops_the_run(fake_fashion, tmp_path):
  config = make_test_config(fake_fashion, train__learning_rate=1e16)
  with pytest.raises(DivergedError, match="parameter norm grew"):
    train_and_evaluate(config, str(tmp_path))


def test_divergence_watch_on_a_rising_loss():
  watch = DivergenceWatch(initial_param_norm=10.0)
  watch.check(5, {"loss": np.array([2.0, 1.0]), "param_norm": np.array([10.0, 11.0])}, None)
  watch.check(7, {"loss": np.array([50.0, 80.0]), "param_norm": np.array([12.0, 12.0])}, None)
  with pytest.raises(
    DivergedError, match="loss rose to .* by step 9.*last good checkpoint: step 4"
  ):
    watch.check(9, {"loss": np.array([2e3, 3e3]), "param_norm": np.array([12.0, 12.0])}, 4)
