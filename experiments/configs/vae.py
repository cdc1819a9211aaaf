r"""Variational autoencoder on dynamically binarized Fashion-MNIST (Kingma and Welling 2014).

Dense Gaussian encoder 784-500-(20 means, 20 log-variances), decoder 20-500-784
Bernoulli logits, prior N(0, I); loss = negative ELBO in nats per image with the
analytic KL; each step binarizes its batch afresh (x_bin ~ Bernoulli(x)). Adam
1e-3, batch 128, 30 epochs (the flax VAE example's setting). At the end: test
negative ELBO on the whole test split and the IWAE bound with 5,000 samples
(Burda et al. 2016) as the NLL estimate on all 10,000 test images (about 20
minutes on 2 cores; `--config.eval.iwae_examples=2000` for the first 2,000, with
the negative ELBO on those beside it), the test split binarized once from the
seed.

  python -m experiments.train --config=experiments/configs/vae.py --workdir=workdirs/vae_l20
  python -m experiments.train --config=experiments/configs/vae.py --workdir=workdirs/vae_l50 \
      --config.model.latent_size=50

Results on the 2-core CPU machine: see README.md's VAE table.
"""

import ml_collections

from experiments.configs import deep


def get_config():
  config = deep.get_config()
  config.model = ml_collections.ConfigDict()
  config.model.name = "vae"
  config.model.hidden_sizes = (500,)
  config.model.latent_size = 20
  config.model.likelihood = "bernoulli"
  config.model.hidden_activation = "relu"
  config.objective = "vae"
  config.binarize = True
  config.pca_baseline = False
  config.train.num_epochs = 30
  config.eval = ml_collections.ConfigDict()
  config.eval.iwae_samples = 5000
  config.eval.iwae_chunk = 500  # samples per step of the IWAE scan
  config.eval.iwae_batch = 100  # test images per IWAE call
  config.eval.iwae_examples = 0  # first N test images; 0 = all (about 20 min on 2 cores)
  return config
