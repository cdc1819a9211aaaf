r"""Training throughput of the seed autoencoder (784-256-784) on this machine.

  python scripts/bench_train.py [--batch_sizes=32,256] [--steps_per_call=75] [--repeats=5]

Prints images per second for (a) a plain loop of one jitted step per batch (loss only,
no norms) and
(b) the runner's fused step (`lax.scan` over `steps_per_call` batches, state
donated, uint8 batches gathered on the host and converted on device, the norms of
gradient and parameters at the chunk's last step), each the median of `repeats`
timed runs after a warm-up, the fraction of this machine's float32 matrix-multiply
peak that (b) reaches, and (c) = (b) with the norms at every step. Work per image per
step: forward 2 x (784 x 256) x 2 FLOP, backward twice that: 2.41 MFLOP.
Targets (issue 2): >= 25,000 img/s at batch 32 and >= 40,000 at batch 256.
"""

import os as _os
import sys as _sys

# experiments/ is not installed: scripts run from a checkout and import it from its root.
_ROOT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
_sys.path.insert(0, _ROOT) if _ROOT not in _sys.path else None
import statistics
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import app, flags

from ae.data import pipeline
from ae.models import build_model
from ae.train import objectives, parallel
from ae.train import step as step_lib
from ae.train.state import create_state, make_optimizer
from experiments.configs import seed

FLAGS = flags.DEFINE_list("batch_sizes", ["32", "256"], "Batch sizes to time.")
_K = flags.DEFINE_integer("steps_per_call", 75, "Steps fused per jitted call.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed runs per setting; the median is shown.")
_IMAGES = flags.DEFINE_integer("images_per_run", 60_000, "Training images per timed run.")
FLOP_PER_IMAGE = 3 * 2 * 2 * 784 * 256


def matmul_peak_flops(n: int = 2048, repeats: int = 10) -> float:
  """Median float32 FLOP/s of an n x n x n matrix product on the default device."""
  a = jnp.ones((n, n), jnp.float32)
  f = jax.jit(lambda x: x @ x)
  f(a).block_until_ready()
  times = []
  for _ in range(repeats):
    t = time.perf_counter()
    f(a).block_until_ready()
    times.append(time.perf_counter() - t)
  return 2 * n**3 / statistics.median(times)


def _setup(batch_size: int, config: ml_collections.ConfigDict):
  mesh = parallel.make_mesh(jax.devices()[:1])
  model = build_model(config.model, (28, 28, 1))
  params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 28, 28, 1)))["params"]
  state = jax.device_put(
    create_state(model.apply, params, make_optimizer(config.train), jax.random.PRNGKey(1)),
    parallel.replicated(mesh),
  )
  return mesh, state, objectives.build_objective(model, config)


def time_plain_loop(batch_size, config, data, steps) -> float:
  """A plain Flax loop: one jitted (donated) step per batch; returns seconds for `steps`."""
  _, state, loss_fn = _setup(batch_size, config)
  step = jax.jit(lambda s, x: step_lib.train_step(s, x, loss_fn, norms=False), donate_argnums=0)
  sched = pipeline.BatchSchedule(len(data), batch_size, jax.random.PRNGKey(0))
  state, m = step(state, data[sched.indices(0, 1)[0]])
  jax.block_until_ready(m)
  t = time.perf_counter()
  for i in range(steps):
    state, m = step(state, data[sched.indices(i, 1)[0]])
  jax.block_until_ready(m)
  return time.perf_counter() - t


def time_fused(batch_size, config, data, steps, k, every_step_norms=False) -> float:
  """The runner's path: host gather -> sharded uint8 chunk -> scanned, donated step.
  `every_step_norms`: the gradient's and parameters' norms at every step, not only at
  the chunk's last (what the runner did before)."""
  mesh, state, loss_fn = _setup(batch_size, config)
  fn = step_lib.make_train_fn(loss_fn, mesh)
  if every_step_norms:
    scan = lambda s, c: jax.lax.scan(lambda s, x: step_lib.train_step(s, x, loss_fn), s, c)
    fn = jax.jit(scan, donate_argnums=0)
  sched = pipeline.BatchSchedule(len(data), batch_size, jax.random.PRNGKey(0))
  sharding = parallel.batch_sharding(mesh, 1)
  put = lambda s: jax.device_put(data[sched.indices(s, k)], sharding)
  state, m = fn(state, put(0))
  jax.device_get(m)
  t = time.perf_counter()
  for s in range(0, steps, k):
    state, m = fn(state, put(s))
    jax.device_get(m["loss"])  # the runner checks every chunk for NaN
  return time.perf_counter() - t


def main(_):
  config = seed.get_config()
  data = np.random.default_rng(0).integers(0, 256, (60_000, 28, 28, 1), dtype=np.uint8)
  peak = matmul_peak_flops()
  print(
    f"devices: {jax.devices()}; float32 matmul peak {peak / 1e9:.1f} GFLOP/s "
    f"(bounds the seed step near {peak / FLOP_PER_IMAGE:,.0f} img/s)"
  )
  for b in (int(x) for x in FLAGS.value):
    k = _K.value
    steps = max(k, (_IMAGES.value // b) // k * k)
    plain = [steps * b / time_plain_loop(b, config, data, steps) for _ in range(_REPEATS.value)]
    fused, norms = [], []
    for _ in range(_REPEATS.value):  # interleaved, so that both see the same load
      fused.append(steps * b / time_fused(b, config, data, steps, k))
      norms.append(steps * b / time_fused(b, config, data, steps, k, every_step_norms=True))
    p, f, n = (statistics.median(v) for v in (plain, fused, norms))
    print(
      f"batch {b:4d}: plain loop {p:9,.0f} img/s | fused x{k} {f:9,.0f} img/s "
      f"({f / p:.2f}x) | {f * FLOP_PER_IMAGE / peak:.0%} of matmul peak | "
      f"fused, norms at every step {n:9,.0f} img/s"
    )


if __name__ == "__main__":
  app.run(main)
