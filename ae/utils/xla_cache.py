"""JAX's persistent compilation cache: a later process loads the programs an earlier one
compiled (the same programs, so the same results) instead of compiling them again.

Used by `experiments.train` (`--compilation_cache`) and by `ae compress` when it refines
latents, whose compilation costs more than a hundred steps of refinement on a CPU.
"""

from __future__ import annotations

import os

MIN_COMPILE_SECONDS = 0.2  # programs that compile faster are not worth a file, except
# in a training process (`experiments.train` passes 0: its 25 small programs took 0.7 s to
# compile again in every run of the seed experiment); a process that enables the cache
# for one command (`ae compress --slow`, or a test calling it) keeps the threshold


def default_dir() -> str:
  """$XDG_CACHE_HOME/ae/xla, or ~/.cache/ae/xla."""
  root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
  return os.path.join(root, "ae", "xla")


def enable(path: str | None = None, min_seconds: float = MIN_COMPILE_SECONDS) -> str | None:
  """Points JAX's persistent cache at `path` (default `default_dir()`) for the programs
  that take at least `min_seconds` to compile; '' leaves it off, and
  $JAX_COMPILATION_CACHE_DIR, when set, wins (JAX reads it itself). Returns the folder
  in use, or None. Call before the first compilation."""
  if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
    return os.environ["JAX_COMPILATION_CACHE_DIR"]
  path = default_dir() if path is None else path
  if not path:
    return None
  import jax  # pylint: disable=g-import-not-at-top  # only processes that compile

  jax.config.update("jax_compilation_cache_dir", path)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", min_seconds)
  return path
