"""Mixed precision: compute in bfloat16, keep parameters and optimizer state in float32.

`compute_dtype(model, "bfloat16")` wraps a linen module so that every `apply` inside an
objective casts the floating parameters and inputs to bfloat16 and the floating
outputs back to float32: the forward and backward passes run in bfloat16 (what GPU and
TPU matrix units are fast at), the loss is reduced in float32, and the gradients reach
the float32 parameters through the casts (Micikevicius et al. 2018, "Mixed precision
training"; bfloat16 needs no loss scaling). "" or "float32" leaves the module as it is.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ae.utils.errors import ConfigError

DTYPES = {"": None, "float32": None, "bfloat16": jnp.bfloat16}
# Rate-distortion training draws quantization noise and evaluates entropy models inside
# `apply`: in bfloat16 the noise proxy collapses (values 0.5 apart at |y| >= 64) and rates
# drift, so codecs train in float32.
FLOAT32_ONLY = ("rate_distortion",)


def _cast(tree, dtype):
  def one(x):
    if isinstance(x, jax.Array | jnp.ndarray) and jnp.issubdtype(x.dtype, jnp.floating):
      return x.astype(dtype)
    return x

  return jax.tree.map(one, tree)


class _Mixed:
  """A module whose `apply` computes in `dtype` (attributes pass through)."""

  def __init__(self, module, dtype):
    self._module, self._dtype = module, dtype

  def apply(self, variables, *args, **kwargs):
    out = self._module.apply(_cast(variables, self._dtype), *_cast(args, self._dtype), **kwargs)
    return _cast(out, jnp.float32)

  def __getattr__(self, name):
    return getattr(self._module, name)


def compute_dtype(module, name: str, objective: str = ""):
  """`module` computing in dtype `name` ("", "float32", "bfloat16") for `objective`."""
  if name not in DTYPES:
    raise ConfigError(f"train.compute_dtype={name!r}: choose from {sorted(DTYPES)[1:]}")
  dtype = DTYPES[name]
  if dtype is not None and objective in FLOAT32_ONLY:
    raise ConfigError(
      f"train.compute_dtype={name}: the {objective} objective trains in float32 "
      "(quantization noise and entropy models need it)"
    )
  return module if dtype is None else _Mixed(module, dtype)
