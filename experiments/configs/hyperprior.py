r"""Convolutional codecs with GDN: bls2017 (factorized), bmshj2018 (scale hyperprior),
mbt2018_mean (mean-scale hyperprior, no context model).

The offline default trains on Fashion-MNIST (28x28 gray, padded to 32 inside the
model) with reduced widths N=64, M=96; `--config.data.name=photos` trains on the
offline photo set (see photo_codec.py), `folder:PATH` on a folder of photos of one size.
Loss = bpp + lambda * 255^2 * MSE; convolution steps are unrolled (see conv.py).

  python -m experiments.train --config=experiments/configs/hyperprior.py \
      --workdir=workdirs/bmshj2018_l0.01 --config.model.name=bmshj2018 --config.rd.lmbda=0.01
"""

from experiments.configs import dense_codec


def get_config():
  config = dense_codec.get_config()
  config.model.name = "bmshj2018"  # or bls2017, mbt2018_mean
  del config.model["hidden_sizes"]
  del config.model["latent_size"]
  config.model.n = 64
  config.model.m = 96
  config.model.family = "gaussian"  # or laplace (hyperprior models)
  config.train.batch_size = 32
  config.train.num_epochs = 5
  config.train.steps_per_call = 5  # 1875 steps per epoch = 375 calls
  config.train.unroll_steps = True
  config.train.log_every_steps = 375
  config.train.eval_every_steps = 1875
  config.train.checkpoint_every_steps = 1875
  return config
