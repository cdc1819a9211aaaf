"""One evaluation run: an image set, a list of codecs, a workdir of results.

Image sets: any data spec of `ae.data.specs` (fashion_mnist, photos, photos:gray,
folder:PATH, kodak:PATH, tfds:NAME), read whole by `ae.data.sources.eval_images`; PCA
transform coding is fitted on Fashion-MNIST's train split, and `kodak:PATH` also draws
the published Kodak curves.

Codecs: comma-separated names from `ae.baselines.codecs` (jpeg420, jpeg444, webp,
jpeg2000, avif, png), installed learned codecs (`ae codecs`), `pca`, or the
groups `classical`, `learned` (installed codecs of the set's colour mode) and
`all` (the default).
"""

from __future__ import annotations

import os

import numpy as np

from ae.baselines import codecs as classical
from ae.codec import registry
from ae.data import specs
from ae.data.sources import eval_images
from ae.rd import harness, report
from ae.utils import files
from ae.utils.errors import UserError


def load_image_set(spec: str, max_images: int = 0) -> tuple[list[np.ndarray], np.ndarray | None]:
  """(uint8 images [H, W] or [H, W, 3] of data spec `spec`, train images [N, H, W, 1] for
  PCA (Fashion-MNIST only) or None)."""
  parsed = specs.parse(spec)
  images = eval_images(parsed, "test", max_images)
  train = None
  if parsed.kind == "fashion_mnist":
    train = np.stack(eval_images(parsed, "train"))[..., None]
  return images, train


def select_points(
  spec: str, gray: bool, train: np.ndarray | None, refine_steps: int = 0
) -> list[harness.Point]:
  """The points of a codec spec; with `refine_steps` > 0 every convolutional learned codec
  also appears refined (its curve named '<family>+refineN')."""
  channels = 1 if gray else 3
  learned = [c for c in registry.available() if c.channels == channels and not c.lossless]
  names = []
  for token in [t.strip() for t in spec.split(",") if t.strip()]:
    if token in ("all", "classical"):
      names += [
        n for n in classical.available() if n not in names and not (gray and n == "jpeg444")
      ]
    if token in ("all", "learned"):
      names += [c.name for c in learned if c.name not in names]
    if token == "all" and train is not None and "pca" not in names:
      names.append("pca")
    if token not in ("all", "classical", "learned") and token not in names:
      names.append(token)
  points, refined = [], []
  for n in names:
    if n in classical.CODECS:
      points += harness.classical_points(n, gray)
    elif n == "pca":
      if train is None:
        raise UserError("pca transform coding needs a set with a train split (fashion_mnist)")
      points += harness.pca_points(train)
    else:
      try:
        codec = registry.get(n)
      except registry.CodecNotFoundError as e:
        raise UserError(
          f"{e}; classical: {', '.join(classical.available())}; groups: all, classical, "
          "learned" + (", pca" if train is not None else "")
        ) from e
      if codec.lossless:
        raise UserError(f"{n} is lossless: `python -m experiments.lossless_eval` measures it")
      points += harness.learned_points([codec])
      if refine_steps > 0 and codec.program.kind != "dense":
        refined.append(codec)
  return points + harness.learned_points(refined, refine_steps)


def run_evaluation(
  images_spec: str, codecs_spec: str, workdir: str, max_images: int = 0, refine_steps: int = 0
) -> dict:
  """Evaluates, writes records/summary/BD JSON, Markdown and rd.png into workdir."""
  if refine_steps < 0:
    raise UserError(f"refine_steps must be >= 0, got {refine_steps}")
  images, train = load_image_set(images_spec, max_images)
  gray = images[0].ndim == 2
  points = select_points(codecs_spec, gray, train, refine_steps)
  os.makedirs(workdir, exist_ok=True)
  records = harness.evaluate(images, points)
  summary = harness.summarize(records)
  table = harness.bd_table(summary)
  out = {
    "images": images_spec,
    "num_images": len(images),
    "codecs": codecs_spec,
    "refine_steps": refine_steps,
    "summary": summary,
    "bd_rate": table,
  }
  files.write_json(os.path.join(workdir, "records.json"), records, indent=None)
  files.write_json(os.path.join(workdir, "rd.json"), out, indent=1)
  files.write_text(
    os.path.join(workdir, "rd.md"),
    f"# {images_spec}: {len(images)} images\n\n"
    + report.summary_markdown(summary)
    + "\n"
    + report.bd_markdown(table, "cubic")
    + "\n"
    + report.bd_markdown(table, "pchip"),
  )
  anchors = report.load_anchors() if specs.parse(images_spec).kodak else None
  report.rd_figure(
    summary, os.path.join(workdir, "rd.png"), f"{images_spec} ({len(images)} images)", anchors
  )
  return out
