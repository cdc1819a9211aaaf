r"""Sparse autoencoder: 784 -> 256 sigmoid units -> 784, with a KL sparsity penalty.

Loss = 1/2 E||x - x_hat||^2 + kl_weight * sum_j KL(target || rho_hat_j), rho_hat_j
the batch-mean activation of code unit j (Ng, CS294A "Sparse autoencoder" notes).
For an L1 activity penalty on ReLU codes instead:
--config.sparsity.kl_weight=0 --config.sparsity.l1_weight=1e-3 --config.model.code_activation=relu.
Reports the test MSE, mean activation, fraction of near-zero entries and of dead units.

  python -m experiments.train --config=experiments/configs/sparse.py --workdir=workdirs/sparse
"""

import ml_collections

from experiments.configs import deep


def get_config():
  config = deep.get_config()
  config.model.hidden_sizes = ()
  config.model.code_size = 256
  config.model.code_activation = "sigmoid"
  config.objective = "sparse"
  config.sparsity = ml_collections.ConfigDict()
  config.sparsity.target = 0.05  # rho, the wanted mean activation
  config.sparsity.kl_weight = 1.0
  config.sparsity.l1_weight = 0.0
  config.sparsity.near_zero = 0.01  # |z| below this counts as inactive
  return config
