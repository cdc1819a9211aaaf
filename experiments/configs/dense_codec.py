r"""The seed's dense autoencoder made a real codec: 784 -> 256 -> 64 latents -> 256 -> 784.

Latents are quantized (uniform noise in training, rounding around the channel
medians at inference) and coded with a learned factorized prior (Balle et al.
2018, appendix 6.1). Loss = bpp + lambda * 255^2 * MSE, Adam 1e-3, batch 128,
20 epochs, offline Fashion-MNIST. Lambda sets the rate:

  python -m experiments.train --config=experiments/configs/dense_codec.py \
      --workdir=workdirs/dense_codec_l0.01 --config.rd.lmbda=0.01
  python -m experiments.export_codec --workdir=workdirs/dense_codec_l0.01 \
      --out=workdirs/dense_codec_l0.01/codec.aec
"""

import ml_collections

from experiments.configs import deep


def get_config():
  config = deep.get_config()
  config.model = ml_collections.ConfigDict()
  config.model.name = "dense_codec"
  config.model.hidden_sizes = (256,)
  config.model.latent_size = 64
  config.objective = "rate_distortion"
  config.rd = ml_collections.ConfigDict()
  config.rd.lmbda = 0.01  # weight of the MSE on the [0, 255] scale
  config.rd.track_rounded_rate = True
  config.rd.quantization = "noise"  # or "mixed": straight-through rounding into the decoders
  config.pca_baseline = False
  return config
