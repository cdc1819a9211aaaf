r"""Convolutional denoising autoencoder: a small U-Net with a residual output
(ae.models.denoise.DenoisingUNet, widths 32-64-96), blind over Gaussian sigma in
[0, 55] (0-255 scale) by default.

Fashion-MNIST (default, 1 epoch, batch 64; about 8 minutes here):
  python -m experiments.train --config=experiments/configs/dae_unet.py \
      --workdir=workdirs/dae_unet_fmnist
Photos (random 64x64 crops of the offline photo set's train split, RGB; add
--config.data.gray=True for the gray model), widths 24-48-64, 2500 steps, batch 16
(about 20 minutes here; the shipped RGB model ran --config.train.num_steps=1500):
  python -m experiments.train --config=experiments/configs/dae_unet.py:photos \
      --workdir=workdirs/dae_unet_photos_rgb
"""

from experiments.configs import dae


def get_config(arg: str = "fashion_mnist"):
  config = dae.get_config()
  config.model.name = "denoise_unet"
  del config.model["hidden_sizes"]
  del config.model["code_size"]
  del config.model["code_activation"]
  config.model.widths = (32, 64, 96)
  config.model.residual = True
  config.corruption.kind = "blind_gaussian"
  config.train.batch_size = 64
  config.train.num_epochs = 1
  config.train.steps_per_call = 5
  config.train.unroll_steps = True
  config.train.log_every_steps = 235
  config.train.eval_every_steps = 935
  config.train.checkpoint_every_steps = 935
  if arg == "photos":
    config.data.name = "photos"
    config.data.gray = False
    config.data.crop_size = 64
    config.data.num_crops = 24000
    config.data.crop_seed = 0
    config.data.eval_crop_size = 256
    config.train.batch_size = 16
    config.train.num_epochs = 0
    config.model.widths = (24, 48, 64)
    config.train.num_steps = 2500
    config.train.log_every_steps = 250
    config.train.eval_every_steps = 1000
    config.train.checkpoint_every_steps = 1000
    config.eval_batch_size = 4
    config.num_figure_images = 3
  return config
