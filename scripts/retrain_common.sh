# Sourced by the retrain scripts: strict mode, the repository root as working
# directory, ROOT (default workdirs) and WHICH (default all) from the arguments,
# and `train` (experiments.train without a progress bar).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="${1:-workdirs}"
which="${2:-all}"
train() { python3 -m experiments.train "$@" --config.progress=false; }
