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

from experiments.configs import dae, photo_codec


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
    photo_codec.use_photos(config, num_steps=2500, eval_every=1000)
    config.data.gray = False
    config.model.widths = (24, 48, 64)
  return config
