#!/usr/bin/env bash
# The prepared check for a lent GPU machine (one `run` call of the device tool), writing one
# report to $OUT (default ./gpu_report):
#   bash scripts/gpu_report.sh
# It needs jax with CUDA on that machine (the lent GPU image has it) and ae's other
# dependencies: with `.kit/` carried (scripts/device_kit.py build, then slim; docs/training.md)
# it installs the kit's wheels first. With the shipped models slimmed away, the tests that
# read them fail there. Runs, within about 8 minutes:
#   1. the test suite's device-independent part (`pytest -m "not slow"`) on the GPU;
#   2. scripts/bench_train.py (the seed model's train step, float32);
#   3. scripts/bench_codec_step.py (its PyTorch column is left out where torch is absent).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu_report}"; mkdir -p "$out"
if [[ -d .kit/wheels ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/ae-site .kit/wheels/*.whl && export PYTHONPATH="/tmp/ae-site:$PWD"
fi
report="$out/report.md"
{
  echo "# GPU report ($(date -u +%Y-%m-%dT%H:%MZ))"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  python3 -c "import jax; print('jax', jax.__version__, jax.devices())" 2>&1
  echo; echo '## pytest -m "not slow" (device-independent part)'
  JAX_PLATFORMS="" timeout 240 python3 -m pytest -m "not slow" -q -p no:cacheprovider 2>&1 | tail -5
  echo; echo "## scripts/bench_train.py"
  timeout 120 python3 scripts/bench_train.py --repeats=3 2>&1 | grep -v "^I\|^W" | tail -8
  echo; echo "## scripts/bench_codec_step.py (JAX only)"
  timeout 120 python3 scripts/bench_codec_step.py --repeats=3 2>&1 | grep -v "^I\|^W" | tail -8
} > "$report" 2>&1
cat "$report"
