"""The channel-conditional codec (ms2020): its streams, exact slice networks, and files."""

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


def test_a_damaged_slice_stream_is_refused_or_decodes_to_an_image(codec):
  """A file cut short fails its CRC; a slice stream emptied under a valid CRC either is
  refused with one line or decodes to some image of the header's size, never a crash."""
  data = api.encode(_photo(48, 48, seed=1), codec)
  with pytest.raises(bitstream.BitstreamError):
    api.decode(data[:-3])
  header, streams = bitstream.unpack(data)
  for cut in range(1, 5):
    damaged = bitstream.pack(header, [*streams[:cut], b"", *streams[cut + 1 :]])
    try:
      out = api.decode(damaged)
    except bitstream.BitstreamError as e:
      assert "\n" not in str(e)
    else:
      assert out.shape == (48, 48, 3) and out.dtype == np.uint8


def test_init_partial_takes_the_parameters_that_fit():
  from ae.train.runner import _partial

  old = {"g_a": {"k": np.ones(3)}, "h_s": {"k": np.ones((2, 2))}, "gone": {"k": np.ones(1)}}
  new = {"g_a": {"k": np.zeros(3)}, "h_s": {"k": np.zeros((2, 3))}, "lrp_0": {"k": np.zeros(2)}}
  out = _partial(old, new)
  assert np.all(np.asarray(out["g_a"]["k"]) == 1)
  assert np.all(np.asarray(out["h_s"]["k"]) == 0)  # another shape: kept fresh
  assert np.all(np.asarray(out["lrp_0"]["k"]) == 0) and "gone" not in out
