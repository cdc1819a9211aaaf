"""Command-line style overrides ("model.code_size=8") for configs built in scripts."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ae.utils.errors import ConfigError


def parse_value(text: str):
  """A Python literal ("8", "(512, 256)", "True", "1e-3") or, failing that, the string."""
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text


def apply_overrides(config, overrides: Iterable[str]):
  """Sets each "a.b.c=value" in `config` (a ConfigDict) in place and returns it."""
  for item in overrides:
    if "=" not in item:
      raise ConfigError(f"override '{item}' is not of the form key=value")
    key, text = item.split("=", 1)
    *parents, leaf = key.strip().split(".")
    node = config
    for p in parents:
      if p not in node:
        raise ConfigError(f"override '{item}': no config field '{key}'")
      node = node[p]
    if leaf not in node:
      raise ConfigError(f"override '{item}': no config field '{key}'")
    value = parse_value(text)
    if isinstance(node[leaf], float) and isinstance(value, int):
      value = float(value)
    if isinstance(node[leaf], tuple):  # "256" -> (256,), "512,256" -> (512, 256)
      value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    try:
      node[leaf] = value
    except TypeError as e:
      raise ConfigError(
        f"override '{item}': {value!r} does not fit the field's type {type(node[leaf]).__name__}"
      ) from e
  return config
