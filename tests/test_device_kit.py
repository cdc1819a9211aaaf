"""The GPU-machine kit (scripts/device_kit.py) and the prepared run's sizing (device_train.py)."""

import argparse
import glob
import importlib.util
import os
import subprocess
import sys

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


def test_slim_moves_codecs_aside_and_unslim_restores_them(tmp_path):
  kit = _script("device_kit")
  files = _repo(tmp_path)
  before = kit.tree_bytes(str(tmp_path))
  assert before == sum(len(d) for d in files.values()) + len("/.kit*/\n")
  moved = kit.slim(str(tmp_path))
  assert sorted(moved) == [
    "ae/store/codecs/a.aec",
    "ae/store/codecs/b.aec",
    "experiments/models/m.aec",
  ]
  assert kit.tree_bytes(str(tmp_path)) == before - 6000  # the stash is ignored: it stays here
  assert (tmp_path / "ae/store/denoisers/d.aed").exists()  # the denoisers train from these
  assert sorted(kit.unslim(str(tmp_path))) == sorted(moved)
  for rel, data in files.items():
    assert (tmp_path / rel).read_bytes() == data
  assert not (tmp_path / kit.STASH).exists()
  assert kit.tree_bytes(str(tmp_path)) == before


def test_the_shipped_tree_needs_slimming_and_then_fits():
  """The reason `slim` exists: the shipped model files alone fill the device's limit."""
  kit = _script("device_kit")
  tree = kit.tree_bytes(ROOT)
  stash = os.path.join(ROOT, kit.STASH)
  stashed = kit.folder_bytes(stash) if os.path.isdir(stash) else 0
  slimmable = stashed + sum(
    os.path.getsize(f) for p in kit.SLIM_GLOBS for f in glob.glob(os.path.join(ROOT, p))
  )
  assert tree + stashed > kit.LIMIT_BYTES * 0.8
  assert tree + stashed - slimmable < kit.LIMIT_BYTES / 2  # room for the kit (about 38 MiB)


def test_steps_fill_the_time_and_the_rate_drops_for_the_last_15_percent():
  train = _script("device_train")
  assert train.multiple_of(57.9, 10) == 50 and train.multiple_of(3, 10) == 10
  assert train.steps_for(images_per_sec=6400, batch=64, seconds=300, multiple=10) == 30000
  args = argparse.Namespace(
    batch_size=64, crop_size=128, workers=6, seed=53, lr=1e-4, steps_per_call=10
  )
  cmd = train.train_cmds(train.GRAY, "/tmp/w", 1000, args, 100)
  assert "--config.train.lr_drop_step=850" in cmd and "--config.train.num_steps=1000" in cmd
  assert "--config.train.init_from=ae/store/denoisers/photo-unet-gray.aed" in cmd
  for flag in cmd[3:]:
    if flag.startswith("--config.train.init_from="):
      assert os.path.isfile(os.path.join(ROOT, flag.split("=", 1)[1]))
