r"""bmshj2018 train step (N=128, M=192, batch 8 of 128x128 RGB): JAX against PyTorch.

  pip install torch   # for this script only; not a dependency of ae
  python scripts/bench_codec_step.py [--repeats=5] [--n=128 --m=192 --batch=8 --size=128]

Both sides run the same computation: GDN analysis, IGDN synthesis with 5x5
stride-2 transposed convolutions, hyper-analysis/synthesis, a factorized prior
on z and a Gaussian conditional on y, loss bpp + lambda 255^2 MSE, one Adam
update. Every step runs once per round, in rounds interleaved so that all see the
same machine load. Prints the median seconds per step of each, the median
per-round ratio of JAX to PyTorch, and JAX with each of ae's convolution
replacements undone in turn: kernel gradients over the whole batch instead of
cache-sized chunks, autodiff's strided-conv gradients in the analysis transforms
(flax's Conv), the input-dilated forward of the transposed convolution, XLA's
own transposed-convolution gradient, XLA's convolutions for the hyperprior's 2x2
and 4x4 maps instead of patch products, and the sub-pixel kernels built by a
gather instead of static slices.
Target (issue 4): JAX no slower than PyTorch on this CPU. With
`--compressai_python=VENV/bin/python` (a Python with torch and compressai, installed for
this script only) also CompressAI's own step, its ScaleHyperprior with RateDistortionLoss
and the main and aux Adam optimizers (scripts/compressai_probe.py), timed after the
interleaved rounds, and the ratio of ae's median to it (target <= 0.8).
"""

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed steps; the median is shown.")
_N = flags.DEFINE_integer("n", 128, "Transform width N.")
_M = flags.DEFINE_integer("m", 192, "Latent channels M.")
_BATCH = flags.DEFINE_integer("batch", 8, "Batch size.")
_SIZE = flags.DEFINE_integer("size", 128, "Crop height and width.")
_COMPRESSAI = flags.DEFINE_string(
  "compressai_python", None, "A Python with torch and compressai: adds CompressAI's step."
)
LMBDA = 0.01


def interleaved_medians(fns: dict, repeats: int) -> tuple[dict, list[dict]]:
  """Times every fn once per round, `repeats` rounds after one warm-up round, so all
  see the same machine load; returns ({name: median seconds}, per-round seconds)."""
  for fn in fns.values():
    fn()
  rounds = []
  for _ in range(repeats):
    times = {}
    for name, fn in fns.items():
      t = time.perf_counter()
      fn()
      times[name] = time.perf_counter() - t
    rounds.append(times)
  return {k: statistics.median(r[k] for r in rounds) for k in fns}, rounds


def _dilated_forward(ct, cm):
  """ae's custom gradient with the input-dilated forward it replaced by a sub-pixel one."""
  fn = jax.custom_vjp(cm.dilated_transpose, nondiff_argnums=(2,))
  fn.defvjp(lambda x, w, s: (cm.dilated_transpose(x, w, s), (x, w)), ct._bwd)  # pylint: disable=protected-access
  return fn


def _gather_subpixel_kernel(w, stride):
  """`conv_math.subpixel_kernel` as an XLA gather (ae's earlier version)."""
  from ae.layers.conv_math import phase_taps  # pylint: disable=g-import-not-at-top

  k, s = w.shape[0], stride
  taps, _ = phase_taps(k, s)
  n = taps.shape[0]
  wz = jnp.pad(jnp.transpose(w, (0, 1, 3, 2)), ((0, 1), (0, 1), (0, 0), (0, 0)))  # tap k = 0
  kp = wz[taps[:, None, :, None], taps[None, :, None, :]]  # [n, n, s, s, C_in, C_out]
  return jnp.transpose(kp, (0, 1, 4, 2, 3, 5)).reshape(n, n, w.shape[3], s * s * w.shape[2])


def jax_step(n, m, batch, size, variant="ae"):
  """A function running one step, compiled; `variant` undoes one of ae's replacements
  (see the docstring) while it is traced."""
  import importlib  # pylint: disable=g-import-not-at-top

  import ml_collections  # pylint: disable=g-import-not-at-top

  from ae.models import build_model  # pylint: disable=g-import-not-at-top
  from ae.train import (
    objectives,  # pylint: disable=g-import-not-at-top
    parallel,  # pylint: disable=g-import-not-at-top
  )
  from ae.train import step as step_lib
  from ae.train.state import create_state, make_optimizer  # pylint: disable=g-import-not-at-top

  ct = importlib.import_module("ae.layers.conv_transpose")
  sc = importlib.import_module("ae.layers.strided_conv")
  cm = importlib.import_module("ae.layers.conv_math")
  saved = (
    ct.conv_transpose,
    sc._conv_fast,
    cm.CHUNK_BYTES,
    cm.SMALL_OUTPUT,  # pylint: disable=protected-access
    cm.subpixel_kernel,
  )
  if variant == "whole_batch_kernel_grad":
    cm.CHUNK_BYTES = 1 << 62
  elif variant == "autodiff_strided_conv":
    sc._conv_fast = cm.conv_same  # pylint: disable=protected-access
  elif variant == "dilated_forward":
    ct.conv_transpose = _dilated_forward(ct, cm)
  elif variant == "xla_transpose":  # autodiff through the input-dilated convolution
    ct.conv_transpose = cm.dilated_transpose
  elif variant == "xla_small_convs":
    cm.SMALL_OUTPUT = 0
  elif variant == "gather_subpixel_kernel":
    cm.subpixel_kernel = _gather_subpixel_kernel
  elif variant != "ae":
    raise ValueError(f"unknown variant {variant!r}")
  config = ml_collections.ConfigDict(
    {
      "model": {"name": "bmshj2018", "n": n, "m": m, "family": "gaussian"},
      "objective": "rate_distortion",
      "rd": {"lmbda": LMBDA, "track_rounded_rate": False},
      "train": {"learning_rate": 1e-4},
    }
  )
  mesh = parallel.make_mesh(jax.devices()[:1])
  model = build_model(config.model, (size, size, 3))
  params = model.init(
    {"params": jax.random.PRNGKey(0)},
    jnp.zeros((1, size, size, 3)),
    jax.random.PRNGKey(1),
    method="forward",
  )["params"]
  state = jax.device_put(
    create_state(model.apply, params, make_optimizer(config.train), jax.random.PRNGKey(2)),
    parallel.replicated(mesh),
  )
  fn = step_lib.make_train_fn(objectives.build_objective(model, config), mesh, unroll=True)
  x = np.random.default_rng(0).integers(0, 256, (1, batch, size, size, 3), dtype=np.uint8)
  holder = [state]

  def run():
    holder[0], metrics = fn(holder[0], x)
    jax.block_until_ready(metrics)

  try:
    run()  # traces and compiles with the variant's functions in place
  finally:
    (
      ct.conv_transpose,
      sc._conv_fast,
      cm.CHUNK_BYTES,
      cm.SMALL_OUTPUT,  # pylint: disable=protected-access
      cm.subpixel_kernel,
    ) = saved
  return run


def torch_step(n, m, batch, size):
  """(a function running the same step in PyTorch, its thread count)."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top

  class GDN(nn.Module):
    def __init__(self, c, inverse=False):
      super().__init__()
      self.inverse = inverse
      self.beta = nn.Parameter(torch.ones(c))
      self.gamma = nn.Parameter(0.1 * torch.eye(c))

    def forward(self, x):
      c = x.shape[1]
      norm = nn.functional.conv2d(x * x, self.gamma.abs().view(c, c, 1, 1), self.beta.abs() + 1e-6)
      return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)

  def conv(cin, cout, k=5, s=2):
    return nn.Conv2d(cin, cout, k, s, k // 2)

  def deconv(cin, cout, k=5, s=2):
    return nn.ConvTranspose2d(cin, cout, k, s, k // 2, output_padding=s - 1)

  class Model(nn.Module):
    def __init__(self):
      super().__init__()
      self.g_a = nn.Sequential(
        conv(3, n), GDN(n), conv(n, n), GDN(n), conv(n, n), GDN(n), conv(n, m)
      )
      self.g_s = nn.Sequential(
        deconv(m, n),
        GDN(n, True),
        deconv(n, n),
        GDN(n, True),
        deconv(n, n),
        GDN(n, True),
        deconv(n, 3),
      )
      self.h_a = nn.Sequential(conv(m, n, 3, 1), nn.ReLU(), conv(n, n), nn.ReLU(), conv(n, n))
      self.h_s = nn.Sequential(
        deconv(n, n), nn.ReLU(), deconv(n, n), nn.ReLU(), conv(n, m, 3, 1), nn.ReLU()
      )
      # Factorized prior on z as in Balle et al. 2018 (filters 3, 3, 3), one density per channel.
      dims = (1, 3, 3, 3, 1)
      self.mats = nn.ParameterList(
        [nn.Parameter(torch.zeros(n, dims[i + 1], dims[i])) for i in range(4)]
      )
      self.biases = nn.ParameterList(
        [nn.Parameter(torch.zeros(n, dims[i + 1], 1)) for i in range(4)]
      )
      self.factors = nn.ParameterList(
        [nn.Parameter(torch.zeros(n, dims[i + 1], 1)) for i in range(3)]
      )

    def logits(self, v):
      for i in range(4):
        v = torch.matmul(nn.functional.softplus(self.mats[i]), v) + self.biases[i]
        if i < 3:
          v = v + torch.tanh(self.factors[i]) * torch.tanh(v)
      return v

    def forward(self, x):
      y = self.g_a(x)
      z = self.h_a(torch.abs(y))
      z_t = z + torch.empty_like(z).uniform_(-0.5, 0.5)
      rows = z_t.permute(1, 0, 2, 3).reshape(z.shape[1], 1, -1)
      lo, up = self.logits(rows - 0.5), self.logits(rows + 0.5)
      sign = -torch.sign(lo + up).detach()
      p_z = torch.abs(torch.sigmoid(sign * up) - torch.sigmoid(sign * lo)).clamp_min(1e-9)
      scale = self.h_s(z_t).clamp_min(0.11)
      y_t = y + torch.empty_like(y).uniform_(-0.5, 0.5)
      normal = torch.distributions.Normal(0.0, 1.0)
      v = y_t.abs()
      p_y = (normal.cdf((0.5 - v) / scale) - normal.cdf((-0.5 - v) / scale)).clamp_min(1e-9)
      bits = -(torch.log2(p_y).sum() + torch.log2(p_z).sum())
      return self.g_s(y_t), bits

  torch.manual_seed(0)
  model = Model()
  opt = torch.optim.Adam(model.parameters(), lr=1e-4)
  x = torch.rand(batch, 3, size, size)

  def run():
    opt.zero_grad()
    x_hat, bits = model(x)
    loss = bits / (batch * size * size) + LMBDA * 255**2 * torch.mean((x - x_hat) ** 2)
    loss.backward()
    opt.step()

  return run, torch.get_num_threads()


VARIANTS = [
  ("ae", "JAX (ae)"),
  ("whole_batch_kernel_grad", "JAX, kernel gradients over the whole batch"),
  ("autodiff_strided_conv", "JAX, autodiff strided-conv gradients"),
  ("dilated_forward", "JAX, input-dilated transposed-conv forward"),
  ("xla_transpose", "JAX, XLA transposed-conv gradient"),
  ("xla_small_convs", "JAX, XLA convolutions on 2x2 and 4x4 maps"),
  ("gather_subpixel_kernel", "JAX, sub-pixel kernels by gather"),
]


def main(_):
  shape = (_N.value, _M.value, _BATCH.value, _SIZE.value)
  labels = dict(VARIANTS)
  fns = {name: jax_step(*shape, variant=name) for name, _ in VARIANTS}
  try:
    fns["torch"], threads = torch_step(*shape)
    labels["torch"] = f"PyTorch ({threads} threads)"
  except ImportError:
    print("PyTorch is not installed (pip install torch): no comparison")
  medians, rounds = interleaved_medians(fns, _REPEATS.value)
  for name, seconds in medians.items():
    print(f"{labels[name] + ':':46s}{seconds:.3f} s/step")
  if "torch" in fns:
    ratio = statistics.median(r["ae"] / r["torch"] for r in rounds)
    print(f"ratio JAX (ae) / PyTorch, median over rounds: {ratio:.2f} (target <= 1)")
  if _COMPRESSAI.value:
    theirs = compressai_step(_COMPRESSAI.value, *shape)
    print(f"{'CompressAI (its own step, main + aux Adam):':46s}{theirs:.3f} s/step")
    print(f"ratio JAX (ae) / CompressAI: {medians['ae'] / theirs:.2f} (target <= 0.8)")


def compressai_step(python: str, n: int, m: int, batch: int, size: int) -> float:
  """Median seconds of CompressAI's own train step, run by `python` (compressai_probe.py)."""
  import json  # pylint: disable=g-import-not-at-top
  import os  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top

  probe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compressai_probe.py")
  argv = [python, probe, "step", f"--n={n}", f"--m={m}", f"--batch={batch}", f"--size={size}"]
  # torch gets as many threads as the cores this process may run on, as XLA does
  argv += [f"--repeats={_REPEATS.value}", f"--threads={len(os.sched_getaffinity(0))}"]
  out = subprocess.run(argv, capture_output=True, text=True, check=False)
  if out.returncode:
    raise SystemExit(f"the CompressAI probe failed:\n{out.stderr[-2000:]}")
  return float(json.loads(out.stdout.strip().splitlines()[-1])["s_per_step"])


if __name__ == "__main__":
  app.run(main)
