"""Writing a harness run: JSON, Markdown tables and the rate-distortion figure."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from ae.utils import files

# Published Kodak RD points (CompressAI, tensorflow-compression, C3), shipped as package data.
ANCHORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "anchors", "kodak_rd.json")


def _fmt(v: float, digits: int = 2) -> str:
  return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def summary_markdown(summary: list[dict]) -> str:
  lines = [
    "| codec | setting | bpp | PSNR (dB) | MS-SSIM | encode (s) | decode (s) | bit-exact |",
    "|---|---|---|---|---|---|---|---|",
  ]
  for r in summary:
    exact = {True: "yes", False: "**no**"}.get(r.get("bit_exact"), "")
    lines.append(
      f"| {r['codec']} | {r['setting']} | {r['bpp']:.4f} | {_fmt(r['psnr'])} | "
      f"{_fmt(r['ms_ssim'], 4)} | {r['encode_s']:.4f} | {r['decode_s']:.4f} | {exact} |"
    )
  return "\n".join(lines) + "\n"


def bd_markdown(table: dict, method: str = "cubic") -> str:
  """Rows: test codec; columns: anchor; BD-rate in percent (negative: fewer bits)."""
  names = sorted(table)
  lines = [
    f"| BD-rate ({method}) of row vs column | " + " | ".join(names) + " |",
    "|---" * (len(names) + 1) + "|",
  ]
  low = lambda t, a: (
    method == "cubic" and table[t][a].get("points", 4) < 4 and math.isfinite(table[t][a][method])
  )
  for t in names:
    cells = [
      _fmt(table[t][a][method], 1) + "%" + ("†" if low(t, a) else "")
      if a in table[t] and math.isfinite(table[t][a][method])
      else ("—" if a != t else "0")
      for a in names
    ]
    lines.append(f"| {t} | " + " | ".join(cells) + " |")
  if any(low(t, a) for t in names for a in table[t]):
    lines.append(
      "\n† a curve of fewer than 4 points: fitted by a polynomial of degree points - 1, not a cubic"
    )
  return "\n".join(lines) + "\n"


def load_anchors(path: str = ANCHORS) -> dict[str, np.ndarray]:
  """Published Kodak curves: name -> points [n, 2] (bpp, PSNR); {} if the file is absent."""
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    data = json.load(f)
  return {k: np.array(v["points"], np.float64) for k, v in data["curves"].items()}


def rd_figure(summary: list[dict], path: str, title: str, anchors: dict | None = None) -> None:
  """bpp against PSNR for every codec (and dashed published anchors), written to `path`."""
  import matplotlib  # pylint: disable=g-import-not-at-top  # matplotlib only when drawing

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top  # after choosing the Agg backend

  fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
  points = {}
  for row in summary:
    if math.isfinite(row["psnr"]):
      points.setdefault(row["codec"], []).append((row["bpp"], row["psnr"]))
  for name, pts in sorted(points.items()):
    r, p = np.array(pts).T
    order = np.argsort(r)
    learned = name not in ("jpeg420", "jpeg444", "webp", "jpeg2000", "avif", "pca")
    ax.plot(
      r[order], p[order], "o-" if learned else ".-", lw=2.2 if learned else 1.2, ms=4, label=name
    )
  for name, pts in (anchors or {}).items():
    ax.plot(pts[:, 0], pts[:, 1], "--", lw=0.8, alpha=0.6, label=f"{name} (published)")
  ax.set_xlabel("bits per pixel (file bytes, headers included)")
  ax.set_ylabel("PSNR (dB, 8-bit)")
  ax.set_title(title)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7, ncol=2)
  fig.tight_layout()
  files.save_figure(fig, path)
  plt.close(fig)
