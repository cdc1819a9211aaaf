"""A workdir lock: one run at a time per workdir.

`WORKDIR/.lock` holds the owner's pid, host and start time, created with O_EXCL
before the run writes anything. A second run on the same workdir stops with one line
naming the first. A lock left by a process that no longer exists on this host is
stale and taken over (with a note in the log); a lock from another host cannot be
checked from here and is refused, naming the file to remove if that run is gone.
"""

from __future__ import annotations

import json
import os
import socket
import time

from absl import logging

from ae.utils.errors import UserError

LOCK_NAME = ".lock"


class WorkdirBusyError(UserError):
  pass


def _alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:  # exists, owned by someone else
    return True
  return True


def _read(path: str) -> dict:
  try:
    with open(path, encoding="utf-8") as f:
      return json.load(f)
  except (OSError, ValueError):
    return {}


class WorkdirLock:
  """`with WorkdirLock(workdir):` holds WORKDIR/.lock for the block."""

  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, LOCK_NAME)
    self._mine = {
      "pid": os.getpid(),
      "host": socket.gethostname(),
      "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }

  def _try_create(self) -> bool:
    try:
      fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
      return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
      json.dump(self._mine, f)
    return True

  def acquire(self) -> None:
    os.makedirs(os.path.dirname(self.path), exist_ok=True)
    for _ in range(2):
      if self._try_create():
        return
      owner = _read(self.path)
      pid, host = int(owner.get("pid", -1) or -1), owner.get("host", "?")
      if host == self._mine["host"] and pid > 0 and not _alive(pid):
        logging.warning("Taking over the stale lock of pid %d (no longer running).", pid)
        os.unlink(self.path)
        continue
      if not owner:  # being written this instant, or damaged
        time.sleep(0.2)
        continue
      raise WorkdirBusyError(
        f"workdir {os.path.dirname(self.path)} is in use by pid {pid} on {host} (since "
        f"{owner.get('started', '?')}); wait for it to finish, or remove {self.path} if that "
        "run is gone"
      )
    raise WorkdirBusyError(f"could not lock {self.path}; another run is starting there")

  def release(self) -> None:
    if _read(self.path).get("pid") == self._mine["pid"]:
      os.unlink(self.path)

  def __enter__(self) -> WorkdirLock:
    self.acquire()
    return self

  def __exit__(self, *exc) -> None:
    self.release()
