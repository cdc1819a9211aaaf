"""Parameters as stored in model files (.aec codecs, .aed denoisers): float32 or float16.

`narrow` rounds the floating leaves to the stored precision (half the bytes for
float16); `widen` turns float16 leaves back into float32, exactly, so every user
of a loaded file computes with the values the file holds. Parameters are nested
dicts of arrays (flax's "params" collection); numpy only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ae.utils.errors import UserError

DTYPES = ("float32", "float16")


def tree_map(fn: Callable[[np.ndarray], np.ndarray], tree):
  """`fn` applied to every array leaf of nested dicts (and lists), structure kept."""
  if isinstance(tree, dict):
    return {k: tree_map(fn, v) for k, v in tree.items()}
  if isinstance(tree, (list, tuple)):
    return type(tree)(tree_map(fn, v) for v in tree)
  return fn(tree)


def narrow(params, dtype: str):
  """Host numpy copies of `params` with floating leaves in `dtype` (float32 or float16)."""
  if dtype not in DTYPES:
    raise UserError(f"param_dtype must be float32 or float16, not {dtype}")

  def cast(a):
    a = np.asarray(a)
    return a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a

  return tree_map(cast, params)


def widen(params):
  """float16 leaves as float32 (exactly); everything else unchanged."""
  return tree_map(lambda a: a.astype(np.float32) if a.dtype == np.float16 else a, params)
