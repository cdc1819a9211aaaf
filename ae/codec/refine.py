"""Encoder-side latent refinement: a smaller file for the same decoder.

An amortized encoder g_a only approximates the latents that minimize the codec's
own rate-distortion loss for one image. Refinement starts from g_a's latents
and descends, for that image alone, the loss the codec was trained on,

  L(y, z) = (bits(y_hat) + bits(z_hat)) / (H W) + lambda * 255^2 * MSE(g_s(y_hat), x),

(bits per pixel, x and g_s(y_hat) in [0, 1], MSE over the H x W image) with
rounding relaxed by stochastic Gumbel annealing (SGA: Yang, Bamler and Mandt
2020, "Improving Inference for Neural Image Compression", sec. 3.3): each latent
v (relative to its rounding offset, a channel median or a predicted mean) becomes
a Gumbel-softmax mixture of floor(v) and ceil(v) with logits
-atanh(distance)/tau, the temperature tau annealed from 0.5 towards 0. Adam
updates y and z. The decoder, the tables and the file format are untouched:
the refined latents are rounded and coded exactly as g_a's would be.

The returned latents are the refined ones only when they lower the loss with
hard rounding (computed by the float model); otherwise g_a's. Runs are
deterministic for a given image, codec and step count (fixed seed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ae.compression import quantization as q
from ae.utils import console
from ae.utils.errors import UserError

TAU_START, TAU_END = 0.5, 0.05
_EPS = 1e-5


def sga_round(v: jax.Array, tau: float, rng: jax.Array) -> jax.Array:
  """A relaxed rounding of v: w * floor(v) + (1 - w) * ceil(v), (w, 1 - w) a Gumbel-softmax
  sample at temperature tau with logits -atanh(v - floor(v)) / tau, -atanh(ceil(v) - v) / tau
  (Yang et al. 2020, eq. 8). Tends to round(v) as tau -> 0; same shape as v."""
  lo = jnp.floor(v)
  r = v - lo
  logits = (
    jnp.stack(
      [
        -jnp.arctanh(jnp.clip(r, -1 + _EPS, 1 - _EPS)),
        -jnp.arctanh(jnp.clip(1 - r, -1 + _EPS, 1 - _EPS)),
      ]
    )
    / tau
  )
  w = jax.nn.softmax((logits + jax.random.gumbel(rng, logits.shape)) / tau, axis=0)
  return lo + w[1]


def temperature(step: jax.Array, num_steps: int) -> jax.Array:
  """tau decays geometrically from TAU_START at step 0 to TAU_END at the last step."""
  frac = step / max(num_steps - 1, 1)
  return TAU_START * (TAU_END / TAU_START) ** frac


def _pixels(image: np.ndarray) -> jax.Array:
  """uint8 [H, W, C] -> float32 [1, H, W, C] in [0, 1]."""
  return jnp.asarray(image, jnp.float32)[None] / 255.0


def _hard_round(v: jax.Array, offset: jax.Array, _stream: int) -> jax.Array:
  return q.quantize(v, offset)


def _loss_fn(codec, params, x):
  """loss(latents, round_fn) -> bpp + lambda * 255^2 * MSE of a convolutional codec for one
  image x [1, H, W, C] in [0, 1]; latents y (and z for hyperpriors) with a batch axis,
  round_fn(values, offset, stream) the (relaxed) rounding (the model's `rd_terms`)."""
  model, lmbda = codec.exported.model, float(codec.exported.meta["lmbda"])
  h, w = x.shape[1:3]

  def loss(latents, round_fn):
    x_hat, bits = model.apply(
      {"params": params}, latents, round_fn, method=lambda m, v, r: m.rd_terms(v, r)
    )
    rate = sum(jnp.sum(b) for b in bits.values())
    return rate / (h * w) + lmbda * 255.0**2 * jnp.mean(jnp.square(x_hat[:, :h, :w] - x))

  return loss


def refine_latents(
  codec,
  image: np.ndarray,
  num_steps: int,
  learning_rate: float = 1e-2,
  seed: int = 0,
  chunk: int | None = None,
  unroll: bool | None = None,
) -> dict[str, np.ndarray]:
  """Refined latents {"y": [h, w, M], "z": [h', w', N]} (no "z" for factorized codecs) of a
  uint8 image [H, W, C] (C the codec's channels) under an exported convolutional codec.
  `chunk` steps run per jitted call (default CHUNK), as an unrolled Python loop inside the
  call (`unroll`, default UNROLL) or a `lax.scan` (the same steps; XLA may fuse them
  differently, so the latents can differ in their last float bits)."""
  if codec.program.kind == "dense":
    raise UserError(
      f"codec '{codec.name}' is a dense block codec; latent refinement is for convolutional codecs"
    )
  x = _pixels(image)
  latents = _jitted(codec).start(codec.exported.params, x)
  if num_steps > 0:
    chunk = CHUNK if chunk is None else int(chunk)
    unroll = UNROLL if unroll is None else bool(unroll)
    latents = _run(codec, x, latents, int(num_steps), float(learning_rate), seed, chunk, unroll)
  return {k: np.asarray(v[0]) for k, v in latents.items()}


def rd_loss(codec, image: np.ndarray, latents: dict[str, np.ndarray]) -> float:
  """The codec's loss (bpp + lambda * 255^2 * MSE, float model, hard rounding) of latents
  {"y": [h, w, M](, "z": [h', w', N])} for a uint8 image [H, W, C]."""
  batched = {k: jnp.asarray(v)[None] for k, v in latents.items()}
  return float(_jitted(codec).hard_loss(codec.exported.params, _pixels(image), batched))


CHUNK = 25  # refinement steps per jitted call (one progress-bar tick)
# `ae compress --slow`: steps chosen to stay under a minute for a 512x384 photo on this
# 2-core CPU (docs/compression.md: scripts/bench_refine.py measured it).
SLOW_STEPS = 200
UNROLL = False  # a chunk's steps as a lax.scan (False) or an unrolled Python loop (True)


def _run(
  codec,
  x: jax.Array,
  latents: dict,
  num_steps: int,
  learning_rate: float,
  seed: int,
  chunk: int,
  unroll: bool,
):
  """`num_steps` Adam steps on the latents as a loop of jitted chunks of `chunk` steps (a
  progress bar on a terminal), then g_a's latents back unless hard-rounded loss fell."""
  params = codec.exported.params
  size = max(1, min(chunk, num_steps))
  step_fn = _compiled(codec, num_steps, learning_rate, size, unroll)
  opt_state = optax.adam(learning_rate).init(latents)
  carry = (latents, opt_state, jax.random.PRNGKey(seed))
  starts = range(0, num_steps, size)
  for t0 in console.progress(starts, total=len(starts), desc=f"refining ({size} steps each)"):
    carry = step_fn(params, x, carry, jnp.asarray(t0, jnp.int32))
  return _keep_better(codec, params, x, latents, carry[0])


_COMPILED: dict = {}


def _compiled(codec, num_steps: int, learning_rate: float, size: int, unroll: bool):
  """Jitted chunk(params, x, carry, t0) -> carry for this codec and schedule (cached): steps
  t0 .. t0 + size - 1 of the annealing schedule; steps at or past num_steps leave the
  carry unchanged."""
  key = (codec.sha256, num_steps, learning_rate, size, unroll)
  if key in _COMPILED:
    return _COMPILED[key]
  opt = optax.adam(learning_rate)

  def chunk(params, x, carry, t0):
    loss = _loss_fn(codec, params, x)

    def step(carry, t):
      lat, opt_state, rng = carry
      rng, key = jax.random.split(rng)
      tau = temperature(t, num_steps)
      soft = lambda v, offset, i: sga_round(v - offset, tau, jax.random.fold_in(key, i)) + offset
      grads = jax.grad(lambda v: loss(v, soft))(lat)
      updates, new_opt_state = opt.update(grads, opt_state, lat)
      new = (optax.apply_updates(lat, updates), new_opt_state, rng)
      return jax.tree_util.tree_map(lambda a, b: jnp.where(t < num_steps, a, b), new, carry), None

    if unroll:
      for i in range(size):
        carry = step(carry, t0 + i)[0]
      return carry
    return jax.lax.scan(step, carry, t0 + jnp.arange(size))[0]

  _COMPILED[key] = jax.jit(chunk)
  return _COMPILED[key]


@dataclasses.dataclass(frozen=True)
class _Jitted:
  """A codec's jitted helpers: `start(params, x)` g_a's latents {"y": [1, h, w, M], ...};
  `hard_loss(params, x, latents)` the loss with hard rounding (one program, called for
  both the start and the refined latents)."""

  start: Callable
  hard_loss: Callable


_JITTED: dict = {}


def _jitted(codec) -> _Jitted:
  if codec.sha256 not in _JITTED:
    model = codec.exported.model
    start = lambda params, x: model.apply({"params": params}, x, method=lambda m, a: m.latents(a))
    hard = lambda params, x, lat: _loss_fn(codec, params, x)(lat, _hard_round)
    _JITTED[codec.sha256] = _Jitted(
      jax.jit(lambda p, x: {k: v[0] for k, v in start(p, x).items()}), jax.jit(hard)
    )
  return _JITTED[codec.sha256]


def _keep_better(codec, params, x: jax.Array, latents: dict, refined: dict) -> dict:
  """`refined` if it has the lower hard-rounded loss, else `latents` (g_a's)."""
  hard_loss = _jitted(codec).hard_loss
  return refined if hard_loss(params, x, refined) < hard_loss(params, x, latents) else latents
