r"""A 2-D latent VAE (binarized Fashion-MNIST) for the latent-space and manifold figures.

python -m experiments.train --config=experiments/configs/vae_2d.py --workdir=workdirs/vae_l2
python scripts/make_figures.py --workdirs=workdirs/vae_l2
"""

from experiments.configs import vae


def get_config():
  config = vae.get_config()
  config.model.latent_size = 2
  config.eval.iwae_samples = 1000
  config.eval.iwae_examples = 2000  # first 2,000 test images
  return config
