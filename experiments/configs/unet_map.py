r"""A photo U-Net told the noise level (ae.models.denoise.DenoisingUNet with
`noise_map=True`, widths 24-48-64, a DRUNet-style noise-map input channel, Zhang et al.
2021): one model for every Gaussian sigma in [0, 75] (0-255 scale). It starts from the
shipped blind U-Net (`train.init_from`; the new input channel's kernel starts at zero,
so step 0 computes what the blind model does) and trains on random 64x64 crops of the
offline photo set's train split with the eight flips and rotations, a fresh sigma per
crop from U[0, 75], half of the noisy crops clipped and rounded to 8 bits; loss
1/2 E||x - f(y, sigma)||^2, batch 16, 3,000 steps of Adam 5e-4, gradient norm clipped
to 1; the shipped photo-unet-gray then ran 400 steps at 5e-5 from that run (second
command below).

  python -m experiments.train --config=experiments/configs/unet_map.py:gray \
      --workdir=workdirs/unet_map_gray
  python -m experiments.train --config=experiments/configs/unet_map.py:gray \
      --workdir=workdirs/unet_map_gray_polish --config.train.init_from=workdirs/unet_map_gray \
      --config.train.learning_rate=5e-5 --config.train.num_steps=400 \
      --config.train.eval_every_steps=0 --config.train.checkpoint_every_steps=200
  python -m experiments.export_denoiser --workdir=workdirs/unet_map_gray_polish \
      --out=workdirs/unet_map_gray_polish/photo-unet-gray.aed
"""

from experiments.configs import ffdnet


def get_config(arg: str = "gray"):
  config = ffdnet.get_config(arg)
  config.model = config.model.__class__()
  config.model.name = "denoise_unet"
  config.model.widths = (24, 48, 64)
  config.model.residual = True
  config.model.noise_map = True
  config.train.init_from = f"ae/store/denoisers/photo-unet-{arg}-blind.aed"
  config.train.num_steps = 3000
  config.train.lr_drop_step = 0
  config.train.learning_rate = 5e-4
  return config
