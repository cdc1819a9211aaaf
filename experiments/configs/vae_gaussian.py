r"""VAE with a Gaussian decoder on grayscale (not binarized) Fashion-MNIST.

p(x|z) = N(x; sigmoid(f(z)), sigma^2) per pixel, one learned sigma shared by all
pixels; pixel values in [0, 1], so the reported negative ELBO and IWAE NLL
(1,000 samples) are in nats of a continuous density on [0, 1]^784 and are not
comparable with the Bernoulli numbers.

  python -m experiments.train --config=experiments/configs/vae_gaussian.py \
      --workdir=workdirs/vae_gaussian_l20
"""

from experiments.configs import vae


def get_config():
  config = vae.get_config()
  config.model.likelihood = "gaussian"
  config.binarize = False
  config.eval.iwae_samples = 1000
  config.eval.iwae_examples = 2000  # first 2,000 test images
  return config
