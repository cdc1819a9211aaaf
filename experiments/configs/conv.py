r"""Convolutional autoencoder: two 3x3 stride-2 convs (32, 64), dense 512 and 256,
code k; mirrored decoder.

Training steps are unrolled 6 at a time (XLA on CPU runs convolutions inside a
scanned loop about 15x slower).

The dense head is the deep dense model's (512, 256): with one 256 layer the k = 2
model stayed behind the dense one (0.0254 against 0.0249 at 20 epochs).

Loss 1/2 E||x - x_hat||^2, Adam 1e-3, batch 128, 20 epochs (as the dense model),
offline Fashion-MNIST.

  python -m experiments.train --config=experiments/configs/conv.py --workdir=workdirs/conv_k32 \
      --config.model.code_size=32

Result on the 2-core CPU machine: see README.md's AE-vs-PCA table
(`python scripts/ae_vs_pca.py --workdir=workdirs/ae_vs_pca`).
"""

from experiments.configs import deep


def get_config():
  config = deep.get_config()
  config.model.name = "conv"
  config.model.channels = (32, 64)
  config.model.kernel_size = 3
  config.model.hidden_sizes = (512, 256)  # dense layers between the conv features and the code
  config.train.steps_per_call = 6  # 468 steps per epoch = 78 calls
  config.train.unroll_steps = True
  return config
