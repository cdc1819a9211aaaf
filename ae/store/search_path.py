"""Finding named model files: directories from an environment variable, then a shipped one."""

from __future__ import annotations

import os


def named_files(env_var: str, shipped_dir: str, suffix: str) -> dict[str, str]:
  """{name: path} of `*suffix` files in the `os.pathsep`-separated directories of
  `$env_var`, then `shipped_dir`; the first file of a name wins."""
  dirs = [d for d in os.environ.get(env_var, "").split(os.pathsep) if d] + [shipped_dir]
  found: dict[str, str] = {}
  for d in dirs:
    if os.path.isdir(d):
      for f in sorted(os.listdir(d)):
        if f.endswith(suffix):
          found.setdefault(f[: -len(suffix)], os.path.join(d, f))
  return found
