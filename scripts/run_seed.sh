#!/usr/bin/env bash
# Fresh machine -> trained seed autoencoder: installs the offline Fashion-MNIST and
# the package, trains experiments/configs/seed.py, prints test metrics beside PCA.
#   bash scripts/run_seed.sh [WORKDIR] [--config.x=y ...]
set -euo pipefail
cd "$(dirname "$0")/.."
workdir="${1:-workdirs/seed}"; shift || true
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends dataset-fashion-mnist
fi
python3 -m pip install -q -e .
exec python3 -m experiments.train --config=experiments/configs/seed.py --workdir="$workdir" "$@"
