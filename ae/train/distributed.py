"""Several JAX processes: JAX's own multi-controller runtime, started from flags.

One process per host (or several on one machine), each running the same command with
its `process_id`; process 0's address is the coordinator. Each process then sees every
device of every process in `jax.devices()`, feeds only its slice of each global batch
(`ae.data.pipeline.local_slice`), and process 0 writes metrics, figures and results;
checkpoints are written and restored by all processes together (Orbax). On CPU the
collectives go through gloo (`jax_cpu_collectives_implementation`).

A process that dies stops the others: each one's `Watchdog` sees a peer's heartbeat file
in the workdir go stale for `heartbeat_timeout` seconds and exits with one line; JAX's
coordination service, given twice as long, is the backstop.
"""

from __future__ import annotations

import os
import sys
import threading

import jax

from ae.utils.errors import UserError


def initialize(
  coordinator_address: str | None = None,
  num_processes: int | None = None,
  process_id: int | None = None,
  auto: bool = False,
  heartbeat_timeout: int = 100,
  initialization_timeout: int = 300,
) -> bool:
  """Joins a multi-process run; returns whether one was started.

  With `coordinator_address` (HOST:PORT of process 0), `num_processes` and `process_id`
  all given, they are passed to `jax.distributed.initialize`; with `auto` alone JAX
  detects the cluster (SLURM, GKE, TPU pods). Neither: one process, nothing to do.
  """
  explicit = (coordinator_address, num_processes, process_id)
  if any(v is not None for v in explicit) and not all(v is not None for v in explicit):
    raise UserError(
      "--coordinator_address, --num_processes and --process_id go together "
      "(or --distributed alone for auto-detection)"
    )
  if coordinator_address is None and not auto:
    return False
  if coordinator_address is not None and not 0 <= process_id < num_processes:
    raise UserError(f"--process_id={process_id} must be in [0, {num_processes})")
  jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU devices only
  try:
    jax.distributed.initialize(
      coordinator_address,
      num_processes,
      process_id,
      initialization_timeout=int(initialization_timeout),
      heartbeat_timeout_seconds=2 * int(heartbeat_timeout),
    )
  except (RuntimeError, ValueError) as e:
    first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
    raise UserError(f"could not join the multi-process run ({first})") from e
  return True


class Watchdog:
  """Stops this process with one line when a peer process stops.

  Every process touches `folder/<process_id>` each second from a daemon thread (alive as
  long as the process is) and checks its peers' files: a peer whose file was refreshed
  since this process started and then not for `timeout` seconds has died, and this
  process prints `error: process I of N stopped ...` and exits with status 1 (before
  JAX's own, noisier, heartbeat check fires). A peer that ended normally marks its file
  done. `folder` is in the workdir, which every process already shares.
  """

  def __init__(self, folder: str, process_id: int, num_processes: int, timeout: float):
    if not timeout >= 2:
      raise UserError(f"--heartbeat_timeout={timeout:g}: must be at least 2 seconds")
    self.folder, self.me, self.n, self.timeout = folder, process_id, num_processes, timeout
    self._stop = threading.Event()
    os.makedirs(folder, exist_ok=True)
    self._beat()
    self._start = os.path.getmtime(self._path(self.me))  # the shared filesystem's clock
    self._thread = threading.Thread(target=self._run, daemon=True, name="ae-watchdog")
    self._thread.start()

  def _path(self, i: int) -> str:
    return os.path.join(self.folder, str(i))

  def _beat(self, text: str = "alive") -> None:
    with open(self._path(self.me), "w", encoding="utf-8") as f:
      f.write(text)

  def dead_peer(self, now: float) -> int | None:
    """The first peer that stopped beating, or None; `now` is this process's newest
    heartbeat time on the shared filesystem (so that clocks of hosts need not agree)."""
    for i in range(self.n):
      try:
        mtime = os.path.getmtime(self._path(i))
        with open(self._path(i), encoding="utf-8") as f:
          done = f.read() == "done"
      except OSError:
        continue  # not started yet
      if i != self.me and not done and self._start <= mtime < now - self.timeout:
        return i
    return None

  def _run(self) -> None:
    while not self._stop.wait(1.0):
      self._beat()
      dead = self.dead_peer(os.path.getmtime(self._path(self.me)))
      if dead is not None:
        print(
          f"error: process {dead} of {self.n} stopped ({self.timeout:g} s without a "
          f"heartbeat); stopping process {self.me}",
          file=sys.stderr,
          flush=True,
        )
        os._exit(1)  # pylint: disable=protected-access  # the main thread may be in a collective

  def close(self) -> None:
    """Marks this process done (peers stop watching it) and ends the thread."""
    self._stop.set()
    self._thread.join()
    self._beat("done")
