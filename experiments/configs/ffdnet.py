r"""A noise-level-conditioned photo denoiser (ae.models.denoise.FFDNet; Zhang, Zuo and
Zhang 2018): one model for every Gaussian sigma in [0, 75] (0-255 scale), told the
sigma through a noise-map channel. Trained on random 64x64 crops of the offline
photo set's train split (`ae.data.photos`) with the eight flips and rotations, a
fresh sigma per crop from U[0, 75], half of the noisy crops clipped and rounded to
8 bits as saved photos are; loss 1/2 E||x - f(y, sigma)||^2, batch 16, 5,000 steps,
Adam 1e-3 (1e-4 from step 4,000), gradient norm clipped to 1; evaluated on 256x256
centre crops of the held-out test photos. About 1.1 s per step on 2 CPU cores with
the two models training side by side (95 minutes each).

Gray (width 64, depth 15, the paper's gray model) and RGB (width 64, depth 12: the
paper has 96 wide, narrowed for the 2 s budget of a 512x512 photo on 2 CPU cores):

  python -m experiments.train --config=experiments/configs/ffdnet.py:gray \
      --workdir=workdirs/ffdnet_gray
  python -m experiments.train --config=experiments/configs/ffdnet.py:rgb \
      --workdir=workdirs/ffdnet_rgb
  python -m experiments.export_denoiser --workdir=workdirs/ffdnet_gray \
      --out=workdirs/ffdnet_gray/photo-ffdnet-gray.aed

Training is cumulative: `--config.train.init_from=ae/store/denoisers/photo-ffdnet-gray.aed`
continues from the shipped model (parameters only, fresh Adam).
"""

from experiments.configs import dae_unet, photo_codec


def get_config(arg: str = "gray"):
  if arg not in ("gray", "rgb"):
    raise ValueError(f"ffdnet config takes 'gray' or 'rgb', not '{arg}'")
  config = dae_unet.get_config()
  config.model = config.model.__class__()
  config.model.name = "ffdnet"
  config.model.width = 64
  config.model.depth = 15 if arg == "gray" else 12
  config.corruption.kind = "blind_gaussian"
  config.corruption.sigma_min = 0.0
  config.corruption.sigma_max = 75.0
  config.corruption.quantize = 0.5
  config.corruption.sigma_weighting = 0.0  # > 0: error weighted by 25 / max(sigma, it)
  photo_codec.use_photos(
    config, num_steps=5000, eval_every=500, crop_size=64, batch_size=16, num_crops=40000
  )
  config.data.gray = arg == "gray"
  config.data.chroma = 0.0  # share of gray crops given as opponent chroma (ae.data.crops)
  config.data.rotate = True
  config.train.learning_rate = 1e-3
  config.train.lr_drop_step = 4000
  config.train.grad_clip_norm = 1.0
  return config
