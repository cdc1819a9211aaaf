"""One denoising evaluation run: sets, sigmas, methods; JSON, Markdown and a figure in a workdir.

Sets: data specs of `ae.data.specs`, read whole by `ae.data.sources.eval_images`:
`fashion_mnist` (the first N test images; calibration on 20 train images), `photos` and
`photos:gray` (the held-out photos of ae.data.photos, gray by ITU-R 601 luma), and
`folder:PATH`, `kodak:PATH`, `tfds:NAME`; calibration for these on 96x96 crops of the
train photos (gray for gray sets).
Denoisers: every installed one (`ae denoisers`) trained on the set's data,
plus any `.aed` files given.
"""

from __future__ import annotations

import os

import numpy as np

from ae.data import photos, photos_tfds, specs
from ae.data.sources import eval_images
from ae.denoise import evaluate as ev
from ae.denoise import registry
from ae.ops import metrics
from ae.utils import files


def load_set(name: str, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
  """(clean test images, calibration images) of data spec `name`, uint8 [H, W] or
  [H, W, 3]; the first `n` test images when n > 0."""
  spec = specs.parse(name)
  test = eval_images(spec, "test", n)
  if spec.kind == "fashion_mnist":
    return test, eval_images(spec, "train", 20)
  calib = photos.random_crops(photos_tfds.load_photos("train"), 96, 4, 1)
  if test[0].ndim == 2:
    return test, [c[..., 0] for c in photos.to_gray(calib)]
  return test, list(calib)


def denoisers_for(set_name: str, extra: list[str], gray: bool = False) -> list:
  """The installed denoisers trained on the set's source, and `extra`; colour-only ones
  left out of `gray` sets."""
  source = specs.parse(set_name).source
  found = [d for d in registry.available() if d.trained_on.startswith(source)]
  found += [registry.get(e) for e in extra]
  return [d for d in found if d.trained_on.startswith(source) and not (gray and d.colour_only)]


def figure(clean: np.ndarray, sigma: float, methods: dict, path: str, crop: int = 128) -> None:
  """Clean / noisy / each method, side by side on a central crop (nearest-neighbour upscaled
  for small images)."""
  import matplotlib  # pylint: disable=g-import-not-at-top  # matplotlib only when drawing

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top  # after choosing the Agg backend

  noisy = ev.add_noise(clean, sigma, 424242)
  h, w = clean.shape[:2]
  y, x = max(0, (h - crop) // 2), max(0, (w - crop) // 2)
  cut = lambda a: a[y : y + crop, x : x + crop]
  panels = [("clean", clean), (f"noisy sigma={sigma:g}", ev._to8(noisy))]  # pylint: disable=protected-access
  panels += [(m, ev._to8(fn(noisy))) for m, fn in methods.items()]  # pylint: disable=protected-access
  fig, axes = plt.subplots(1, len(panels), figsize=(2.2 * len(panels), 2.6), dpi=120)
  for ax, (title, img) in zip(axes, panels):
    ax.imshow(
      cut(img), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest"
    )
    score = "" if title == "clean" else f"\n{metrics.psnr(img, clean):.2f} dB"
    ax.set_title(title + score, fontsize=7)
    ax.axis("off")
  fig.tight_layout()
  files.save_figure(fig, path)
  plt.close(fig)


def run(
  workdir: str,
  sets: list[str],
  n_fashion: int = 100,
  extra: list[str] = (),
  sigmas=ev.SIGMAS,
  impulse=ev.IMPULSE,
  ensemble: bool = False,
) -> dict:
  """Gaussian noise at `sigmas` and impulse noise `impulse` ((kind, amount) pairs) on
  each set, with the self-ensemble of noise-conditioned denoisers if `ensemble`; writes
  denoise.json, denoise.md, denoise_records.json, denoise_<set>.png."""
  os.makedirs(workdir, exist_ok=True)
  records, params = [], {}
  for s in sets:
    clean, calib = load_set(s, n_fashion if specs.parse(s).kind == "fashion_mnist" else 0)
    denoisers = denoisers_for(s, list(extra), gray=clean[0].ndim == 2)
    recs, params[s] = ev.evaluate_set(s, clean, calib, denoisers, sigmas, ensemble=ensemble)
    records += recs + ev.evaluate_impulse(s, clean, denoisers, impulse)
    fig_methods, _ = ev.methods_for(25.0, calib, denoisers)
    keep = {
      k: v
      for k, v in fig_methods.items()
      if k in ("nl_means", "bm3d") or k in {d.name for d in denoisers if d.blind}
    }
    figure(
      clean[0],
      25.0,
      keep,
      os.path.join(workdir, f"denoise_{specs.parse(s).slug}.png"),
      crop=128 if clean[0].shape[0] > 64 else 28,
    )
  summary = ev.summarize(records)
  estimates = [
    e
    for s in sets
    if specs.parse(s).kind != "fashion_mnist"
    for e in ev.sigma_estimates(s, load_set(s, 0)[0], sigmas)
  ]
  out = {
    "sets": sets,
    "sigmas": list(sigmas),
    "impulse": [list(p) for p in impulse],
    "calibrated": params,
    "summary": summary,
    "sigma_estimates": estimates,
  }
  files.write_json(os.path.join(workdir, "denoise.json"), out, indent=1)
  files.write_json(os.path.join(workdir, "denoise_records.json"), records, indent=None)
  text = ev.markdown(summary)
  if estimates:
    text += (
      "\nNoise level estimated from the image (wavelet MAD, 8-bit input), 0-255 scale\n\n"
      "| set | sigma | mean estimate | mean abs error |\n|---|---|---|---|\n"
      + "".join(
        f"| {e['set']} | {e['sigma']:g} | {e['mean_estimate']:.2f} | {e['mean_abs_error']:.2f} |\n"
        for e in estimates
      )
    )
  files.write_text(os.path.join(workdir, "denoise.md"), text)
  return out
