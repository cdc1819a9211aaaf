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

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ae.compression import quantization as q
from ae.compression.entropy_models import conditional_bits
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


def _hard_round(v: jax.Array, offset: jax.Array, _: int) -> jax.Array:
  return q.quantize(v, offset)


def _loss_fn(codec, params, x):
  """loss(latents, round_fn) -> bpp + lambda * 255^2 * MSE of a convolutional codec for one
  image x [1, H, W, C] in [0, 1]; latents y (and z for hyperpriors) with a batch axis,
  round_fn(values, offset, stream index) the (relaxed) rounding."""
  model, lmbda = codec.exported.model, float(codec.exported.meta["lmbda"])
  hyper = codec.program.kind == "hyperprior"
  h, w = x.shape[1:3]
  apply = functools.partial(model.apply, {"params": params})

  def loss(latents, round_fn):
    if hyper:
      z_hat = round_fn(latents["z"], apply(method=lambda m: m.entropy_z.medians()), 0)
      mean, scale = apply(z_hat, latents["y"].shape, method=lambda m, a, s: m.hyper_params(a, s))
      y_hat = round_fn(latents["y"], mean, 1)
      bits = conditional_bits(y_hat, mean, scale, model.family) + apply(
        z_hat, method=lambda m, a: m.entropy_z.bits(a)
      )
    else:
      y_hat = round_fn(latents["y"], apply(method=lambda m: m.entropy_y.medians()), 1)
      bits = apply(y_hat, method=lambda m, a: m.entropy_y.bits(a))
    x_hat = apply(y_hat, method=lambda m, a: m.g_s(a))[:, :h, :w]
    return jnp.sum(bits) / (h * w) + lmbda * 255.0**2 * jnp.mean(jnp.square(x_hat - x))

  return loss


def refine_latents(
  codec, image: np.ndarray, num_steps: int, learning_rate: float = 1e-2, seed: int = 0
) -> dict[str, np.ndarray]:
  """Refined latents {"y": [h, w, M], "z": [h', w', N]} (no "z" for factorized codecs) of a
  uint8 image [H, W, C] (C the codec's channels) under an exported convolutional codec."""
  if codec.program.kind == "dense":
    raise UserError(
      f"codec '{codec.name}' is a dense block codec; latent refinement is for convolutional codecs"
    )
  x = _pixels(image)
  start = codec.exported.model.apply(
    {"params": codec.exported.params}, x, method=lambda m, a: m.latents(a)
  )
  latents = {k: v[0] for k, v in start.items()}
  if num_steps > 0:
    latents = _run(codec, x, latents, int(num_steps), float(learning_rate), seed)
  return {k: np.asarray(v[0]) for k, v in latents.items()}


def rd_loss(codec, image: np.ndarray, latents: dict[str, np.ndarray]) -> float:
  """The codec's loss (bpp + lambda * 255^2 * MSE, float model, hard rounding) of latents
  {"y": [h, w, M](, "z": [h', w', N])} for a uint8 image [H, W, C]."""
  loss = _loss_fn(codec, codec.exported.params, _pixels(image))
  return float(loss({k: jnp.asarray(v)[None] for k, v in latents.items()}, _hard_round))


CHUNK = 25  # refinement steps per jitted call (one progress-bar tick)


def _run(codec, x: jax.Array, latents: dict, num_steps: int, learning_rate: float, seed: int):
  """`num_steps` Adam steps on the latents as a loop of jitted chunks of CHUNK steps (a
  progress bar on a terminal), then g_a's latents back unless hard-rounded loss fell."""
  params = codec.exported.params
  step_fn, keep_better = _compiled(codec, num_steps, learning_rate)
  opt_state = optax.adam(learning_rate).init(latents)
  carry = (latents, opt_state, jax.random.PRNGKey(seed))
  size = min(CHUNK, num_steps)
  starts = range(0, num_steps, size)
  for t0 in console.progress(starts, total=len(starts), desc=f"refining ({size} steps each)"):
    carry = step_fn(params, x, carry, jnp.asarray(t0, jnp.int32))
  return keep_better(params, x, latents, carry[0])


_COMPILED: dict = {}


def _compiled(codec, num_steps: int, learning_rate: float):
  """Jitted (chunk(params, x, carry, t0) -> carry, keep_better(params, x, start, refined))
  for this codec and schedule (cached). A chunk runs steps t0 .. t0 + min(CHUNK, num_steps) - 1
  of the annealing schedule; steps at or past num_steps leave the carry unchanged."""
  key = (codec.sha256, num_steps, learning_rate, CHUNK)
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

    return jax.lax.scan(step, carry, t0 + jnp.arange(min(CHUNK, num_steps)))[0]

  def keep_better(params, x, latents, refined):
    loss = _loss_fn(codec, params, x)
    better = loss(refined, _hard_round) < loss(latents, _hard_round)
    return jax.tree_util.tree_map(lambda a, b: jnp.where(better, b, a), latents, refined)

  _COMPILED[key] = (jax.jit(chunk), jax.jit(keep_better))
  return _COMPILED[key]
