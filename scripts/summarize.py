r"""Markdown tables of finished runs, from their results.json files.

python scripts/summarize.py workdirs/vae_l20 workdirs/vae_l50 workdirs/sparse ...
"""

import json
import os
import sys


def row(workdir: str) -> dict:
  with open(os.path.join(workdir, "results.json"), encoding="utf-8") as f:
    results = json.load(f)
  with open(os.path.join(workdir, "config.json"), encoding="utf-8") as f:
    config = json.load(f)
  return {"run": os.path.basename(os.path.normpath(workdir)), "config": config, **results}


def vae_table(rows: list[dict]) -> str:
  lines = [
    "| run | likelihood | latent | test -ELBO (nats) | IWAE NLL (nats) | k | images "
    "| -ELBO on those images | test MSE |",
    "|---|---|---|---|---|---|---|---|---|",
  ]
  for r in rows:
    v, m = r["vae"], r["config"]["model"]
    lines.append(
      f"| {r['run']} | {m['likelihood']} | {m['latent_size']} | {v['neg_elbo']:.2f} | "
      f"{v['iwae_nll']:.2f} | {v['iwae_samples']} | {v['iwae_examples']} | "
      f"{v['neg_elbo_on_iwae_examples']:.2f} | {r['test']['mse']:.4f} |"
    )
  return "\n".join(lines)


def sparse_table(rows: list[dict]) -> str:
  lines = [
    "| run | code | penalty | test MSE | PSNR (dB) | mean activation | near-zero entries "
    "| dead units |",
    "|---|---|---|---|---|---|---|---|",
  ]
  for r in rows:
    s, sc, m = r["sparse"], r["config"]["sparsity"], r["config"]["model"]
    penalty = f"KL(rho={sc['target']}) x {sc['kl_weight']}, L1 x {sc['l1_weight']}"
    lines.append(
      f"| {r['run']} | {m['code_size']} {m['code_activation']} | {penalty} | "
      f"{r['test']['mse']:.4f} | {r['test']['psnr']:.2f} | {s['mean_activation']:.3f} | "
      f"{s['near_zero_fraction']:.1%} | {s['dead_unit_fraction']:.1%} |"
    )
  return "\n".join(lines)


def main(workdirs: list[str]) -> None:
  rows = [row(w) for w in workdirs]
  vaes = [r for r in rows if "vae" in r]
  sparses = [r for r in rows if "sparse" in r]
  if vaes:
    print(vae_table(vaes) + "\n")
  if sparses:
    print(sparse_table(sparses) + "\n")


if __name__ == "__main__":
  main(sys.argv[1:])
