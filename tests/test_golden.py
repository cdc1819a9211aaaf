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
    pixels = np.ascontiguousarray(api.decode_batch(f.read()))
  out[name] = hashlib.sha256(pixels.tobytes()).hexdigest()
print(json.dumps(out))
"""


def _pixel_hash(image):
  return hashlib.sha256(np.ascontiguousarray(image, np.uint8).tobytes()).hexdigest()


def test_a_file_of_an_earlier_edition_of_a_codec_decodes_to_the_same_pixels(
  tiny_codecs, tmp_path, monkeypatch
):
  """A codec re-issued with new metadata (`ae.store.codec_file.reissue`, as
  scripts/reissue_codec.py does: the same parameters and tables) lists the earlier file's
  SHA-256 under `replaces`: a file that names the earlier edition decodes with the new
  one alone installed, to the same pixels."""
  from ae.store.codec_file import reissue  # pylint: disable=g-import-not-at-top

  with open(os.path.join(tiny_codecs, "mbt2018_mean.aec"), "rb") as f:
    earlier = f.read()
  image = np.random.default_rng(0).integers(0, 256, (40, 56, 3), np.uint8)
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  data = api.compress(image, "mbt2018_mean")
  want = _pixel_hash(api.decode(data))
  (tmp_path / "mbt2018_mean.aec").write_bytes(reissue(earlier, 123))
  monkeypatch.setenv("AE_CODEC_PATH", str(tmp_path))
  codec = registry.get("mbt2018_mean")
  assert data[4:12].hex() != codec.sha256[:16]  # the file names the earlier edition
  assert codec.exported.meta["replaces"] == [
    registry.load(os.path.join(tiny_codecs, "mbt2018_mean.aec")).sha256
  ]
  assert _pixel_hash(api.decode(data)) == want
  assert _pixel_hash(api.decode_batch(data)[0]) == want  # the path of `ae decompress`


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_golden_file_decodes_to_committed_pixels(name):
  entry = MANIFEST[name]
  assert registry.get(entry["codec"]).sha256 == entry["codec_sha256"], "a shipped codec changed"
  with open(os.path.join(GOLDEN, name), "rb") as f:
    data = f.read()
  images = api.decode_batch(data)
  image = images if registry.get(entry["codec"]).lossless else images[0]
  assert list(image.shape) == entry["shape"] and len(data) == entry["bytes"]
  assert _pixel_hash(image) == entry["pixels_sha256"]


@pytest.mark.parametrize(
  "name", sorted(n for n, e in MANIFEST.items() if registry.get(e["codec"]).lossless)
)
def test_lossless_golden_file_is_reencoded_to_the_same_bytes(name):
  """The lossless encoder is integer arithmetic too: the decoded batch encodes to the very
  bytes committed, on every machine."""
  from ae.codec import lossless

  with open(os.path.join(GOLDEN, name), "rb") as f:
    data = f.read()
  codec = registry.get(MANIFEST[name]["codec"])
  assert lossless.encode_images(api.decode_batch(data), codec) == data


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


@pytest.mark.parametrize("tile,margin", [(8, 3), (5, 2)])
def test_tiled_synthesis_gives_the_whole_images_pixels(tile, margin, monkeypatch):
  """Large images decode in latent tiles with context: the same uint8 pixels as one piece,
  whatever the tile size (and a margin below the receptive field would not)."""
  from ae.codec import fixed_point as fx
  from ae.codec import transforms

  program = registry.get("photo-mbt-q1").program
  m = program.params["g_s"]["deconv_0"]["kernel"].shape[3]
  y = np.round(np.random.default_rng(0).normal(0, 3, (19, 26, m))) * 2.0**fx.FRAC
  whole = program.synthesis(y)  # 304x416: below WHOLE, one piece
  monkeypatch.setattr(transforms, "WHOLE", 0)
  monkeypatch.setattr(transforms, "TILE", tile)
  monkeypatch.setattr(transforms, "MARGIN", margin)
  assert np.array_equal(program.synthesis(y), whole)
  monkeypatch.setattr(transforms, "MARGIN", 1)
  assert not np.array_equal(program.synthesis(y), whole)


def test_tiled_decoding_bounds_peak_memory(monkeypatch):
  """A 256x384 photo decoded in 4x4-latent tiles allocates a fraction of what the
  one-piece decoder does (numpy allocations traced), for the same pixels."""
  import tracemalloc

  from skimage import data

  from ae.codec import transforms

  data_ = api.compress(np.asarray(data.astronaut()), "photo-mbt-q1")  # 512x512: tiles dominate

  def peak() -> tuple[np.ndarray, int]:
    tracemalloc.start()
    try:
      return api.decompress(data_), tracemalloc.get_traced_memory()[1]
    finally:
      tracemalloc.stop()

  whole, whole_peak = peak()
  monkeypatch.setattr(transforms, "WHOLE", 0)
  monkeypatch.setattr(transforms, "TILE", 4)
  tiled, tiled_peak = peak()
  assert np.array_equal(tiled, whole)
  assert tiled_peak < 0.4 * whole_peak, (tiled_peak, whole_peak)
