r"""Denoising time and memory: a 512x512 RGB photo and a 4000x3000 one, per model.

  python scripts/bench_denoise.py [--models=photo-unet-rgb] [--repeats=3] [--large]

For each model: median wall time of `ae.denoise.denoise` on skimage's astronaut with
Gaussian noise sigma 25 (after one warm-up call that compiles), with and without the
self-ensemble; with --large, the peak resident memory (ru_maxrss) of a fresh process
denoising a 4000x3000 RGB image (tiles of ae.denoise.apply.TILE). Seconds, this CPU.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from absl import app, flags

_MODELS = flags.DEFINE_list("models", ["photo-unet-rgb"], "Denoisers (`ae denoisers`).")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed runs (median reported).")
_LARGE = flags.DEFINE_bool("large", False, "Also measure the peak memory at 4000x3000.")

_LARGE_PROBE = """
import resource, sys, numpy as np
from ae import denoise
x = np.random.default_rng(0).integers(0, 256, (3000, 4000, 3)).astype(np.uint8)
denoise.denoise(x, sys.argv[1], sigma=25.0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
"""


def main(argv):
  del argv
  import numpy as np  # pylint: disable=g-import-not-at-top
  from skimage import data  # pylint: disable=g-import-not-at-top

  from ae import denoise  # pylint: disable=g-import-not-at-top

  clean = data.astronaut().astype(np.float64)
  noisy = np.clip(np.round(clean + np.random.default_rng(0).normal(0, 25, clean.shape)), 0, 255)
  noisy = noisy.astype(np.uint8)
  for name in _MODELS.value:
    for ensemble in (False, True):
      denoise.denoise(noisy, name, 25.0, ensemble)
      times = []
      for _ in range(_REPEATS.value):
        t = time.perf_counter()
        denoise.denoise(noisy, name, 25.0, ensemble)
        times.append(time.perf_counter() - t)
      print(
        f"{name:24s} 512x512 RGB{' ensemble' if ensemble else '         '} "
        f"{statistics.median(times):.2f} s"
      )
    if _LARGE.value:
      t = time.perf_counter()
      proc = subprocess.run(
        [sys.executable, "-c", _LARGE_PROBE, name], capture_output=True, text=True, check=True
      )
      print(
        f"{name:24s} 4000x3000 RGB peak RSS {float(proc.stdout.strip()):.2f} GiB, "
        f"{time.perf_counter() - t:.1f} s"
      )


if __name__ == "__main__":
  app.run(main)
