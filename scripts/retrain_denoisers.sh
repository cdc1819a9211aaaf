#!/usr/bin/env bash
# Retrains the denoisers from scratch and exports them to ROOT/denoisers/*.aed (over an
# hour on 2 CPU cores; the U-Nets' .aed files are the ones shipped in ae/store/denoisers/).
#   bash scripts/retrain_denoisers.sh [ROOT=workdirs] [WHICH=all|fashion|photos]
# Rerunning resumes unfinished runs and re-exports finished ones.
source "$(dirname "$0")/retrain_common.sh"
mkdir -p "$root/denoisers"
export_() { python3 -m experiments.export_denoiser --workdir="$root/$1" --out="$root/denoisers/$2.aed"; }
export_to() { python3 -m experiments.export_denoiser --workdir="$root/$1" --out="$2" "${@:3}"; }
# A sigma-weighted stage: CONFIG WORKDIR INIT_FROM RATE STEPS DROP_STEP CROP_SEED [FLAGS...]
# (Adam at RATE, a tenth of it from DROP_STEP, errors weighted by 25 / max(sigma, 5)).
weighted() {
  train --config="$1" --workdir="$root/$2" --config.train.init_from="$3" \
      --config.corruption.sigma_weighting=5 --config.train.learning_rate="$4" \
      --config.train.num_steps="$5" --config.train.lr_drop_step="$6" --config.data.crop_seed="$7" "${@:8}"
}
unet=experiments/configs/dae_unet.py
half="--config.train.num_epochs=0 --config.train.num_steps=470 --config.train.eval_every_steps=470 --config.train.checkpoint_every_steps=470"

if [[ "$which" == all || "$which" == fashion ]]; then
  for s in 15 25 50; do     # dense DAEs (20 epochs), evaluated beside the U-Nets
    train --config=experiments/configs/dae.py --workdir="$root/dae_s$s" --config.corruption.sigma=$s \
        && export_ "dae_s$s" "fmnist-dae_s$s"
  done
  train --config=experiments/configs/dae.py --workdir="$root/dae_blind" \
      --config.corruption.kind=blind_gaussian && export_ dae_blind fmnist-dae_blind
  train --config=$unet --workdir="$root/dae_unet_fmnist" && export_ dae_unet_fmnist fmnist-unet-blind
  for s in 15 25 50; do
    train --config=$unet --workdir="$root/dae_unet_s$s" --config.corruption.kind=gaussian \
        --config.corruption.sigma=$s && export_ "dae_unet_s$s" "fmnist-unet-s$s"
  done
  train --config=$unet --workdir="$root/dae_unet_saltpepper" --config.corruption.kind=salt_pepper \
      --config.corruption.amount=0.1 $half && export_ dae_unet_saltpepper fmnist-unet-saltpepper
  train --config=$unet --workdir="$root/dae_unet_masking" --config.corruption.kind=masking \
      --config.corruption.fraction=0.25 $half && export_ dae_unet_masking fmnist-unet-masking
fi
if [[ "$which" == all || "$which" == photos ]]; then
  train --config=$unet:photos --workdir="$root/dae_unet_photos_gray" --config.data.gray=True \
      && export_ dae_unet_photos_gray photo-unet-gray-blind
  train --config=$unet:photos --workdir="$root/dae_unet_photos_rgb" --config.train.num_steps=1500 \
      && export_ dae_unet_photos_rgb photo-unet-rgb-blind
  # The noise-map U-Net: warm-started from the blind one, 3,000 steps, 400 at a tenth of
  # the rate, 6,000 more at 3e-4 (3e-5 from 5,000), 5,500 at 2e-4, 8,000 at 2e-4 (2e-5
  # from 7,000), then three sigma-weighted stages at 5e-5 on fresh crops, 5,000, 5,000 and
  # 7,000 steps (1e-5 for the last 1,000 of each): 42,400 in all. The shipped gray model
  # grows a fourth level from the 35,400-step stage (below; docs/denoising.md). The
  # 25,400-step stage is exported beside its run: the colour model starts from it.
  train --config=experiments/configs/unet_map.py:gray --workdir="$root/unet_map_gray" \
      --config.train.init_from="$root/denoisers/photo-unet-gray-blind.aed"
  train --config=experiments/configs/unet_map.py:gray --workdir="$root/unet_map_gray_polish" \
      --config.train.init_from="$root/unet_map_gray" --config.train.learning_rate=5e-5 \
      --config.train.num_steps=400 --config.train.eval_every_steps=0 --config.train.checkpoint_every_steps=200
  train --config=experiments/configs/unet_map.py:gray --workdir="$root/unet_map_gray2" \
      --config.train.init_from="$root/unet_map_gray_polish" --config.train.learning_rate=3e-4 \
      --config.train.num_steps=6000 --config.train.lr_drop_step=5000 --config.train.eval_every_steps=1000
  train --config=experiments/configs/unet_map.py:gray --workdir="$root/unet_map_gray3" \
      --config.train.init_from="$root/unet_map_gray2" --config.train.learning_rate=2e-4 \
      --config.train.num_steps=5500 --config.train.lr_drop_step=5000 --config.train.eval_every_steps=1000
  train --config=experiments/configs/unet_map.py:gray --workdir="$root/unet_map_gray4" \
      --config.train.init_from="$root/unet_map_gray3" --config.train.learning_rate=2e-4 \
      --config.train.num_steps=8000 --config.train.lr_drop_step=7000 --config.train.eval_every_steps=2000 \
      && python3 -m experiments.export_denoiser --workdir="$root/unet_map_gray4" \
      --out="$root/unet_map_gray4/photo-unet-gray-25k.aed"
  g=experiments/configs/unet_map.py:gray deep="--config.model.widths=(24,48,64,96)"
  o=experiments/configs/unet_opponent.py:three_level
  weighted $g unet_map_gray_w "$root/unet_map_gray4/photo-unet-gray-25k.aed" 5e-5 5000 4000 11 \
      && export_to unet_map_gray_w "$root/unet_map_gray_w/photo-unet-gray-30k.aed"
  weighted $g unet_map_gray_w2 "$root/unet_map_gray_w/photo-unet-gray-30k.aed" 5e-5 5000 4000 13 \
      && export_to unet_map_gray_w2 "$root/unet_map_gray_w2/photo-unet-gray-35k.aed"
  weighted $g unet_map_gray_w3 "$root/unet_map_gray_w2/photo-unet-gray-35k.aed" 5e-5 7000 6000 23 \
      && export_to unet_map_gray_w3 "$root/unet_map_gray_w3/photo-unet-gray-42k.aed"
  # The shipped gray model: a fourth level grown from the 35,400-step model
  # (ae.models.denoise.deepen_params), then 7,000, 2,500, 12,000 and 10,000 sigma-weighted steps.
  weighted $g unet_deep "$root/unet_map_gray_w2/photo-unet-gray-35k.aed" 1.5e-4 7000 6000 29 "$deep" \
      && export_to unet_deep "$root/unet_deep/photo-unet-gray-deep.aed"
  weighted $g unet_deep2 "$root/unet_deep/photo-unet-gray-deep.aed" 1e-4 2500 2000 31 "$deep" \
      && export_to unet_deep2 "$root/unet_deep2/photo-unet-gray-deep.aed"
  weighted $g unet_deep3 "$root/unet_deep2/photo-unet-gray-deep.aed" 1e-4 12000 10000 37 "$deep" \
      && export_to unet_deep3 "$root/unet_deep3/photo-unet-gray-deep.aed"
  weighted $g unet_deep4 "$root/unet_deep3/photo-unet-gray-deep.aed" 7e-5 10000 8500 43 "$deep" \
      && export_ unet_deep4 photo-unet-gray
  # The shipped colour model: chroma trained 6,000 steps with the 25,400-step gray model as
  # luma, 6,000 more sigma-weighted with the 30,400-step one, 5,000 more with the
  # 42,400-step one, and exported with the shipped (deeper) gray model as its luma.
  train --config=$o --workdir="$root/unet_opponent" \
      --config.train.init_from="$root/unet_map_gray4/photo-unet-gray-25k.aed" \
      && export_to unet_opponent "$root/unet_opponent/photo-unet-rgb-31k.aed" \
      --luma="$root/unet_map_gray_w/photo-unet-gray-30k.aed"
  weighted $o unet_opponent_w "$root/unet_opponent/photo-unet-rgb-31k.aed" 1e-4 6000 5000 19 \
      && export_to unet_opponent_w "$root/unet_opponent_w/photo-unet-rgb-42k.aed" \
      --luma="$root/unet_map_gray_w3/photo-unet-gray-42k.aed"
  weighted $o unet_opponent_w2 "$root/unet_opponent_w/photo-unet-rgb-42k.aed" 1e-4 5000 4000 41 \
      && export_to unet_opponent_w2 "$root/denoisers/photo-unet-rgb.aed" \
      --luma="$root/denoisers/photo-unet-gray.aed"
  train --config=experiments/configs/ffdnet.py:gray --workdir="$root/ffdnet_gray" \
      && export_ ffdnet_gray photo-ffdnet-gray      # the FFDNet comparison (not shipped)
fi
