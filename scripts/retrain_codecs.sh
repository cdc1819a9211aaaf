#!/usr/bin/env bash
# Retrains the shipped codecs from scratch and exports them to ROOT/codecs/*.aec
# (hours on 2 CPU cores; copy the .aec files to ae/store/codecs/ to ship them).
#   bash scripts/retrain_codecs.sh [ROOT=workdirs] [WHICH=all|fashion|photos]
# Fashion-MNIST: the dense codec (128 latents, 20 epochs) at four lambdas.
# Photos: mbt2018-mean (N=64, M=96) trained 30,000 steps at lambda 0.013, continued
# 25,000 steps on fresh crops (crop_seed 1), then fine-tuned from that for 10,000
# steps at each of four lambdas (photo-mbt-q1..q4).
# Rerunning resumes unfinished runs and re-exports finished ones.
source "$(dirname "$0")/retrain_common.sh"
mkdir -p "$root/codecs"
export_() { python3 -m experiments.export_codec --workdir="$root/$1" --out="$root/codecs/$2.aec"; }

if [[ "$which" == all || "$which" == fashion ]]; then
  q=1
  for l in 0.0003 0.001 0.003 0.03; do
    train --config=experiments/configs/dense_codec.py --workdir="$root/fm_codec_q$q" \
        --config.rd.lmbda=$l --config.model.latent_size=128 && export_ "fm_codec_q$q" "fmnist-dense-q$q"
    q=$((q + 1))
  done
  # The lossless bits-back codec (docs/lossless.md).
  train --config=experiments/configs/vae_lossless.py --workdir="$root/vae_lossless" \
      && export_ vae_lossless fmnist-vae-lossless
fi
if [[ "$which" == all || "$which" == photos ]]; then
  photo=experiments/configs/photo_codec.py
  train --config=$photo --workdir="$root/photo_base" --config.rd.lmbda=0.013
  train --config=$photo --workdir="$root/photo_base2" --config.train.init_from="$root/photo_base" \
      --config.data.crop_seed=1 --config.train.num_steps=25000 --config.train.lr_drop_step=20000
  q=1
  for l in 0.0018 0.0035 0.0067 0.013; do
    train --config=$photo --workdir="$root/photo_q$q" --config.rd.lmbda=$l \
        --config.train.init_from="$root/photo_base2" --config.train.num_steps=10000 \
        --config.train.lr_drop_step=8000 \
        && export_ "photo_q$q" "photo-mbt-q$q"
    q=$((q + 1))
  done
fi
