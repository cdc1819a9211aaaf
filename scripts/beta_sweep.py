r"""The rate-distortion view of the ELBO: a beta-VAE sweep on Fashion-MNIST.

  python scripts/beta_sweep.py --workdir=workdirs/beta_sweep [--betas=0.1,0.3,1,3,10] \
      [--set=train.num_epochs=10 ...]

Trains experiments/configs/vae_lossless.py (the discretized logistic VAE) with the KL
weighted by each beta (Higgins et al. 2017) in `WORKDIR/beta_<b>` (rerunning resumes or
just re-evaluates). Split as in Alemi et al. 2018 ("Fixing a broken ELBO"): rate R =
E KL(q(z|x) || p(z)) and distortion D = E -log p(x|z), both in nats per test image, and
the MSE of the posterior-mean reconstruction on [0, 1]; beta = 1 is the ELBO, R + D.
Beside them the shipped lossy dense codecs (fmnist-dense-q*): rate = the bits per image
of their frozen tables times ln 2 (nats), MSE of their 8-bit output. Writes
`beta_sweep.json`, `beta_sweep.md` and `beta_sweep.png` into WORKDIR.
"""

import os as _os
import sys as _sys

# experiments/ is not installed: scripts run from a checkout and import it from its root.
_ROOT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
_sys.path.insert(0, _ROOT) if _ROOT not in _sys.path else None
import json
import math
import os

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Root folder of the sweep.")
flags.DEFINE_list("betas", ["0.1", "0.3", "1", "3", "10"], "KL weights beta.")
flags.DEFINE_integer("epochs", 10, "Training epochs per beta.")
flags.DEFINE_multi_string("set", [], "Overrides key=value applied to every run's config.")
flags.mark_flag_as_required("workdir")


def sweep(workdir: str, betas: list[float], epochs: int, overrides: list[str]) -> list[dict]:
  """One row per beta: rate and distortion in nats per image, test MSE on [0, 1]."""
  from ae.train.runner import train_and_evaluate  # pylint: disable=g-import-not-at-top
  from ae.utils.config_utils import apply_overrides  # pylint: disable=g-import-not-at-top
  from experiments.configs import vae_lossless  # pylint: disable=g-import-not-at-top

  rows = []
  for beta in betas:
    config = vae_lossless.get_config()
    config.beta = beta
    config.train.num_epochs = epochs
    config.eval.iwae_samples = config.eval.iwae_chunk = 100
    config.eval.iwae_examples = 500
    results = train_and_evaluate(
      apply_overrides(config, overrides), os.path.join(workdir, f"beta_{beta:g}")
    )
    v = results["vae"]
    rows.append(
      {
        "beta": beta,
        "rate": v["kl"],
        "distortion": v["rec_nll"],
        "neg_elbo": v["neg_elbo"],
        "mse": results["test"]["mse"],
      }  # fmt: skip
    )
  return rows


def dense_codec_points(max_images: int = 2000) -> list[dict]:
  """The shipped fmnist-dense-q* codecs on the first test images: rate in nats per image
  (frozen tables), MSE on [0, 1] of the 8-bit output."""
  import numpy as np  # pylint: disable=g-import-not-at-top

  from ae.codec import export, registry  # pylint: disable=g-import-not-at-top
  from ae.data.sources import eval_images  # pylint: disable=g-import-not-at-top
  from ae.data.specs import training_spec  # pylint: disable=g-import-not-at-top

  images = np.stack(eval_images(training_spec("fashion_mnist"), "test", max_images))[..., None]
  points = []
  for c in (c for c in registry.available() if c.name.startswith("fmnist-dense")):
    r = export.evaluate_codec(c.exported, images)
    points.append(
      {"codec": c.name, "rate": r["bpp"] * 784 * math.log(2), "mse": r["mse_255"] / 255.0**2}
    )
  return points


def markdown(rows: list[dict], points: list[dict]) -> str:
  lines = [
    "| beta | rate KL (nats) | distortion -log p(x|z) (nats) | -ELBO (nats) | MSE |",
    "|---|---|---|---|---|",
  ]
  for r in rows:
    lines.append(
      f"| {r['beta']:g} | {r['rate']:.1f} | {r['distortion']:.1f} | {r['neg_elbo']:.1f} | "
      f"{r['mse']:.5f} |"
    )
  for p in points:
    lines.append(f"| {p['codec']} (lossy codec) | {p['rate']:.1f} | - | - | {p['mse']:.5f} |")
  return "\n".join(lines) + "\n"


def figure(rows: list[dict], points: list[dict], path: str) -> None:
  import matplotlib  # pylint: disable=g-import-not-at-top

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
  rate = [r["rate"] for r in rows]
  a.plot(rate, [r["distortion"] for r in rows], "o-", label="beta-VAE")
  for r in rows:
    a.annotate(f"beta={r['beta']:g}", (r["rate"], r["distortion"]), fontsize=8)
  a.set(xlabel="rate KL (nats / image)", ylabel="distortion -log p(x|z) (nats / image)")
  b.plot(rate, [r["mse"] for r in rows], "o-", label="beta-VAE (posterior mean)")
  b.plot([p["rate"] for p in points], [p["mse"] for p in points], "s--", label="fmnist-dense-q*")
  b.set(xlabel="rate (nats / image)", ylabel="MSE on [0, 1]", yscale="log")
  for ax in (a, b):
    ax.grid(alpha=0.3)
    ax.legend()
  fig.suptitle("Fashion-MNIST test split: rate against distortion")
  fig.tight_layout()
  fig.savefig(path, dpi=120)


def main(argv):
  del argv
  rows = sweep(FLAGS.workdir, [float(b) for b in FLAGS.betas], FLAGS.epochs, FLAGS.set)
  points = dense_codec_points()
  with open(os.path.join(FLAGS.workdir, "beta_sweep.json"), "w") as f:
    json.dump({"betas": rows, "dense_codecs": points}, f, indent=2)
  table = markdown(rows, points)
  with open(os.path.join(FLAGS.workdir, "beta_sweep.md"), "w") as f:
    f.write(table)
  figure(rows, points, os.path.join(FLAGS.workdir, "beta_sweep.png"))
  print(table)


if __name__ == "__main__":
  app.run(main)
