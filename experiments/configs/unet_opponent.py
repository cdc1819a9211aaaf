r"""A colour photo denoiser told the noise level: `ae.models.opponent.OpponentUNet`, a
noise-map U-Net (widths 24-48-64) on the luma of an opponent colour space and a second
one on the two chroma channels, guided by the denoised luma. Both start from the shipped
gray noise-map U-Net (`train.init_from`; the guide's kernel starts at zero, so step 0 is
the gray model run on each opponent channel). The luma branch is held fixed
(`model.train_luma=False`: it is the shipped gray model, and training time goes to
chroma). Random 64x64 RGB crops of the offline photo set's train split with the eight
flips and rotations, a fresh sigma per crop from U[0, 75] (0-255 scale, RGB), half of
the noisy crops clipped and rounded to 8 bits; loss 1/2 E||x - f(y, sigma)||^2 in RGB,
batch 8, 6,000 steps of Adam 2e-4 (2e-5 from step 5,000), gradient norm clipped to 1;
about 0.9 s a step on the 2 CPU cores here.

  python -m experiments.train --config=experiments/configs/unet_opponent.py \
      --workdir=workdirs/unet_opponent
  python -m experiments.export_denoiser --workdir=workdirs/unet_opponent \
      --out=workdirs/unet_opponent/photo-unet-rgb.aed

The shipped `photo-unet-rgb` ran 6,000 more sigma-weighted chroma steps and took the
shipped gray model as its luma (`scripts/retrain_denoisers.sh`, docs/denoising.md).

`:luma_guide` continues the shipped colour model with the noisy chroma planes as guide
channels of the luma branch (`model.luma_guide`; their kernels start at zero, so step 0
is the model it starts from), both branches trained, Adam 1e-4 (1e-5 from step 2,000),
2,500 steps (measured: no gain over its start, docs/denoising.md; not shipped):

  python -m experiments.train --config=experiments/configs/unet_opponent.py:luma_guide \
      --workdir=workdirs/unet_opponent_lg --config.data.crop_seed=17
"""

from experiments.configs import unet_map


def get_config(arg: str = ""):
  config = unet_map.get_config("gray")
  config.model.name = "opponent_unet"
  del config.model["residual"], config.model["noise_map"]
  config.model.train_luma = False
  config.data.gray = False
  config.train.init_from = "ae/store/denoisers/photo-unet-gray.aed"
  config.train.batch_size = 8
  config.train.num_steps = 6000
  config.train.learning_rate = 2e-4
  config.train.lr_drop_step = 5000
  if arg == "luma_guide":
    config.model.luma_guide = True
    config.model.train_luma = True
    config.train.init_from = "ae/store/denoisers/photo-unet-rgb.aed"
    config.train.num_steps = 2500
    config.train.learning_rate = 1e-4
    config.train.lr_drop_step = 2000
  elif arg:
    raise ValueError(f"unet_opponent.py: unknown variant {arg!r} (luma_guide or none)")
  return config
