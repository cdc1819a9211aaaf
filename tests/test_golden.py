"""Golden bitstreams: committed files decode to committed pixel hashes, with any thread count.

The hashes were made by `python scripts/make_golden.py` on the development
machine; the decoder is exact fixed-point arithmetic (ae/codec/fixed_point.py),
so every machine must reproduce them bit for bit.
"""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ae.codec import api, registry

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
with open(os.path.join(GOLDEN, "golden.json")) as _f:
  MANIFEST = json.load(_f)

_DECODE_ALL = """
import hashlib, json, os, sys
import numpy as np
from ae.codec import api
out = {}
for name in sorted(json.load(open(os.path.join(sys.argv[1], "golden.json")))):
  with open(os.path.join(sys.argv[1], name), "rb") as f:
    out[name] = hashlib.sha256(np.ascontiguousarray(api.decompress(f.read())).tobytes()).hexdigest()
print(json.dumps(out))
"""


def _pixel_hash(image):
  return hashlib.sha256(np.ascontiguousarray(image, np.uint8).tobytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_golden_file_decodes_to_committed_pixels(name):
  entry = MANIFEST[name]
  assert registry.get(entry["codec"]).sha256 == entry["codec_sha256"], "a shipped codec changed"
  with open(os.path.join(GOLDEN, name), "rb") as f:
    data = f.read()
  image = api.decompress(data)
  assert list(image.shape) == entry["shape"] and len(data) == entry["bytes"]
  assert _pixel_hash(image) == entry["pixels_sha256"]


def test_one_thread_and_all_threads_decode_the_same_pixels():
  env = dict(
    os.environ,
    OMP_NUM_THREADS="1",
    OPENBLAS_NUM_THREADS="1",
    MKL_NUM_THREADS="1",
    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
  )
  single = subprocess.run(
    [sys.executable, "-c", _DECODE_ALL, GOLDEN],
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
    check=True,
  )
  hashes = json.loads(single.stdout.strip().splitlines()[-1])
  assert hashes == {name: entry["pixels_sha256"] for name, entry in MANIFEST.items()}
