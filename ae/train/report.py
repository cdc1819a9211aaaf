"""Plain-text summary of a finished run for the terminal."""

from __future__ import annotations

import os


def summary(results: dict, workdir: str) -> str:
  """Lines with test MSE/PSNR, the PCA baseline beside it, and where the outputs are."""
  t = results["test"]
  lines = [
    f"step {results['step']}: test MSE {t['mse']:.5f}, PSNR {t['psnr']:.2f} dB "
    f"(mean per image {t['psnr_per_image']:.2f} dB)"
  ]
  if "pca" in results:
    p = results["pca"]
    lines.append(
      f"exact PCA, k={p['k']}: test MSE {p['mse']:.5f}, PSNR {p['psnr']:.2f} dB; "
      f"clipped to [0, 1]: MSE {p['mse_clipped']:.5f}, PSNR {p['psnr_clipped']:.2f} dB"
    )
    verdict = "beats" if t["mse"] < p["mse_clipped"] else "does not beat"
    lines.append(f"the model {verdict} PCA at the same code size")
  for name in ("results.json", "metrics.jsonl", "reconstructions.png", "tensorboard"):
    lines.append(f"  {os.path.join(workdir, name)}")
  return "\n".join(lines)
