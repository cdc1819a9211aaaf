r"""A photo codec trained on this 2-core CPU: mbt2018_mean (mean-scale hyperprior,
no context model) at reduced widths N=64, M=96 on random 64x64 crops (with
flips) of the offline photo set's train split (`ae.data.photos`), evaluated on
256x256 centre crops of its held-out lossless test photos. Loss = bpp +
lambda * 255^2 * MSE, Adam 1e-3 (1e-4 for the last 20% of steps), batch 16.

  python -m experiments.train --config=experiments/configs/photo_codec.py \
      --workdir=workdirs/photo_l0.01 --config.rd.lmbda=0.01
  python -m experiments.export_codec --workdir=workdirs/photo_l0.01 \
      --out=workdirs/photo_l0.01/codec.aec
"""

from experiments.configs import hyperprior


def use_photos(config, num_steps: int, eval_every: int):
  """Trains on random 64x64 crops (with flips) of the offline photo set, batch 16 for
  `num_steps`, and evaluates on 256x256 centre crops of its test photos."""
  config.data.name = "photos"
  config.data.crop_size = 64
  config.data.num_crops = 24000
  config.data.crop_seed = 0
  config.data.eval_crop_size = 256
  config.train.batch_size = 16
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
  use_photos(config, num_steps=6000, eval_every=1500)
  config.train.learning_rate = 1e-3
  config.train.lr_drop_step = 4800
  return config
