"""Widening a trained hyperprior codec's latent y (M channels -> M' > M), keeping what it computes.

`train.init_from` of a codec trained with fewer latent channels (`model.m`): the hyperprior
models' `adapt_params` maps its parameters into the wider model so that, on every
image, the wider codec decodes the same pixels from the same old channels and codes them
with the same bits; the new channels only add their own rate until training teaches the
decoder to use them (Net2Net's function-preserving widening, Chen, Goodfellow and Shlens
2016, "Net2Net: accelerating learning via knowledge transfer", in its zero-weight form).

Rule, layer by layer (conv kernels [k, k, in, out], transposed-conv kernels [k, k, out,
in], biases [out]): an old output unit keeps its weights from the old inputs and gets
zero weights from the new inputs; a new output unit keeps the new model's fresh random
weights from every input. So g_a's new outputs (the new y channels) start random, g_s
and h_a read them through zero weights, and the new hidden units of h_s (its width grows
with M) feed the old outputs through zeros. h_s's last layer of a mean-scale model gives
[means | scales], M' of each: the old means and scales keep their own halves.
"""

from __future__ import annotations

import jax
import numpy as np


def _in_out_axes(layer: str) -> tuple[int, int]:
  """(input axis, output axis) of a kernel of layer `layer` (transposed convs: deconv_*)."""
  return (-1, -2) if layer.startswith("deconv") else (-2, -1)


def _out_positions(old: int, new: int, groups: int) -> np.ndarray | None:
  """Where old output unit i goes among `new`, with outputs in `groups` equal halves
  (thirds, ...) that each grow at their end; None if the sizes do not split so."""
  if old % groups or new % groups or new < old:
    return None
  go, gn = old // groups, new // groups
  return np.array([g * gn + i for g in range(groups) for i in range(go)])


def widen_kernel(old: np.ndarray, fresh: np.ndarray, layer: str, groups: int = 1):
  """The kernel of the wider layer (the rule of the module docstring), or None if `old`
  is not `fresh` narrowed on its input and output axes."""
  if old.ndim != fresh.ndim:
    return None
  axes = _in_out_axes(layer)
  o, f = np.moveaxis(old, axes, (-2, -1)), np.moveaxis(fresh, axes, (-2, -1))
  if o.shape[:-2] != f.shape[:-2] or o.shape[-2] > f.shape[-2]:
    return None
  pos = _out_positions(o.shape[-1], f.shape[-1], groups)
  if pos is None:
    return None
  new = np.array(f, np.float32)
  new[..., pos] = 0.0
  new[..., : o.shape[-2], pos] = o
  return np.moveaxis(new, (-2, -1), axes)


def widen_bias(old: np.ndarray, fresh: np.ndarray, groups: int = 1):
  """The bias of the wider layer: old units at their places, fresh ones elsewhere."""
  pos = None if old.ndim != 1 or fresh.ndim != 1 else _out_positions(len(old), len(fresh), groups)
  if pos is None:
    return None
  new = np.array(fresh, np.float32)
  new[pos] = old
  return new


def widen_params(old: dict, fresh: dict, mean_scale: bool) -> dict | None:
  """`fresh` (the wider hyperprior codec's initial tree, e.g. {"g_a": {"conv_3": {"kernel":
  ...}}, "entropy_z": {...}}) with `old`'s trained parameters widened into it, or None
  where the trees differ by more than the widths of convolution layers (another
  architecture, another N: not this map) or where nothing needs widening."""
  if jax.tree_util.tree_structure(old) != jax.tree_util.tree_structure(fresh):
    return None
  same = lambda a, b: np.shape(a) == np.shape(b)
  if all(jax.tree_util.tree_leaves(jax.tree_util.tree_map(same, old, fresh))):
    return None
  return _walk(old, fresh, (), mean_scale)


def _walk(old, fresh, path: tuple[str, ...], mean_scale: bool):
  if isinstance(fresh, dict):  # the same keys: widen_params compared the tree structures
    out = {k: _walk(old[k], v, (*path, k), mean_scale) for k, v in fresh.items()}
    return None if any(v is None for v in out.values()) else out
  was, value = np.asarray(old, np.float32), np.asarray(fresh)
  if was.shape == value.shape:
    return was
  if len(path) < 3 or path[-1] not in ("kernel", "bias"):
    return None
  groups = 2 if mean_scale and path[-3:-1] == ("h_s", "conv_out") else 1
  if path[-1] == "kernel":
    return widen_kernel(was, value, path[-2], groups)
  return widen_bias(was, value, groups)
