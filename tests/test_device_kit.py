"""The GPU-machine kit (scripts/device_kit.py) and the prepared run's sizing (device_train.py)."""

import argparse
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from ae.store import bundle

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script(name):
  spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "scripts", f"{name}.py"))
  module = importlib.util.module_from_spec(spec)
  sys.modules[name] = module  # dataclasses look their module up there
  spec.loader.exec_module(module)
  return module


def _repo(tmp_path):
  files = {
    "ae/store/codecs/a.aec": b"A" * 3000,
    "ae/store/codecs/b.aec": b"B" * 2000,
    "experiments/models/m.aec": b"M" * 1000,
    "ae/store/denoisers/d.aed": b"D" * 500,
    "README.md": b"r" * 10,
  }
  for rel, data in files.items():
    os.makedirs(os.path.dirname(tmp_path / rel), exist_ok=True)
    (tmp_path / rel).write_bytes(data)
  (tmp_path / ".gitignore").write_bytes(b"/.kit*/\n")
  subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
  subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
  return files


@needs_git
def test_slim_moves_codecs_aside_and_unslim_restores_them(tmp_path):
  kit = _script("device_kit")
  files = _repo(tmp_path)
  before = kit.tree_bytes(str(tmp_path))
  assert before == sum(len(d) for d in files.values()) + len("/.kit*/\n")
  moved = kit.slim(str(tmp_path), keep=("d", "b"))
  assert sorted(moved) == ["ae/store/codecs/a.aec", "experiments/models/m.aec"]
  assert kit.tree_bytes(str(tmp_path)) == before - 4000  # the stash is ignored: it stays here
  assert (tmp_path / "ae/store/denoisers/d.aed").exists() and (
    tmp_path / "ae/store/codecs/b.aec"
  ).exists()
  assert sorted(kit.unslim(str(tmp_path))) == sorted(moved)
  for rel, data in files.items():
    assert (tmp_path / rel).read_bytes() == data
  assert not (tmp_path / kit.STASH).exists()
  assert kit.tree_bytes(str(tmp_path)) == before


@needs_git
def test_slim_again_first_puts_back_and_unslim_keeps_newer_files(tmp_path):
  kit = _script("device_kit")
  files = _repo(tmp_path)
  kit.slim(str(tmp_path), keep=("d",))
  assert sorted(kit.slim(str(tmp_path), keep=("a", "d"))) == [  # another job's files
    "ae/store/codecs/b.aec",
    "experiments/models/m.aec",
  ]
  assert (tmp_path / "ae/store/codecs/a.aec").read_bytes() == files["ae/store/codecs/a.aec"]
  (tmp_path / "ae/store/codecs/b.aec").write_bytes(b"new")  # written while slimmed
  with pytest.raises(kit.StashClash, match="b.aec"):
    kit.unslim(str(tmp_path))
  assert (tmp_path / "ae/store/codecs/b.aec").read_bytes() == b"new"
  assert (tmp_path / kit.STASH / "ae/store/codecs/b.aec").read_bytes() == b"B" * 2000
  assert (tmp_path / "experiments/models/m.aec").read_bytes() == b"M" * 1000


@needs_git
@pytest.mark.skipif(not os.path.isdir(os.path.join(ROOT, ".git")), reason="needs the git checkout")
@pytest.mark.parametrize("job", ["denoisers", "codecs"])
def test_the_shipped_tree_needs_slimming_and_then_fits(job):
  """The reason `slim` exists: the shipped model files alone fill the device's limit;
  each job's own model files leave room for the kit (38 MiB)."""
  kit = _script("device_kit")
  stash = os.path.join(ROOT, kit.STASH)
  tree = kit.tree_bytes(ROOT) + (kit.folder_bytes(stash) if os.path.isdir(stash) else 0)
  models = [f for p in kit.MODEL_GLOBS for f in glob.glob(os.path.join(ROOT, p))]
  models += [os.path.join(d, f) for d, _, fs in os.walk(stash) for f in fs]
  kept = [f for f in models if os.path.splitext(os.path.basename(f))[0] in kit.JOB_MODELS[job]]
  assert len(kept) == len(kit.JOB_MODELS[job])
  assert tree > kit.LIMIT_BYTES * 0.8
  slimmed = tree - sum(os.path.getsize(f) for f in models) + sum(map(os.path.getsize, kept))
  assert slimmed + (38 << 20) < kit.LIMIT_BYTES


def test_steps_fill_the_time_and_the_rate_drops_for_the_last_15_percent():
  train = _script("device_train")
  assert train.multiple_of(57.9, 10) == 50 and train.multiple_of(3, 10) == 10
  assert train.steps_for(images_per_sec=6400, batch=64, seconds=300, multiple=10) == 27000
  args = argparse.Namespace(
    batch_size=64, crop_size=128, workers=6, seed=53, lr=1e-4, steps_per_call=10
  )
  cmd = train.train_cmds(train.GRAY, "/tmp/w", 1000, args, 100)
  assert "--config.train.lr_drop_step=850" in cmd and "--config.train.num_steps=1000" in cmd
  assert "--config.train.init_from=ae/store/denoisers/photo-unet-gray.aed" in cmd
  for flag in cmd[3:]:
    if flag.startswith("--config.train.init_from="):
      assert os.path.isfile(os.path.join(ROOT, flag.split("=", 1)[1]))


def test_the_codec_job_continues_each_codec_at_its_own_lambda():
  train = _script("device_train")
  args = train.parse_args(["--job=codecs", "--codecs=photo-mbt-q1,photo-mbt-q9"])
  assert (args.batch_size, args.crop_size) == train.JOB_SIZES["codecs"][:2]
  stages = train.job_stages(args)
  assert [s.name for s in stages] == ["photo-mbt-q1", "photo-mbt-q9"]
  assert "--config.rd.lmbda=0.0004" in stages[0].flags
  assert "--config.rd.lmbda=0.25" in stages[1].flags
  for stage in stages:  # widths from the file
    with open(os.path.join(ROOT, f"ae/store/codecs/{stage.name}.aec"), "rb") as f:
      model = json.loads(bundle.unpack(f.read())["model"])
    assert f"--config.model.m={model['m']}" in stage.flags
    assert f"--config.model.n={model['n']}" in stage.flags
  assert all("--config.rd.quantization=mixed" in s.flags for s in stages)
  assert stages[1].exporter == "experiments.export_codec" and stages[1].suffix == ".aec"
  assert [s.name for s in train.job_stages(train.parse_args([]))] == [
    "photo-unet-gray",
    "photo-unet-rgb",
  ]


def test_the_codec_job_reads_each_width_from_the_file(tmp_path, monkeypatch):
  train = _script("device_train")
  os.makedirs(tmp_path / "ae/store/codecs")
  model = {"name": "mbt2018_mean", "n": 40, "m": 72}
  stored = bundle.pack({"lmbda": 0.1, "model": json.dumps(model)})
  (tmp_path / "ae/store/codecs/photo-mbt-q4.aec").write_bytes(stored)
  monkeypatch.setattr(train, "ROOT", str(tmp_path))
  flags = train.codec_stage("photo-mbt-q4").flags
  assert "--config.model.n=40" in flags and "--config.model.m=72" in flags
  assert "--config.rd.lmbda=0.1" in flags
