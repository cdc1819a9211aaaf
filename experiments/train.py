r"""Trains and evaluates one experiment in a workdir; rerunning resumes it.

  python -m experiments.train --config=experiments/configs/seed.py --workdir=workdirs/seed \
      [--config.train.num_epochs=5] [--distributed]
"""

import sys

from absl import app, flags, logging
from ml_collections import config_flags

from ae.utils.errors import UserError
from ae.utils.logs import quiet_orbax

_CONFIG = config_flags.DEFINE_config_file(
  "config", None, "Experiment config file.", lock_config=True
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Folder of this run: config, metrics, checkpoints.")
_DISTRIBUTED = flags.DEFINE_bool(
  "distributed", False, "Call jax.distributed.initialize() (several hosts)."
)
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  quiet_orbax()
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  import jax  # pylint: disable=g-import-not-at-top

  if _DISTRIBUTED.value:
    jax.distributed.initialize()
  from ae.train.report import summary  # pylint: disable=g-import-not-at-top
  from ae.train.runner import train_and_evaluate  # pylint: disable=g-import-not-at-top

  logging.info("JAX devices: %s", jax.devices())
  try:
    results = train_and_evaluate(_CONFIG.value, _WORKDIR.value)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  if jax.process_index() == 0:
    print(summary(results, _WORKDIR.value))


if __name__ == "__main__":
  app.run(main)
