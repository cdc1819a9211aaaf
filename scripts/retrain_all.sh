#!/usr/bin/env bash
# Retrains every shipped model from scratch and regenerates every table and figure of
# README.md (hours on 2 CPU cores): the autoencoder family and AE-vs-PCA study,
# the codecs, the denoisers, then the rate-distortion and denoising evaluations with the
# retrained models (found first through AE_CODEC_PATH / AE_DENOISER_PATH).
#   bash scripts/retrain_all.sh [ROOT=workdirs]
# To ship the results: cp ROOT/codecs/*.aec ae/store/codecs/; cp ROOT/denoisers/*.aed ae/store/denoisers/;
# cp ROOT/rd_*/rd.png, ROOT/denoise_*/denoise_*.png and the study figures to docs/figures/.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-workdirs}"
bash scripts/run_family.sh "$root"
bash scripts/retrain_codecs.sh "$root"
bash scripts/retrain_denoisers.sh "$root"
export AE_CODEC_PATH="$root/codecs" AE_DENOISER_PATH="$root/denoisers"
python3 -m experiments.evaluate --images=fashion_mnist --max_images=1000 --workdir="$root/rd_fmnist"
python3 -m experiments.lossless_eval --workdir="$root/lossless"
python3 scripts/beta_sweep.py --workdir="$root/beta_sweep"
python3 -m experiments.evaluate --images=photos --refine_steps=500 --workdir="$root/rd_photos"
python3 -m experiments.denoise_eval --workdir="$root/denoise_fmnist" --sets=fashion_mnist --fashion_images=100
python3 -m experiments.denoise_eval --workdir="$root/denoise_gray" --sets=photos:gray
python3 -m experiments.denoise_eval --workdir="$root/denoise_rgb" --sets=photos
