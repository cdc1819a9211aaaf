r"""The seed article's autoencoder, trained end to end:
784 -> Dense(256, relu) -> Dense(784, sigmoid).

Loss: 1/2 E_x ||x - x_hat||^2 (per image, half the squared L2 error over 784
pixels in [0, 1], averaged over the batch), Adam at 1e-3, batch 32, 20 epochs,
offline Fashion-MNIST.

  python -m experiments.train --config=experiments/configs/seed.py --workdir=workdirs/seed

Result on the 2-core CPU machine (results.json): test MSE 0.00335, PSNR 24.75 dB;
exact PCA with 256 components: MSE 0.00299 (0.00274 clipped to [0, 1]).
The shallow seed model does not beat PCA at 256 components.
"""

import ml_collections

from ae.data import defaults


def get_config() -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.seed = 0

  config.data = defaults.data_config("fashion_mnist")

  config.model = ml_collections.ConfigDict()
  config.model.name = "dense"
  config.model.hidden_sizes = ()  # encoder widths; the decoder mirrors them
  config.model.code_size = 256
  config.model.hidden_activation = "relu"
  config.model.code_activation = "relu"
  config.model.output_activation = "sigmoid"

  config.objective = "reconstruction"

  config.train = ml_collections.ConfigDict()
  config.train.batch_size = 32
  config.train.num_epochs = 20
  config.train.num_steps = 0  # > 0 overrides num_epochs
  config.train.learning_rate = 1e-3
  config.train.aux_learning_rate = 0.0  # > 0: own Adam for entropy-model quantiles
  config.train.init_from = ""  # a workdir or .aec codec whose parameters start this run
  config.train.init_partial = False  # only init_from's parameters of equal path and shape
  config.train.grad_clip_norm = 0.0  # 0 = no clipping
  config.train.steps_per_call = 75  # steps fused into one jitted call by lax.scan
  config.train.unroll_steps = False  # unroll that scan (faster for convolutions on CPU)
  config.train.compute_dtype = ""  # "bfloat16": mixed precision (GPU/TPU); "" float32
  config.train.profile_steps = 0  # > 0: a jax.profiler trace of that many steps in DIR/profile
  config.train.log_every_steps = 375
  config.train.eval_every_steps = 1875  # one epoch at batch 32
  config.train.checkpoint_every_steps = 1875
  config.train.keep_checkpoints = 3

  config.eval_batch_size = 1000
  config.pca_baseline = True
  config.num_figure_images = 16
  config.tensorboard = True
  config.progress = True
  return config
