"""The channel-conditional codec (ms2020): its streams, exact slice networks, and files."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ae.codec import api, bitstream, registry
from ae.codec import fixed_point as fx
from ae.compression import arch
from ae.utils.errors import ConfigError


@pytest.fixture
def codec(tiny_codecs, monkeypatch):
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  return registry.get("ms2020")


def _photo(h, w, seed=0):
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[0:h, 0:w]
  base = 128 + 70 * np.sin(xx / 6.0)[..., None] * np.cos(yy / 4.0)[..., None]
  return np.clip(base + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)


def test_the_architecture_declares_one_stream_per_slice():
  a = arch.architecture({"name": "ms2020", "n": 64, "m": 96, "slices": 4}, (256, 256, 3))
  assert a.kind == "channel" and a.hyper and a.y_streams == 4
  assert arch.stream_shapes(a, 100, 130) == [("z", (2, 3, 64))] + [("y", (7, 9, 24))] * 4
  assert [s.lrp.scope for s in a.slices] == ["lrp_0", "lrp_1", "lrp_2", "lrp_3"]
  b = arch.architecture({"name": "mbt2018_mean", "n": 64, "m": 96}, (256, 256, 3))
  assert arch.stream_shapes(b, 100, 130) == [("z", (2, 3, 64)), ("y", (7, 9, 96))]
  with pytest.raises(ConfigError, match="must divide"):
    arch.architecture({"name": "ms2020", "n": 64, "m": 96, "slices": 5}, (256, 256, 3))
  # z and one stream per slice must fit in one file: 8 slices would write unreadable files
  assert arch.MAX_SLICES + 1 == bitstream.MAX_STREAMS
  with pytest.raises(ConfigError, match="at most 7 slices"):
    arch.architecture({"name": "ms2020", "n": 64, "m": 96, "slices": 8}, (256, 256, 3))
  header = bitstream.Header(b"\0" * bitstream.ID_BYTES, 16, 16, 3)
  with pytest.raises(ValueError, match="at most 8"):
    bitstream.pack(header, [b""] * 9)


def test_fixed_point_half_softsign_is_the_float_one_rounded():
  a = np.arange(-fx.CLIP * 4096, fx.CLIP * 4096 + 1, 977.0)
  x = a / 4096
  want = x / (2 * (1 + np.abs(x)))
  got = fx.half_softsign(a)
  assert np.all(np.abs(got / 4096 - want) <= 0.5 / 4096 + 1e-12)
  assert np.all(np.abs(got) <= 2048) and np.all(got == np.floor(got))


def test_files_hold_z_and_one_stream_per_slice_and_decode_exactly(codec):
  image = _photo(40, 56)
  data, predicted = api.encode_and_predict(image, codec)
  _, streams = bitstream.unpack(data)
  assert len(streams) == 1 + 4
  decoded = api.decode(data)
  assert np.array_equal(decoded, predicted) and decoded.shape == image.shape


def test_a_slice_stream_with_latents_out_of_range_is_refused(codec):
  """A crafted slice stream whose (escaped) symbols put y beyond the decoder's clip range
  is refused with one line before its slice networks run; a file cut short fails its CRC."""
  from ae.codec import coder

  image = _photo(48, 48, seed=1)
  data = api.encode(image, codec)
  with pytest.raises(bitstream.BitstreamError):
    api.decode(data[:-3])
  header, streams = bitstream.unpack(data)
  _, encoded = api.symbolize(image, codec)
  sym, index, tables = encoded[2]  # slice 1
  hostile = coder.encode(np.full_like(sym, 1 << 20), index, tables)
  with pytest.raises(bitstream.BitstreamError, match="out of range"):
    api.decode(bitstream.pack(header, [*streams[:2], hostile, *streams[3:]]))


def test_a_z_stream_with_latents_out_of_range_is_refused_before_the_hyper_synthesis(
  codec, monkeypatch
):
  from ae.codec import coder, transforms

  image = _photo(48, 48, seed=1)
  header, encoded = api.symbolize(image, codec)
  data = api.encode(image, codec)
  sym, index, tables = encoded[0]  # z
  hostile = coder.encode(np.full_like(sym, -(1 << 20)), index, tables)
  ran = []
  monkeypatch.setattr(
    transforms.Program, "hyper_synthesis", lambda *a: ran.append(1) or a[1], raising=True
  )
  with pytest.raises(bitstream.BitstreamError, match="out of range"):
    api.decode(bitstream.pack(header, [hostile, *bitstream.unpack(data)[1][1:]]))
  assert not ran


def test_init_partial_takes_the_parameters_that_fit():
  from ae.train.runner import _partial

  old = {"g_a": {"k": np.ones(3)}, "h_s": {"k": np.ones((2, 2))}, "gone": {"k": np.ones(1)}}
  new = {"g_a": {"k": np.zeros(3)}, "h_s": {"k": np.zeros((2, 3))}, "lrp_0": {"k": np.zeros(2)}}
  counts = [0, 0]
  out = _partial(old, new, counts)
  assert counts == [1, 2]
  assert np.all(np.asarray(out["g_a"]["k"]) == 1)
  assert np.all(np.asarray(out["h_s"]["k"]) == 0)  # another shape: kept fresh
  assert np.all(np.asarray(out["lrp_0"]["k"]) == 0) and "gone" not in out


GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
with open(os.path.join(GOLDEN, "codecs", "golden.json")) as _f:
  ARCH_GOLDEN = json.load(_f)
_DECODE = """
import hashlib, sys
import numpy as np
from ae.codec import api, registry
codec = registry.load(sys.argv[1])
pixels = np.ascontiguousarray(api.decode(open(sys.argv[2], "rb").read(), codec))
print(hashlib.sha256(pixels.tobytes()).hexdigest())
"""


@pytest.mark.parametrize("fname", sorted(ARCH_GOLDEN))
def test_golden_file_of_the_architecture_decodes_to_its_pixels_with_one_thread(fname):
  """A tiny committed codec per architecture with a context for y (ms2020, he2021;
  scripts/make_golden.py): its golden file decodes to the
  committed hash here and in a process limited to one thread."""
  entry = ARCH_GOLDEN[fname]
  codec_path, path = (
    os.path.join(GOLDEN, "codecs", entry["codec_file"]),
    os.path.join(GOLDEN, fname),
  )
  with open(path, "rb") as f:
    pixels = api.decode(f.read(), registry.load(codec_path))
  assert (
    hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest() == entry["pixels_sha256"]
  )
  env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
  single = subprocess.run(
    [sys.executable, "-c", _DECODE, codec_path, path],
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
    check=True,
  )
  assert single.stdout.strip().splitlines()[-1] == entry["pixels_sha256"]


def test_a_codec_file_whose_parameters_do_not_fit_its_model_is_refused_in_one_line(
  tiny_codecs, tmp_path, monkeypatch
):
  """Damaged parameters (a layer missing) give a UserError naming the file, also when
  the registry scans every codec for a file's id, never a traceback."""
  from ae.store import bundle as bundle_lib
  from ae.utils.errors import UserError

  with open(os.path.join(tiny_codecs, "ms2020.aec"), "rb") as f:
    bundle = bundle_lib.unpack(f.read())
  del bundle["params"]["g_s"]
  (tmp_path / "broken.aec").write_bytes(bundle_lib.pack(bundle))
  with pytest.raises(UserError, match="broken.aec has damaged contents"):
    registry.load(str(tmp_path / "broken.aec"))
  monkeypatch.setenv("AE_CODEC_PATH", str(tmp_path))
  with pytest.raises(registry.CodecNotFoundError):
    registry.by_id(b"\1" * bitstream.ID_BYTES)


def test_a_photo_sized_file_decodes_to_the_same_pixels_with_one_thread(codec, tmp_path):
  """At 256x320 the decoder's matrix products are large enough for BLAS to split across
  threads; a one-thread process must still give the same pixels (exact integers)."""
  data = api.encode(_photo(256, 320, seed=4), codec)
  (tmp_path / "x.ae").write_bytes(data)
  want = hashlib.sha256(np.ascontiguousarray(api.decode(data, codec)).tobytes()).hexdigest()
  env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
  single = subprocess.run(
    [sys.executable, "-c", _DECODE, codec.path, str(tmp_path / "x.ae")],
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
    check=True,
  )
  assert single.stdout.strip().splitlines()[-1] == want
