#!/usr/bin/env bash
# Retrains the autoencoder family from scratch and regenerates every table and figure
# of README.md's "autoencoder family" section (about 2 hours on 2 CPU cores).
#   bash scripts/run_family.sh [ROOT=workdirs]
# Rerunning resumes unfinished runs and re-evaluates finished ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-workdirs}"
train() { python3 -m experiments.train "$@" --config.progress=false; }

python3 scripts/ae_vs_pca.py --workdir="$root/ae_vs_pca" --set=progress=False
train --config=experiments/configs/vae.py --workdir="$root/vae_l20"
train --config=experiments/configs/vae.py --workdir="$root/vae_l50" --config.model.latent_size=50
train --config=experiments/configs/vae_2d.py --workdir="$root/vae_l2"
train --config=experiments/configs/vae_gaussian.py --workdir="$root/vae_gaussian_l20"
train --config=experiments/configs/sparse.py --workdir="$root/sparse"
python3 scripts/make_figures.py --study="$root/ae_vs_pca" --workdirs="$root/ae_vs_pca/deep_k2,$root/ae_vs_pca/conv_k2,$root/ae_vs_pca/deep_k32,$root/ae_vs_pca/conv_k32,$root/vae_l20,$root/vae_l2,$root/sparse"
python3 scripts/summarize.py "$root"/vae_l20 "$root"/vae_l50 "$root"/vae_l2 "$root"/vae_gaussian_l20 "$root"/sparse | tee "$root/family.md"
