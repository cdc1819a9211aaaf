r"""Latent refinement time per step: lax.scan chunks against unrolled chunks of jitted steps.

  taskset -c 0 python scripts/bench_refine.py [--codec=photo-mbt-q4] [--steps=100]
      [--modes=scan:25,unroll:1,unroll:5] [--json=PATH]

For each mode (`scan:K`: K steps per jitted call inside a `lax.scan`; `unroll:K`: K steps
unrolled as a Python loop inside one jitted call; `ae.codec.refine`), one fresh compile
and `--steps` steps of refinement of a 512x384 crop of the test photo astronaut: the
first call's wall time (compile included), a second call's (compiled), and seconds per
step of the second; whether the latents equal the first mode's (XLA may fuse the steps
differently, so they can differ in their last float bits).

  taskset -c 0 python scripts/bench_refine.py --modes= --schedules=250@0.01,250@0.02,500@0.01

For each schedule STEPS@LEARNING_RATE: the codec's own loss (bpp + lambda 255^2 MSE, hard
rounding) after refinement relative to the plain encoder's, on 512x384 crops of the three
held-out test photos (`ae.data.photos`), and the wall time per image.
"""

from __future__ import annotations

import json
import time

import numpy as np
from absl import app, flags

_CODEC = flags.DEFINE_string("codec", "photo-mbt-q4", "Codec (`ae codecs`).")
_STEPS = flags.DEFINE_integer("steps", 100, "Refinement steps per call.")
_MODES = flags.DEFINE_list("modes", ["scan:25", "unroll:1", "unroll:5"], "MODE:STEPS_PER_CALL.")
_SCHEDULES = flags.DEFINE_list("schedules", [], "STEPS@LEARNING_RATE to compare by RD loss.")
_JSON = flags.DEFINE_string("json", None, "Write the table as JSON here.")


def _test_crops() -> list[np.ndarray]:
  """512x384 (or smaller) centre crops of the held-out test photos, uint8 [H, W, 3]."""
  from ae.data import photos  # pylint: disable=g-import-not-at-top

  crops = []
  for entry in photos.manifest():
    if entry.split == "test":
      img = photos.read_photo(entry)
      if img.shape[0] > img.shape[1]:
        img = np.ascontiguousarray(np.swapaxes(img, 0, 1))
      h, w = min(384, img.shape[0]), min(512, img.shape[1])
      y, x = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
      crops.append(np.ascontiguousarray(img[y : y + h, x : x + w]))
  return crops


def _schedules(codec) -> list[dict]:
  from ae.codec import refine  # pylint: disable=g-import-not-at-top

  crops, rows = _test_crops(), []
  plain = [refine.rd_loss(codec, c, refine.refine_latents(codec, c, 0)) for c in crops]
  for schedule in _SCHEDULES.value:
    steps, lr = schedule.split("@")
    ratios, times = [], []
    for crop, base in zip(crops, plain):
      t = time.perf_counter()
      lat = refine.refine_latents(codec, crop, int(steps), float(lr))
      times.append(time.perf_counter() - t)
      ratios.append(refine.rd_loss(codec, crop, lat) / base)
    row = {
      "schedule": schedule,
      "loss_vs_plain": [round(r, 4) for r in ratios],
      "mean_loss_vs_plain": round(float(np.mean(ratios)), 4),
      "s_per_image": [round(t, 1) for t in times],
    }
    rows.append(row)
    print(json.dumps(row), flush=True)
  return rows


def main(argv):
  del argv
  from skimage import data  # pylint: disable=g-import-not-at-top

  from ae.codec import refine, registry  # pylint: disable=g-import-not-at-top

  codec = registry.get(_CODEC.value)
  image = np.ascontiguousarray(data.astronaut()[64:448, :512])  # 384 x 512
  rows, reference = [], None
  for mode in _MODES.value:
    kind, size = mode.split(":")
    refine._COMPILED.clear()  # pylint: disable=protected-access  # each mode compiles afresh
    refine._JITTED.clear()  # pylint: disable=protected-access
    times = []
    for _ in range(2):
      t = time.perf_counter()
      out = refine.refine_latents(
        codec, image, _STEPS.value, chunk=int(size), unroll=kind == "unroll"
      )
      times.append(time.perf_counter() - t)
    reference = out if reference is None else reference
    same = all(np.array_equal(out[k], reference[k]) for k in out)
    row = {
      "mode": mode,
      "first_s": round(times[0], 2),
      "second_s": round(times[1], 2),
      "s_per_step": round(times[1] / _STEPS.value, 4),
      "same_latents": bool(same),
    }
    rows.append(row)
    print(json.dumps(row), flush=True)
  rows += _schedules(codec) if _SCHEDULES.value else []
  if _JSON.value:
    with open(_JSON.value, "w") as f:
      json.dump(rows, f, indent=1)


if __name__ == "__main__":
  app.run(main)
