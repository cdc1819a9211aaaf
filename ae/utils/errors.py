"""Errors that mean "the user asked for something we cannot do", shown as one line.

Entrypoints catch `UserError` and print its message alone (no traceback) with a
non-zero exit status; anything else is a bug and keeps its traceback.
"""

import sys


class UserError(Exception):
  """A problem with the user's input, data or configuration."""


class DatasetNotFoundError(UserError):
  """A dataset is neither prepared locally nor obtainable."""


class ConfigError(UserError):
  """A configuration value is invalid or inconsistent."""


class NonFiniteLossError(UserError):
  """Training produced a NaN or infinite loss."""


def exit_on_user_error(fn, *args, **kwargs):
  """Runs fn; a UserError becomes one `error:` line on stderr and exit status 1."""
  try:
    return fn(*args, **kwargs)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
