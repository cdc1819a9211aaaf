"""Logging setup shared by the entrypoints."""

import logging as std_logging

from absl import logging


def quiet_orbax() -> None:
  """Orbax logs every checkpoint step at INFO; keep its warnings and errors only."""
  logging.get_absl_handler().addFilter(
    lambda r: r.levelno >= std_logging.WARNING or "/orbax/" not in r.pathname
  )
