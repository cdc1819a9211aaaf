r"""Deep dense autoencoder 784-512-256-k-256-512-784 (ReLU, linear code, sigmoid output).

Loss 1/2 E||x - x_hat||^2, Adam 1e-3, batch 128, 20 epochs, offline Fashion-MNIST.

  python -m experiments.train --config=experiments/configs/deep.py --workdir=workdirs/deep_k32 \
      --config.model.code_size=32

Result on the 2-core CPU machine: see README.md's AE-vs-PCA table
(`python scripts/ae_vs_pca.py --workdir=workdirs/ae_vs_pca`).
"""

from experiments.configs import seed


def get_config():
  config = seed.get_config()
  config.model.hidden_sizes = (512, 256)
  config.model.code_size = 32
  config.model.code_activation = "linear"
  config.train.batch_size = 128
  config.train.num_epochs = 20
  config.train.steps_per_call = 78  # 468 steps per epoch = 6 calls
  config.train.log_every_steps = 156
  config.train.eval_every_steps = 468
  config.train.checkpoint_every_steps = 468
  return config
