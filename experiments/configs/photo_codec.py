r"""A photo codec trained on this 2-core CPU: mbt2018_mean (mean-scale hyperprior,
no context model) at reduced widths N=64, M=96 (the shipped rates widened to M=192) on random
128x128 crops (with flips) of the offline photo set's train split (`ae.data.photos`), evaluated on
256x256 centre crops of its held-out lossless test photos. Loss = bpp +
lambda * 255^2 * MSE, batch 4, Adam 2e-4 (2e-5 for the last 20% of steps) after
clipping the gradient's global norm to 1 (as CompressAI does), and 1e-2 for the
entropy models' quantiles (their own Adam: see make_optimizer).

Learning rate, measured (1,000 steps of 64x64 crops, batch 16, both runs at
once): RD loss 4.87 at 1e-4, 3.90 at 3e-4, and 6.07 at 1e-3 after 750 steps
(5.36 at 1e-4 then). But a run at 3e-4 without clipping diverged after 3,100
steps (PSNR 23.9 dB, then -1 dB with gradient norm 2e12), hence 2e-4 and clipping.
The shipped rates are one run of 30,000 steps at lambda 0.013 (about 26 minutes
here), continued (`--config.train.init_from`: parameters only, fresh Adam) for
25,000 steps on a fresh draw of crops, then fine-tuned from that for 10,000 steps
at each of 0.0018, 0.0035, 0.0067 and 0.013 (photo-mbt-q3..q6); the lower and higher
rates (q1, q2: 0.0004, 0.0009; q7, q8, q9: 0.035, 0.09, 0.25) are chains of fine-tunes
from those; then every rate is polished for 4,000 steps with mixed quantization
(`--config.rd.quantization=mixed`: noise for the rate, rounding into the decoders) at
Adam 1e-4, 1e-5 for the last 800, and polished again so on detailed crops
(`--config.data.candidates=2`: the more textured of two random crops); the top rate q10
(lambda 0.5) is 5,000 steps from q9 before that second polish, polished with the
others, then widened to M=192 (`--config.model.m=192`, ae.compression.widen) and trained
12,000 steps more; q9 down to q1 were widened so too (12,000 steps for q9 and q8, 8,000
for the others); q10, q9, q8 and q7 then trained 8,000, 8,000, 4,000 and 8,000 steps
more at Adam 1e-4. scripts/retrain_codecs.sh runs them all:

  python -m experiments.train --config=experiments/configs/photo_codec.py \
      --workdir=workdirs/photo_base
  python -m experiments.train --config=experiments/configs/photo_codec.py \
      --workdir=workdirs/photo_base2 --config.train.init_from=workdirs/photo_base \
      --config.data.crop_seed=1 --config.train.num_steps=25000 \
      --config.train.lr_drop_step=20000
  python -m experiments.train --config=experiments/configs/photo_codec.py \
      --workdir=workdirs/photo_q3 --config.rd.lmbda=0.0018 \
      --config.train.init_from=workdirs/photo_base2 --config.train.num_steps=10000 \
      --config.train.lr_drop_step=8000
  python -m experiments.export_codec --workdir=workdirs/photo_q3 \
      --out=workdirs/photo_q3/codec.aec
"""

from experiments.configs import hyperprior


def use_photos(
  config,
  num_steps: int,
  eval_every: int,
  crop_size: int = 64,
  batch_size: int = 16,
  num_crops: int = 24000,
):
  """Trains on random crop_size^2 crops (with flips) of the offline photo set for
  `num_steps`, and evaluates on 256x256 centre crops of its test photos. Crops are
  drawn on the fly from the whole photos (`ae.data.crops`, a function of crop_seed,
  step and position); `num_crops` is the length of an epoch."""
  config.data.name = "photos"
  config.data.crop_size = crop_size
  config.data.num_crops = num_crops
  config.data.crop_seed = 0
  config.data.candidates = 1  # >1: keep the most detailed of that many crops (ae.data.crops)
  config.data.eval_crop_size = 256
  config.train.batch_size = batch_size
  config.train.num_epochs = 0
  config.train.num_steps = num_steps
  config.train.steps_per_call = 5
  config.train.log_every_steps = 250
  config.train.eval_every_steps = eval_every
  config.train.checkpoint_every_steps = eval_every
  config.eval_batch_size = 4
  config.num_figure_images = 3
  return config


def get_config():
  config = hyperprior.get_config()
  config.model.name = "mbt2018_mean"
  config.model.n, config.model.m = 64, 96
  config.rd.lmbda = 0.013
  use_photos(config, num_steps=30000, eval_every=1000, crop_size=128, batch_size=4, num_crops=24000)
  config.train.learning_rate = 2e-4
  config.train.grad_clip_norm = 1.0
  config.train.aux_learning_rate = 1e-2
  config.train.lr_drop_step = 24000
  return config
