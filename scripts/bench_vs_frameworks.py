r"""The seed experiment as a whole process, ae against Keras and PyTorch, side by side.

The dense 784-256-784 autoencoder (ReLU code, sigmoid output) on Fashion-MNIST, Adam at
1e-3, squared-error loss, 3 epochs at batch 32, then the test MSE: each framework's whole
process from command to results, timed by wall clock, every framework once per round
(interleaved, so all see the same load), medians over the rounds.

  python scripts/bench_vs_frameworks.py --venv_python=/work/bench_venv/bin/python \
      --repeats=3 --cores=0 --out=bench_vs_frameworks.json

ae runs its own entrypoint (`python -m experiments.train` with the seed config, which
also writes checkpoints, metrics, the PCA baseline and a figure; its compilation cache
starts empty, so its round 0 compiles and later rounds load the compiled programs);
Keras (the seed
article's framework) and PyTorch run from the venv named by --venv_python, installed
for this script only (`python -m venv /work/bench_venv; /work/bench_venv/bin/pip install
torch tensorflow-cpu keras`), never into ae's environment. All are pinned to --cores
with `taskset`. Data: the Debian IDX files (/usr/share/datasets/fashion-mnist).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app, flags

_VENV = flags.DEFINE_string(
  "venv_python", "/work/bench_venv/bin/python", "Python with keras+torch."
)
_REPEATS = flags.DEFINE_integer("repeats", 3, "Rounds; every framework runs once per round.")
_EPOCHS = flags.DEFINE_integer("epochs", 3, "Training epochs.")
_CORES = flags.DEFINE_string("cores", "0", "CPU list for taskset (one core: 0).")
_OUT = flags.DEFINE_string("out", "bench_vs_frameworks.json", "Where the JSON table goes.")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDX = "/usr/share/datasets/fashion-mnist"

_LOAD = f"""
import gzip, numpy as np
def load(name, offset=16):
  with gzip.open("{IDX}/" + name) as f:
    pixels = np.frombuffer(f.read(), np.uint8, offset=offset).reshape(-1, 784)
  return pixels.astype(np.float32) / 255
x_train, x_test = load("train-images-idx3-ubyte.gz"), load("t10k-images-idx3-ubyte.gz")
"""

KERAS = (
  "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
  + _LOAD
  + """
import keras
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(784,))
code = keras.layers.Dense(256, activation="relu")(inputs)
model = keras.Model(inputs, keras.layers.Dense(784, activation="sigmoid")(code))
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
model.fit(x_train, x_train, epochs={epochs}, batch_size=32, shuffle=True, verbose=0)
print("test_mse", float(model.evaluate(x_test, x_test, batch_size=1000, verbose=0)))
"""
)

TORCH = (
  _LOAD
  + """
import torch
torch.manual_seed(0)
torch.set_num_threads(1)
model = torch.nn.Sequential(
  torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 784), torch.nn.Sigmoid())
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.from_numpy(x_train)
for epoch in range({epochs}):
  order = torch.randperm(len(x))
  for i in range(len(x) // 32):
    batch = x[order[i * 32 : (i + 1) * 32]]
    loss = 0.5 * ((model(batch) - batch) ** 2).sum(1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
  xt = torch.from_numpy(x_test)
  print("test_mse", float(((model(xt) - xt) ** 2).mean()))
"""
)


def _commands(workdir: str, cache: str) -> dict[str, list[str]]:
  """The command of each framework (the scripts above run with `python -c`); ae's
  compilation cache starts empty in each run of this script, so round 0 compiles."""
  ae = [sys.executable, "-m", "experiments.train", "--config=experiments/configs/seed.py"]
  ae += [f"--workdir={workdir}", f"--config.train.num_epochs={_EPOCHS.value}"]
  ae += [f"--compilation_cache={cache}"]
  ae += ["--config.progress=false"]
  return {
    "ae": ae,
    "keras": [_VENV.value, "-c", KERAS.format(epochs=_EPOCHS.value)],
    "pytorch": [_VENV.value, "-c", TORCH.format(epochs=_EPOCHS.value)],
  }


def _run(cmd: list[str]) -> tuple[float, str]:
  """(wall-clock seconds, stdout) of `cmd` pinned to --cores; raises if it fails."""
  t0 = time.perf_counter()
  out = subprocess.run(
    ["taskset", "-c", _CORES.value, *cmd], cwd=ROOT, capture_output=True, text=True
  )
  seconds = time.perf_counter() - t0
  if out.returncode:
    raise RuntimeError(f"{cmd[:3]} failed:\n{out.stderr[-2000:]}")
  return seconds, out.stdout


def _test_mse(name: str, stdout: str, workdir: str) -> float:
  """The test MSE per pixel in [0, 1] units that the run reported."""
  if name == "ae":
    with open(os.path.join(workdir, "results.json"), encoding="utf-8") as f:
      return float(json.load(f)["test"]["mse"])
  return float(stdout.split("test_mse")[-1].split()[0])


def main(argv) -> None:
  del argv
  times: dict[str, list[float]] = {"ae": [], "keras": [], "pytorch": []}
  mse: dict[str, float] = {}
  with tempfile.TemporaryDirectory() as tmp:
    for r in range(_REPEATS.value):
      workdir = os.path.join(tmp, f"ae{r}")
      for name, cmd in _commands(workdir, os.path.join(tmp, "xla")).items():
        seconds, stdout = _run(cmd)
        times[name].append(seconds)
        mse[name] = _test_mse(name, stdout, workdir)
        print(f"round {r}: {name} {seconds:.1f} s, test MSE {mse[name]:.5f}", flush=True)
  med = {n: statistics.median(t) for n, t in times.items()}
  table = {
    "seconds": times,
    "median_s": med,
    "test_mse": mse,
    "keras_over_ae": med["keras"] / med["ae"],
    "pytorch_over_ae": med["pytorch"] / med["ae"],
    "per_round_keras_over_ae": [k / a for k, a in zip(times["keras"], times["ae"])],
    "per_round_pytorch_over_ae": [p / a for p, a in zip(times["pytorch"], times["ae"])],
    "cores": _CORES.value,
    "epochs": _EPOCHS.value,
  }
  with open(_OUT.value, "w", encoding="utf-8") as f:
    json.dump(table, f, indent=1)
  print("| framework | median s | runs (s) | test MSE |\n|---|---|---|---|")
  for n, t in times.items():
    print(f"| {n} | {med[n]:.1f} | {', '.join(f'{x:.1f}' for x in t)} | {mse[n]:.5f} |")
  print(f"Keras / ae {table['keras_over_ae']:.2f}, PyTorch / ae {table['pytorch_over_ae']:.2f}")
  for n in ("keras", "pytorch"):
    print(f"per round {n} / ae: " + ", ".join(f"{r:.2f}" for r in table[f"per_round_{n}_over_ae"]))


if __name__ == "__main__":
  app.run(main)
