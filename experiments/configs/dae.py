r"""Dense denoising autoencoder for 28x28 images: 784-512-256-512-784 (ReLU, sigmoid).

Trained on Fashion-MNIST with a corruption drawn afresh each step (ae.corruptions):
Gaussian noise at sigma (0-255 scale, unclipped), or blind over sigma in [0, 55].
Loss 1/2 E||x - f(x_noisy)||^2, Adam 1e-3, batch 128, 20 epochs.

  python -m experiments.train --config=experiments/configs/dae.py --workdir=workdirs/dae_s25 \
      --config.corruption.sigma=25
  python -m experiments.train --config=experiments/configs/dae.py --workdir=workdirs/dae_blind \
      --config.corruption.kind=blind_gaussian

Other corruptions: --config.corruption.kind=keras (factor 0.5, clipped), salt_pepper
(--config.corruption.amount), masking (--config.corruption.fraction). results.json's
`denoising` key holds the test PSNR of the noisy input and of the output.
"""

import ml_collections

from experiments.configs import deep


def get_config():
  config = deep.get_config()
  config.model.hidden_sizes = (512,)
  config.model.code_size = 256
  config.model.code_activation = "relu"
  config.objective = "denoising"
  config.corruption = ml_collections.ConfigDict()
  config.corruption.kind = "gaussian"
  config.corruption.sigma = 25.0
  config.corruption.sigma_min = 0.0
  config.corruption.sigma_max = 55.0
  config.corruption.factor = 0.5
  config.corruption.amount = 0.1
  config.corruption.fraction = 0.25
  config.pca_baseline = False
  return config
