#!/usr/bin/env bash
# Retrains the shipped codecs from scratch and exports them to ROOT/codecs/*.aec
# (hours on 2 CPU cores; copy the .aec files to ae/store/codecs/ to ship them).
#   bash scripts/retrain_codecs.sh [ROOT=workdirs] [WHICH=all|fashion|photos|polish|detail|widen|more]
#       [QUALITIES]
# Fashion-MNIST: the dense codec (128 latents, 20 epochs) at four lambdas.
# Photos: mbt2018-mean (N=64, M=96) trained 30,000 steps at lambda 0.013, continued
# 25,000 steps on fresh crops (crop_seed 1), then fine-tuned from that for 10,000
# steps at each of four lambdas (photo-mbt-q3..q6); the lower rates q2, q1 fine-tuned
# 3,000 steps each in a chain from q3, the higher q7, q8, q9 in a chain from q6 (the
# last two runs on the halved wallpapers). The shipped files were trained before the
# wallpapers were halved (ae/data/photos.py), except the last 4,000 steps of q8 and
# q9: a rerun trains every step on the halved wallpapers.
# Then (WHICH=all, photos or polish) every photo rate is polished: 3,200 steps at Adam 1e-4
# and 800 at 1e-5 with mixed quantization (noise for the rate, rounding into the decoders),
# on fresh crops, starting from ROOT/codecs/photo-mbt-qN.aec (the shipped file where ROOT
# has none; copied once to ROOT/photo_pN.start.aec, so reruns resume) and replacing it
# there. The shipped files are already polished: to redo their polish, first put the
# files before it in ROOT/codecs (`git show c5346c3:ae/store/codecs/photo-mbt-qN.aec`).
# Then (WHICH=all, photos or detail) a second polish on detailed crops (data.candidates=2:
# the more textured of two random crops, ae.data.crops): 4,000 steps per rate as above,
# from ROOT/codecs/photo-mbt-qN.aec (or the shipped file; copied once to
# ROOT/photo_dN.start.aec), crop_seed 30+N; and the top rate photo-mbt-q10 (lambda 0.5):
# 5,000 steps at Adam 2e-4 (2e-5 for the last 1,000) from photo-mbt-q9 as it was before
# this polish, polished like the others, then widened from M=96 to M=192 latent channels
# (`--config.model.m=192`; ae.compression.widen keeps what it computes) and trained
# 12,000 steps more at Adam 2e-4 (2e-5 for the last 2,000), crop seed 50. The shipped files
# are already polished twice: to redo the second polish alone, first put the files before
# it in ROOT/codecs (`git show 5909aaa:ae/store/codecs/photo-mbt-qN.aec`, N = 1..9).
# Then (WHICH=all, photos or widen) q9, q8, ..., q1 are widened the same way to M=192
# from ROOT/codecs/photo-mbt-qN.aec (or the shipped file; copied once to
# ROOT/photo_wN.start.aec) and trained on detailed crops with mixed quantization, crop seed
# 50+N: 12,000 steps for q9 and q8, 8,000 for the others (WIDEN_STEPS overrides; Adam
# 2e-4, 2e-5 for the last sixth). Every shipped photo codec is M=192.
# Then (WHICH=all, photos or more) the rates in QUALITIES (default "10 9 8 7") train on from
# ROOT/codecs/photo-mbt-qN.aec (or the shipped file; copied once to ROOT/photo_mN.start.aec)
# at their own width (read from that file), on detailed crops with mixed quantization,
# crop seed 70+N: 8,000 steps (4,000 for q8; MORE_STEPS overrides) at Adam 1e-4, 1e-5 for
# the last sixth.
# QUALITIES (default "1 2 ... 9"; "10 1 2 ... 9" for the second polish, "9 8 ... 1" to
# widen, "10 9 8 7" for more)
# picks the rates, so two cores can share them. Rerunning resumes unfinished runs and
# re-exports finished ones.
source "$(dirname "$0")/retrain_common.sh"
qualities="${3:-1 2 3 4 5 6 7 8 9}"
photo=experiments/configs/photo_codec.py
mkdir -p "$root/codecs"
export_() { python3 -m experiments.export_codec --workdir="$root/$1" --out="$root/codecs/$2.aec"; }
lambdas=(0 0.0004 0.0009 0.0018 0.0035 0.0067 0.013 0.035 0.09 0.25 0.5)  # photo-mbt-q1..q10
copy_start() {  # STAGE Q: ROOT/photo_<STAGE><Q>.start.aec, copied once from ROOT/codecs
  # (or the shipped file), so that reruns resume from the same start
  local start="$root/photo_$1$2.start.aec" init="$root/codecs/photo-mbt-q$2.aec"
  [[ -f "$start" ]] && return
  [[ -f "$init" ]] || init="ae/store/codecs/photo-mbt-q$2.aec"
  cp "$init" "$start"
}
on_detail() {  # STAGE Q M STEPS SEED [FLAGS]: ROOT/photo_<STAGE><Q>.start.aec trained at
  # width M on detailed crops with mixed quantization (learning rate x0.1 for the last
  # sixth), exported and shipped to ROOT/codecs
  local w="$root/photo_$1$2" q=$2 m=$3 steps=$4 seed=$5
  local start="$w.start.aec"
  shift 5
  train --config=$photo --workdir="$w" --config.model.m="$m" \
      --config.rd.lmbda="${lambdas[$q]}" --config.rd.quantization=mixed \
      --config.data.candidates=2 --config.train.init_from="$start" \
      --config.train.num_steps="$steps" --config.train.lr_drop_step="$((steps * 5 / 6))" \
      --config.data.crop_seed="$seed" "$@" \
    && python3 -m experiments.export_codec --workdir="$w" --out="$w/codec.aec" \
    && cp "$w/codec.aec" "$root/codecs/photo-mbt-q$q.aec"
}

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
  train --config=$photo --workdir="$root/photo_base" --config.rd.lmbda=0.013
  train --config=$photo --workdir="$root/photo_base2" --config.train.init_from="$root/photo_base" \
      --config.data.crop_seed=1 --config.train.num_steps=25000 --config.train.lr_drop_step=20000
  q=3
  for l in 0.0018 0.0035 0.0067 0.013; do
    train --config=$photo --workdir="$root/photo_q$q" --config.rd.lmbda=$l \
        --config.train.init_from="$root/photo_base2" --config.train.num_steps=10000 \
        --config.train.lr_drop_step=8000 \
        && export_ "photo_q$q" "photo-mbt-q$q"
    q=$((q + 1))
  done
  chain() {  # workdir lambda init steps lr_drop [more flags]: one fine-tune, exported
    local w=$1 l=$2 init=$3 steps=$4 drop=$5; shift 5
    train --config=$photo --workdir="$root/$w" --config.rd.lmbda=$l --config.train.init_from="$init" \
        --config.train.num_steps=$steps --config.train.lr_drop_step=$drop "$@" \
      && python3 -m experiments.export_codec --workdir="$root/$w" --out="$root/$w/codec.aec"
  }
  chain photo_l1 0.0009 "$root/codecs/photo-mbt-q3.aec" 3000 2400 && cp "$root/photo_l1/codec.aec" "$root/codecs/photo-mbt-q2.aec"
  chain photo_l2 0.0004 "$root/photo_l1/codec.aec" 3000 2400 && cp "$root/photo_l2/codec.aec" "$root/codecs/photo-mbt-q1.aec"
  chain photo_r5 0.025 "$root/codecs/photo-mbt-q6.aec" 2000 6500
  chain photo_h1 0.035 "$root/photo_r5" 4000 3200 && cp "$root/photo_h1/codec.aec" "$root/codecs/photo-mbt-q7.aec"
  chain photo_h2 0.09 "$root/photo_h1/codec.aec" 4000 3200
  chain photo_x2 0.09 "$root/photo_h2/codec.aec" 4000 3200 --config.data.crop_seed=3 \
    && cp "$root/photo_x2/codec.aec" "$root/codecs/photo-mbt-q8.aec"
  chain photo_x3 0.25 "$root/photo_x2/codec.aec" 4000 3200 --config.data.crop_seed=4 \
    && cp "$root/photo_x3/codec.aec" "$root/codecs/photo-mbt-q9.aec"
fi
if [[ "$which" == all || "$which" == photos || "$which" == polish ]]; then
  for q in $qualities; do
    [[ $q -le 9 ]] || continue  # q10 starts in the detail stage
    copy_start p "$q"
    start="$root/photo_p$q.start.aec"
    train --config=$photo --workdir="$root/photo_p$q" --config.rd.lmbda="${lambdas[$q]}" \
        --config.rd.quantization=mixed --config.train.init_from="$start" \
        --config.train.learning_rate=1e-4 --config.train.num_steps=4000 \
        --config.train.lr_drop_step=3200 --config.data.crop_seed=$((10 + q)) \
      && python3 -m experiments.export_codec --workdir="$root/photo_p$q" --out="$root/photo_p$q/codec.aec" \
      && cp "$root/photo_p$q/codec.aec" "$root/codecs/photo-mbt-q$q.aec"
  done
fi
if [[ "$which" == all || "$which" == photos || "$which" == detail ]]; then
  detail=(--config.rd.quantization=mixed --config.data.candidates=2)
  for q in ${3:-10 1 2 3 4 5 6 7 8 9}; do
    if [[ $q == 10 ]]; then
      copy_start d 9
      start="$root/photo_d9.start.aec"
      train --config=$photo --workdir="$root/photo_t10" --config.rd.lmbda=0.5 "${detail[@]}" \
          --config.train.init_from="$start" --config.train.num_steps=5000 \
          --config.train.lr_drop_step=4000 --config.data.crop_seed=40 \
        && python3 -m experiments.export_codec --workdir="$root/photo_t10" \
            --out="$root/photo_t10/codec.aec"
      init="$root/photo_t10/codec.aec"
    else
      copy_start d "$q"
      init="$root/photo_d$q.start.aec"
    fi
    train --config=$photo --workdir="$root/photo_d$q" --config.rd.lmbda="${lambdas[$q]}" \
        "${detail[@]}" --config.train.init_from="$init" \
        --config.train.learning_rate=1e-4 --config.train.num_steps=4000 \
        --config.train.lr_drop_step=3200 --config.data.crop_seed=$((30 + q)) \
      && python3 -m experiments.export_codec --workdir="$root/photo_d$q" --out="$root/photo_d$q/codec.aec"
    [[ $q == 10 ]] || cp "$root/photo_d$q/codec.aec" "$root/codecs/photo-mbt-q$q.aec"
    if [[ $q == 10 ]]; then  # q10 widened to M=192 (ae.compression.widen), then trained on
      train --config=$photo --workdir="$root/photo_w10" --config.model.m=192 \
          --config.rd.lmbda=0.5 "${detail[@]}" --config.train.init_from="$root/photo_d10/codec.aec" \
          --config.train.num_steps=12000 --config.train.lr_drop_step=10000 \
          --config.data.crop_seed=50 \
        && python3 -m experiments.export_codec --workdir="$root/photo_w10" \
            --out="$root/photo_w10/codec.aec" \
        && cp "$root/photo_w10/codec.aec" "$root/codecs/photo-mbt-q10.aec"
    fi
  done
fi
if [[ "$which" == all || "$which" == photos || "$which" == widen ]]; then
  # Widen to M=192 latent channels (ae.compression.widen keeps what each codec computes)
  # and train on detailed crops, crop seed 50+N.
  for q in ${3:-9 8 7 6 5 4 3 2 1}; do
    [[ $q -le 9 ]] || continue  # q10 is widened in the detail stage
    copy_start w "$q"
    on_detail w "$q" 192 "${WIDEN_STEPS:-$([[ $q -ge 8 ]] && echo 12000 || echo 8000)}" \
      $((50 + q))
  done
fi
if [[ "$which" == all || "$which" == photos || "$which" == more ]]; then
  for q in ${3:-10 9 8 7}; do
    copy_start m "$q"
    m=$(python3 -c 'import json, sys; from ae.store import bundle
print(json.loads(bundle.unpack(open(sys.argv[1], "rb").read())["model"])["m"])' \
        "$root/photo_m$q.start.aec")
    on_detail m "$q" "$m" "${MORE_STEPS:-$([[ $q == 8 ]] && echo 4000 || echo 8000)}" \
      $((70 + q)) --config.train.learning_rate=1e-4
  done
fi
