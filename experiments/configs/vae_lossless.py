r"""VAE with a discretized logistic decoder on 8-bit Fashion-MNIST: a lossless code.

Dense Gaussian encoder 784-500-(32 means, 32 log-variances), decoder 32-500-1568 (a
mean and a log scale per pixel of a logistic discretized to the 256 pixel levels,
Salimans et al. 2017), prior N(0, I); loss = negative ELBO in nats per image, Adam
1e-3, batch 128, 30 epochs. Its negative ELBO is a code length: bits-back coding
(ae.codec.bitsback, Townsend et al. 2019) writes real lossless files at about that
size. Test NLL by the IWAE bound with 1,000 samples on the first 2,000 test images.
`config.beta` != 1 weighs the KL (the beta-VAE sweep of docs/lossless.md).

  python -m experiments.train --config=experiments/configs/vae_lossless.py \
      --workdir=workdirs/vae_lossless
  python -m experiments.export_codec --workdir=workdirs/vae_lossless \
      --out=workdirs/vae_lossless/fmnist-vae-lossless.aec --param_dtype=float16
"""

from experiments.configs import vae


def get_config():
  config = vae.get_config()
  config.model.likelihood = "logistic"
  config.model.latent_size = 32
  config.binarize = False
  config.beta = 1.0
  config.eval.iwae_samples = 1000
  config.eval.iwae_examples = 2000  # first 2,000 test images
  return config
