"""Paper figures from trained runs: PNGs, deterministic for a given seed.

Image grids are drawn with Pillow (`ae.grids.grids`); plots with matplotlib's Agg
backend, saved without a software tag so the bytes depend on the data alone.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import matplotlib
import matplotlib.ticker
import numpy as np
from scipy.special import ndtri  # inverse standard normal CDF

from ae.data.fashion_mnist import CLASS_NAMES
from ae.train import evaluation
from ae.utils import files, grids

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=g-import-not-at-top

_FIGURE_STREAM = 2_000_003


def encode_means(run, images: np.ndarray, mesh) -> np.ndarray:
  """Codes [N, k] of uint8 images: the code of an AE, the posterior mean of a VAE."""

  def fn(p, x, r):
    out = run.model.apply({"params": p}, x, method="encode")
    return out[0] if isinstance(out, tuple) else out

  return evaluation.map_split(
    evaluation.make_eval_fn(fn, mesh, "encode"), run.params, images, 1000, mesh
  )


def decode(run, codes: np.ndarray) -> np.ndarray:
  """Mean images [N, H, W, C] in [0, 1] of codes [N, k]."""
  return np.asarray(
    run.model.apply({"params": run.params}, jnp.asarray(codes, jnp.float32), method="decode")
  )


def save_plot(fig, path: str) -> None:
  files.save_figure(fig, path)
  plt.close(fig)


def interpolation(run, mesh, pairs: int = 4, steps: int = 10) -> np.ndarray:
  """Rows of decode((1 - t) z_a + t z_b) for pairs of test images of different classes."""
  labels, rows = run.test_set.labels, []
  firsts = [int(np.argmax(labels == c)) for c in range(10) if np.any(labels == c)]
  firsts = firsts if len(firsts) >= 2 else [0, min(1, len(labels) - 1)]
  for i in range(pairs):
    a, b = firsts[(2 * i) % len(firsts)], firsts[(2 * i + 1) % len(firsts)]
    z = encode_means(run, run.test_set.images[[a, b]], mesh)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    rows.append(decode(run, (1 - t) * z[0] + t * z[1]))
  return np.stack(rows)


def latent_scatter(run, mesh, path: str, max_points: int = 5000) -> None:
  """The 2-D codes of test images coloured by class."""
  z = encode_means(run, run.test_set.images[:max_points], mesh)
  labels = run.test_set.labels[:max_points]
  fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=150)
  for c in np.unique(labels):
    name = CLASS_NAMES[c] if run.config.data.name == "fashion_mnist" else str(c)
    ax.scatter(z[labels == c, 0], z[labels == c, 1], s=2, label=name, color=plt.cm.tab10(c % 10))
  ax.set(xlabel="z1", ylabel="z2", title=f"2-D codes of {len(z)} test images")
  ax.legend(markerscale=5, fontsize=6, loc="best")
  fig.tight_layout()
  save_plot(fig, path)


def prior_samples(run, n: int = 64) -> np.ndarray:
  """Decoder means of z ~ N(0, I), the key drawn from the run's seed."""
  key = jax.random.fold_in(jax.random.PRNGKey(int(run.config.seed)), _FIGURE_STREAM)
  return decode(run, np.asarray(jax.random.normal(key, (n, int(run.config.model.latent_size)))))


def manifold(run, n: int = 15) -> np.ndarray:
  """Decoded grid [n, n, H, W, C] over z = Phi^-1(u), u on a uniform grid in (0, 1)^2."""
  g = ndtri(np.linspace(0.05, 0.95, n))
  z = np.stack(np.meshgrid(g, g[::-1]), axis=-1).reshape(-1, 2)
  return decode(run, z).reshape(n, n, *run.test_set.image_shape)


def make_run_figures(run, workdir: str, mesh) -> list[str]:
  """Writes every figure that fits the run's model into its workdir; returns the paths."""
  out = []

  def put(name, image):
    path = os.path.join(workdir, name)
    grids.save_png(image, path)
    out.append(path)

  n = min(16, len(run.test_set))
  rec = evaluation.reconstruct_split(
    evaluation.make_reconstruct_fn(run.model.apply, mesh),
    run.params,
    run.test_set.images[:n],
    n,
    mesh,
  )
  put("reconstructions.png", grids.image_grid([run.test_set.images[:n], rec]))
  put("interpolation.png", grids.image_grid(list(interpolation(run, mesh))))
  k = int(run.config.model.get("code_size", 0) or run.config.model.get("latent_size", 0))
  if k == 2:
    latent_scatter(run, mesh, os.path.join(workdir, "latent_2d.png"))
    out.append(os.path.join(workdir, "latent_2d.png"))
  if run.config.model.name == "vae":
    put(
      "samples.png",
      grids.image_grid(list(prior_samples(run).reshape(8, 8, *run.test_set.image_shape))),
    )
    if k == 2:
      put("manifold.png", grids.image_grid(list(manifold(run)), gutter=0, scale=2))
  return out


def ae_vs_pca_plot(table: dict, models: list[str], path: str) -> None:
  """Test MSE against code size, log-log: exact PCA and every model of the study."""
  ks = table["code_sizes"]
  fig, ax = plt.subplots(figsize=(5, 3.6), dpi=150)
  ax.plot(ks, [table["pca"][str(k)]["mse"] for k in ks], "k--o", label="PCA (exact)")
  for m in models:
    ax.plot(ks, [table[m][str(k)]["mse"] for k in ks], "-o", label=f"{m} autoencoder")
  ax.set(
    xscale="log",
    yscale="log",
    xlabel="code size k",
    ylabel="test MSE per pixel",
    title="Fashion-MNIST: autoencoders vs PCA",
  )
  ax.set_xticks(ks, [str(k) for k in ks])
  ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
  ax.grid(True, which="both", alpha=0.3)
  ax.legend()
  fig.tight_layout()
  save_plot(fig, path)
