r"""A colour photo denoiser told the noise level: `ae.models.opponent.OpponentUNet`, a
noise-map U-Net on the luma of an opponent colour space (widths 24-48-64-96, the shipped
gray model) and a second one on the two chroma channels (widths 24-48-64,
`model.chroma_widths`), guided by the denoised luma. Random 64x64 RGB crops of the
offline photo set's train split with the eight flips and rotations, a fresh sigma per
crop from U[0, 75] (0-255 scale, RGB), half of the noisy crops clipped and rounded to 8
bits; loss 1/2 E||x - f(y, sigma)||^2 in RGB, batch 8, Adam with gradient norm clipped
to 1. The luma branch is held fixed (`model.train_luma=False`: it is the shipped gray
model, and training time goes to chroma).

The default continues the shipped colour model (`train.init_from`), 6,000 steps of Adam
2e-4 (2e-5 from step 5,000); about 0.45 s a step on one core here:

  python -m experiments.train --config=experiments/configs/unet_opponent.py \
      --workdir=workdirs/unet_opponent
  python -m experiments.export_denoiser --workdir=workdirs/unet_opponent \
      --luma=ae/store/denoisers/photo-unet-gray.aed --out=workdirs/unet_opponent/rgb.aed

`:three_level` builds both branches with widths 24-48-64 and starts them from a gray
noise-map U-Net of those widths (`--config.train.init_from=GRAY.aed`; the chroma guide's
kernel starts at zero, so step 0 is the gray model run on each opponent channel): the
first stages of the shipped model (`scripts/retrain_denoisers.sh`, docs/denoising.md).

`:luma_guide` continues the shipped colour model with the noisy chroma planes as guide
channels of the luma branch (`model.luma_guide`; their kernels start at zero, so step 0
is the model it starts from), both branches trained, Adam 1e-4 (1e-5 from step 2,000),
2,500 steps (measured on an earlier colour model: no gain over its start,
docs/denoising.md; not shipped):

  python -m experiments.train --config=experiments/configs/unet_opponent.py:luma_guide \
      --workdir=workdirs/unet_opponent_lg --config.data.crop_seed=17
"""

from experiments.configs import unet_map


def get_config(arg: str = ""):
  config = unet_map.get_config("gray")
  config.model.name = "opponent_unet"
  del config.model["residual"], config.model["noise_map"]
  config.model.widths = (24, 48, 64, 96)
  config.model.chroma_widths = (24, 48, 64)
  config.model.train_luma = False
  config.data.gray = False
  config.train.init_from = "ae/store/denoisers/photo-unet-rgb.aed"
  config.train.batch_size = 8
  config.train.num_steps = 6000
  config.train.learning_rate = 2e-4
  config.train.lr_drop_step = 5000
  if arg == "three_level":
    config.model.widths = config.model.chroma_widths = (24, 48, 64)
    config.train.init_from = ""
  elif arg == "luma_guide":
    config.model.luma_guide = True
    config.model.train_luma = True
    config.train.num_steps = 2500
    config.train.learning_rate = 1e-4
    config.train.lr_drop_step = 2000
  elif arg:
    raise ValueError(f"unet_opponent.py: unknown variant {arg!r} (three_level, luma_guide or none)")
  return config
