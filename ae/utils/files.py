"""Atomic file writes: a reader never sees a partial file and a failure leaves no output.

Each writes to a temporary file in the destination folder, then renames it over the
destination (atomic on POSIX). Permissions are what `open()` would give (0666 less the
umask), not mkstemp's 0600. OS errors become one-line `UserError`s.
"""

from __future__ import annotations

import io
import json
import os
import tempfile

from ae.utils.errors import UserError


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` to `path` atomically."""
  folder = os.path.dirname(os.path.abspath(path))
  if not os.path.isdir(folder):
    raise UserError(f"cannot write {path}: folder {folder} does not exist")
  try:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
  except OSError as e:
    raise UserError(f"cannot write {path}: {e.strerror or e}") from e
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
  except BaseException as e:
    if os.path.exists(tmp):
      os.unlink(tmp)
    if isinstance(e, OSError):
      raise UserError(f"cannot write {path}: {e.strerror or e}") from e
    raise


def write_text(path: str, text: str) -> None:
  write_bytes(path, text.encode("utf-8"))


def write_json(path: str, obj, indent: int | None = 2) -> None:
  """JSON with sorted keys and a final newline, atomically."""
  write_text(path, json.dumps(obj, indent=indent, sort_keys=True) + "\n")


def save_figure(fig, path: str, **kwargs) -> None:
  """A matplotlib figure as PNG bytes (no timestamp metadata), atomically."""
  buf = io.BytesIO()
  fig.savefig(buf, format="png", metadata={"Software": None}, **kwargs)
  write_bytes(path, buf.getvalue())


def save_image(image, path: str, fmt: str = "PNG") -> None:
  """A Pillow image, atomically."""
  buf = io.BytesIO()
  image.save(buf, format=fmt)
  write_bytes(path, buf.getvalue())
