"""Real files: entropy coding round trips, sizes, any image shape, and the bitstream."""

import numpy as np
import pytest

from ae.codec import api, bitstream, coder, registry
from ae.compression import quantization as q
from ae.compression import tables as tbl
from ae.utils import tiles
from ae.utils.errors import UserError
from tests.conftest import TINY_CODECS


@pytest.fixture
def codecs(tiny_codecs, monkeypatch):
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  return {name: registry.get(name) for name in TINY_CODECS}


def _image(shape, seed=0):
  """A smooth image with some texture, uint8 [H, W] or [H, W, 3]."""
  rng = np.random.default_rng(seed)
  h, w = shape[:2]
  yy, xx = np.mgrid[0:h, 0:w]
  base = 128 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
  img = base[..., None] + rng.normal(0, 10, (h, w, shape[2] if len(shape) == 3 else 1))
  img = np.clip(img, 0, 255).astype(np.uint8)
  return img if len(shape) == 3 else img[..., 0]


@pytest.mark.parametrize("name", list(TINY_CODECS))
def test_decoded_latents_equal_quantized_latents(codecs, name):
  """decompress(compress(x)) == quantize(x) for every entropy model of every codec."""
  codec = codecs[name]
  image = _image((40, 50, codec.channels))
  _, streams = api.symbolize(image, codec)
  for symbols, index, tables in streams:
    data = coder.encode(symbols, index, tables)
    assert np.array_equal(coder.decode(data, index, tables).reshape(symbols.shape), symbols)
  # The factorized stream's symbols are the latents rounded around the table offsets.
  p = codec.program
  x = (
    tiles.to_blocks(image, p.block) if p.kind == "dense" else tiles.pad_to_multiple(image, 16, 16)
  ).astype(np.float32)
  y = p.analysis(x / 255.0)
  latent = p.hyper_analysis(y) if p.arch.hyper else y
  offset = np.round(streams[0][2]["offset"].astype(np.float64) * 2**12) / 2**12
  np.testing.assert_allclose(streams[0][0] + offset, q.quantize(latent, offset), atol=1e-9)


@pytest.mark.parametrize("family", ["gaussian", "laplace"])
def test_conditional_coding_round_trips_with_escapes(family):
  from scipy import stats

  dist = stats.norm if family == "gaussian" else stats.laplace
  scales = np.geomspace(0.11, 30, 16).astype(np.float32)
  fn = lambda v, s: dist.cdf(v + 0.5, scale=s) - dist.cdf(v - 0.5, scale=s)
  tables = tbl.conditional_tables(fn, scales, family=family)
  rng = np.random.default_rng(0)
  index = rng.integers(0, 16, 20000)
  symbols = np.round(dist.rvs(scale=scales[index], random_state=rng)).astype(np.int64)
  symbols[:6] = [10**6, -(10**6), 2**31 - 7, -(2**31 - 7), 500, -501]  # far outside every table
  data = coder.encode(symbols, index, tables)
  assert np.array_equal(coder.decode(data, index, tables), symbols)
  est = coder.estimated_bits(symbols, index, tables)
  assert est <= 8 * len(data) <= 1.01 * est + 64


def test_escape_beyond_the_coder_range_is_refused():
  tables = tbl.pack([tbl.quantized_cdf(np.array([0.5, 0.5, 1e-9]))], [0])
  with pytest.raises(coder.CodingError):
    coder.encode(np.array([2**40]), np.array([0]), tables)


@pytest.mark.parametrize("name", list(TINY_CODECS))
def test_coded_size_within_one_percent_of_the_estimate(codecs, name):
  codec = codecs[name]
  image = _image((96, 128, codec.channels), seed=1)
  data = api.encode(image, codec)
  header, streams = bitstream.unpack(data)
  header_bytes = len(data) - sum(map(len, streams))
  for bits, stream in zip(api.stream_bits(image, codec), streams):
    assert bits <= 8 * len(stream) <= 1.01 * bits + 64  # + at most two 32-bit words of ANS state
  varint = lambda n: len(bitstream.varint(n))
  # magic 3, version 1, codec id 8, H, W, channels 1, stream count, lengths, CRC32 4.
  assert (
    header_bytes
    == 3 + 1 + 8 + varint(96) + varint(128) + 1 + 1 + sum(varint(len(s)) for s in streams) + 4
  )
  assert (header.height, header.width) == (96, 128)


@pytest.mark.parametrize("name", list(TINY_CODECS))
@pytest.mark.parametrize("shape", [(1, 1), (17, 33), (1000, 3)])
@pytest.mark.parametrize("color", [False, True])
def test_round_trip_any_size_and_colour_mode(codecs, name, shape, color):
  codec = codecs[name]
  image = _image((*shape, 3) if color else shape, seed=2)
  if color and codec.channels == 1:
    with pytest.raises(api.ImageError, match="codes gray images"):
      api.encode(image, codec)
    return
  data = api.encode(image, codec)
  out = api.decode(data)  # finds the codec by the id in the file
  assert out.shape == image.shape and out.dtype == np.uint8
  assert np.array_equal(api.decode(data), out)
  assert bitstream.unpack(data)[0].channels == (3 if color else 1)


@pytest.mark.parametrize("name", ["bmshj2018", "mbt2018_mean", "ms2020", "he2021", "bls2017"])
def test_fixed_point_decoder_matches_the_float_model(codecs, name):
  """The exact integer decoder reproduces the trained float model within one 8-bit level."""
  import jax.numpy as jnp

  codec = codecs[name]
  image = _image((48, 40, 3), seed=3)
  model, params = codec.exported.model, codec.exported.params
  want = np.round(
    np.clip(
      np.asarray(model.apply({"params": params}, jnp.asarray(image[None], jnp.float32) / 255.0))[0],
      0,
      1,
    )
    * 255
  )
  got = api.decode(api.encode(image, codec)).astype(np.float64)
  assert np.abs(got - want).max() <= 1 and np.mean(got != want) < 0.05


def test_block_decoding_does_not_depend_on_the_batch(codecs):
  codec = codecs["dense_codec"]
  p = codec.program
  _, [(symbols, _, tables)] = api.symbolize(_image((56, 84), seed=4), codec)
  y_hat = symbols * 2.0**12 + np.round(tables["offset"].astype(np.float64) * 2**12)
  together = p.synthesis(y_hat)
  alone = np.concatenate([p.synthesis(y_hat[i : i + 1]) for i in range(len(y_hat))])
  assert np.array_equal(together, alone)


def test_default_codec_follows_the_colour_mode(codecs):
  gray, rgb = registry.default_for(1, 28, 28), registry.default_for(3, 300, 400)
  assert gray.channels == 1 and rgb.channels == 3
  small_gray = [
    c for c in registry.available() if c.channels == 1 and c.exported.meta["image_shape"][0] <= 32
  ]
  lambdas = sorted(c.exported.meta["lmbda"] for c in small_gray)
  assert gray.exported.meta["lmbda"] == lambdas[len(lambdas) // 2]  # a middle rate
  assert registry.default_for(1, 300, 400).exported.meta["image_shape"][0] > 32  # gray photo
  # Fashion-MNIST codecs only for their own 28x28 gray: other small images are photos.
  for shape in ((1, 32, 32), (1, 8, 8), (3, 28, 28)):
    assert registry.default_for(*shape).exported.meta["image_shape"][0] > 32, shape
  gray = _image((20, 20))
  assert api.decompress(api.compress(gray)).shape == (20, 20)


def test_compress_takes_a_quality_as_the_command_does(codecs):
  image = _image((40, 56, 3), seed=2)
  want = registry.by_quality(2, 3, 40, 56)
  assert api.compress(image, quality=2) == api.encode(image, want)
  with pytest.raises(UserError, match="not both"):
    api.compress(image, codec=want, quality=2)
  with pytest.raises(UserError, match="--quality=99"):
    api.compress(image, quality=99)


def test_written_files_get_the_umask_permissions(tmp_path):
  import os  # pylint: disable=g-import-not-at-top

  from ae.codec.image_io import write_atomic  # pylint: disable=g-import-not-at-top

  umask = os.umask(0o022)
  try:
    write_atomic(str(tmp_path / "out.ae"), b"data")
  finally:
    os.umask(umask)
  assert (tmp_path / "out.ae").stat().st_mode & 0o777 == 0o644
  assert os.listdir(tmp_path) == ["out.ae"]


def test_codecs_are_listed_with_numbers_in_their_names_by_value(codecs, tmp_path, monkeypatch):
  source = codecs["bls2017"].path
  for name in ("z-q10", "z-q9", "z-q1"):
    (tmp_path / f"{name}.aec").write_bytes(open(source, "rb").read())
  monkeypatch.setenv("AE_CODEC_PATH", str(tmp_path))
  names = [c.name for c in registry.available()]
  assert [n for n in names if n.startswith("z-")] == ["z-q1", "z-q9", "z-q10"]
