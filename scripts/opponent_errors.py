r"""Where a colour denoiser's error is: squared error per opponent channel, against CBM3D.

  taskset -c 0 python scripts/opponent_errors.py --denoisers=photo-unet-rgb --sigmas=25

The held-out colour test photos with the evaluation's noise (`ae.denoise.evaluate`: the
same seeds, unclipped Gaussian noise, 8-bit outputs, models told the true sigma). Each
output's error e (RGB, [0, 1] scale) is taken to the opponent channels Y, C1, C2 of
`ae.data.photos.OPPONENT`; since its rows are orthogonal, the RGB squared error per pixel
is 3 e_Y^2 + 2 e_C1^2 + 8/3 e_C2^2, so each channel's share of the RGB error, and of the
gap to CBM3D, is printed. Means over the images of the per-image MSE.
"""

from __future__ import annotations

import numpy as np
from absl import app, flags

_DENOISERS = flags.DEFINE_list("denoisers", ["photo-unet-rgb"], "Denoiser names or .aed paths.")
_SIGMAS = flags.DEFINE_list("sigmas", ["25"], "Noise sigmas, 0-255 scale.")
_SET = flags.DEFINE_string("set", "photos", "Data spec of the colour test photos.")

WEIGHTS = np.array([3.0, 2.0, 8.0 / 3.0])  # RGB squared error = sum of WEIGHTS * opponent's


def opponent_mse(out: np.ndarray, clean: np.ndarray) -> np.ndarray:
  """[3] mean squared error of Y, C1, C2 of the 8-bit rounding of `out` ([H, W, 3] in
  [0, 1]) against `clean` (uint8 [H, W, 3]); [0, 1] scale."""
  from ae.data.photos import OPPONENT  # pylint: disable=g-import-not-at-top

  out8 = np.round(np.clip(out, 0.0, 1.0) * 255.0) / 255.0
  err = (out8 - clean.astype(np.float64) / 255.0) @ OPPONENT.T
  return (err**2).mean((0, 1))


def main(argv):
  del argv
  from ae.baselines.denoisers import bm3d  # pylint: disable=g-import-not-at-top
  from ae.data import specs  # pylint: disable=g-import-not-at-top
  from ae.data.sources import eval_images  # pylint: disable=g-import-not-at-top
  from ae.denoise import apply, registry  # pylint: disable=g-import-not-at-top
  from ae.denoise import evaluate as ev  # pylint: disable=g-import-not-at-top

  clean = eval_images(specs.parse(_SET.value), "test", 0)
  if clean[0].ndim != 3 or clean[0].shape[2] != 3:
    raise app.UsageError(f"--set={_SET.value} is not a set of RGB images")
  models = {d.name: d for d in (registry.get(n) for n in _DENOISERS.value)}
  for sigma in (float(s) for s in _SIGMAS.value):
    mse = {name: np.zeros(3) for name in [*models, "cbm3d"]}
    for i, x in enumerate(clean):
      noisy = ev.add_noise(x, sigma, ev.noise_seed(sigma, i))
      mse["cbm3d"] += opponent_mse(bm3d(noisy, sigma), x) / len(clean)
      for name, d in models.items():
        out = apply.denoise_float(noisy.astype(np.float32), d, sigma)
        mse[name] += opponent_mse(out, x) / len(clean)
    for name, m in mse.items():
      print(f"sigma {sigma:g} {name}: {_line(WEIGHTS * m, WEIGHTS * mse['cbm3d'], name)}")


def _line(share: np.ndarray, base: np.ndarray, name: str) -> str:
  """One model's opponent MSEs (`share`: WEIGHTS times them, [3]), its RGB MSE, and each
  channel's part of its gap to CBM3D's (`base`), or 'ahead of CBM3D'."""
  names = ("Y", "C1", "C2")
  line = ", ".join(f"{c} {v:.3e}" for c, v in zip(names, share / WEIGHTS))
  line = f"MSE {line}; RGB MSE {share.sum() / 3:.3e}"
  gap = share - base
  if name == "cbm3d":
    return line
  if gap.sum() <= 0:
    return line + "; ahead of CBM3D"
  return (
    line
    + "; parts of the gap to CBM3D "
    + ", ".join(f"{c} {g / gap.sum():.0%}" for c, g in zip(names, gap))
  )


if __name__ == "__main__":
  app.run(main)
