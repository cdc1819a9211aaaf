"""What a command prints: results on stdout, notes and progress bars on stderr.

`set_quiet(True)` (the CLI's --quiet) silences all but errors. Progress bars are
drawn only when stderr is a terminal, so piped or logged output stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_STATE = {"quiet": False}


def set_quiet(quiet: bool) -> None:
  _STATE["quiet"] = bool(quiet)


def quiet() -> bool:
  return _STATE["quiet"]


def say(message: str) -> None:
  """A result line on stdout (nothing when quiet)."""
  if not _STATE["quiet"]:
    print(message)


def note(message: str) -> None:
  """A `note:` line on stderr (nothing when quiet)."""
  if not _STATE["quiet"]:
    print(f"note: {message}", file=sys.stderr)


def progress_enabled() -> bool:
  return not _STATE["quiet"] and sys.stderr.isatty()


def progress(items: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
  """`items`, with a tqdm bar on a terminal (none when piped or quiet)."""
  if not progress_enabled():
    yield from items
    return
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top  # only on a terminal

  yield from tqdm(
    items, total=total, desc=desc, leave=False, dynamic_ncols=True, mininterval=0.3, file=sys.stderr
  )
