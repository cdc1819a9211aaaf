"""Hostile .ae files: seeded mutations of the golden files never crash the decoder,
never exhaust memory and never take long (tests/fuzz_decode.py)."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def test_mutated_golden_files_are_refused_or_decoded_within_bounds():
  proc = subprocess.run(
    [sys.executable, os.path.join(HERE, "fuzz_decode.py"), "300", "0", "1536"],
    capture_output=True,
    text=True,
    timeout=300,
    cwd=os.path.dirname(HERE),
  )
  assert proc.returncode == 0, proc.stderr[-2000:]
  result = json.loads(proc.stdout.strip().splitlines()[-1])
  assert result["failures"] == []
  assert result["refused"] + result["decoded"] == 300 and result["refused"] > 150
  assert result["slowest_s"] < 10.0
