r"""Trains and evaluates one experiment in a workdir; rerunning resumes it.

  python -m experiments.train --config=experiments/configs/seed.py --workdir=workdirs/seed \
      [--config.train.num_epochs=5]

Several processes (one per host, or several on one machine; docs/training.md): the same
command in each, with `--coordinator_address=HOST:PORT --num_processes=N --process_id=I`
(HOST:PORT is process 0's), or `--distributed` alone where JAX detects the cluster
(SLURM, GKE, TPU pods).
"""

import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

from ae.utils import xla_cache
from ae.utils.errors import UserError
from ae.utils.logs import quiet_orbax

_CONFIG = config_flags.DEFINE_config_file(
  "config", None, "Experiment config file.", lock_config=True
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Folder of this run: config, metrics, checkpoints.")
_DISTRIBUTED = flags.DEFINE_bool(
  "distributed", False, "Join a multi-process run detected by JAX (SLURM, GKE, TPU pods)."
)
_COORDINATOR = flags.DEFINE_string(
  "coordinator_address", None, "HOST:PORT of process 0 of a multi-process run."
)
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Processes in the run.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index, 0..N-1.")
_CACHE = flags.DEFINE_string(
  "compilation_cache",
  xla_cache.default_dir(),
  "Folder of JAX's persistent compilation cache: a rerun loads its compiled programs "
  "instead of compiling them again (the same programs, so the same results); '' disables. "
  "$JAX_COMPILATION_CACHE_DIR, when set, wins.",
)
_HEARTBEAT = flags.DEFINE_integer(
  "heartbeat_timeout", 100, "Seconds without a peer's heartbeat before the run stops."
)
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  quiet_orbax()
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  import jax  # pylint: disable=g-import-not-at-top

  xla_cache.enable(_CACHE.value, min_seconds=0.0)  # a training run: every program
  from ae.train import distributed  # pylint: disable=g-import-not-at-top

  watchdog = None
  try:
    if distributed.initialize(
      _COORDINATOR.value,
      _NUM_PROCESSES.value,
      _PROCESS_ID.value,
      auto=_DISTRIBUTED.value,
      heartbeat_timeout=_HEARTBEAT.value,
    ):
      folder = os.path.join(_WORKDIR.value, "heartbeats")
      watchdog = distributed.Watchdog(
        folder, jax.process_index(), jax.process_count(), _HEARTBEAT.value
      )
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  from ae.train.report import summary  # pylint: disable=g-import-not-at-top
  from ae.train.runner import train_and_evaluate  # pylint: disable=g-import-not-at-top

  logging.info("JAX devices: %s", jax.devices())
  try:
    results = train_and_evaluate(_CONFIG.value, _WORKDIR.value)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  if watchdog is not None:
    watchdog.close()
  if jax.process_index() == 0:
    print(summary(results, _WORKDIR.value))


if __name__ == "__main__":
  app.run(main)
