"""Lossless files by bits-back coding: exact round trips, code length against the ELBO."""

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from ae.codec import api, bitsback, bitstream, lossless, registry
from ae.codec import bitsback_tables as bt
from ae.models import build_model
from ae.ops import vae_math
from ae.utils.errors import UserError

SHAPE = (28, 28, 1)


def _config(latent: int = 4, hidden: int = 16) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.model = ml_collections.ConfigDict(
    dict(
      name="vae",
      hidden_sizes=(hidden,),
      latent_size=latent,
      likelihood="logistic",
      hidden_activation="relu",
    )
  )
  config.data = ml_collections.ConfigDict(dict(name="fashion_mnist"))
  return config


def _params(config, seed: int = 0):
  model = build_model(config.model, SHAPE)
  keys = {"params": jax.random.key(seed), "sample": jax.random.key(seed + 1)}
  return model, jax.tree.map(np.asarray, model.init(keys, jnp.zeros((1, *SHAPE)))["params"])


def _images(n: int, seed: int = 0) -> np.ndarray:
  """Fashion-MNIST-like uint8 [n, 28, 28, 1]: a dark background and a bright textured blob."""
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[:28, :28]
  out = np.zeros((n, 28, 28, 1), np.uint8)
  for i in range(n):
    cy, cx, r = rng.uniform(10, 18), rng.uniform(10, 18), rng.uniform(5, 10)
    blob = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2
    out[i, ..., 0] = np.where(blob, rng.integers(60, 255, (28, 28)), 0)
  return out


@pytest.fixture(scope="module")
def program():
  config = _config()
  _, params = _params(config)
  return bitsback.Program(params, SHAPE, bt.build())


@pytest.fixture
def codec(tmp_path, monkeypatch):
  config = _config()
  _, params = _params(config)
  (tmp_path / "tiny-lossless.aec").write_bytes(
    lossless.export_lossless(config, params, SHAPE, 7, "float16")
  )
  monkeypatch.setenv("AE_CODEC_PATH", str(tmp_path))
  return registry.get("tiny-lossless")


def test_discretized_logistic_is_a_pmf_over_256_levels():
  levels = jnp.arange(256, dtype=jnp.float32) / 255.0
  for mean, log_scale in [(0.3, -3.0), (0.0, -6.5), (1.02, -2.0), (0.5, 0.5)]:
    ll = vae_math.discretized_logistic_log_likelihood(
      levels[:, None], jnp.full((256, 1), mean), jnp.full((256, 1), log_scale)
    )
    assert float(jnp.exp(ll).sum()) == pytest.approx(1.0, abs=2e-4)
  # The mass of an interior bin is the CDF difference.
  s = np.exp(-3.0)
  cdf = lambda v: 1 / (1 + np.exp(-(v - 0.3) / s))
  ll = vae_math.discretized_logistic_log_likelihood(jnp.full((1, 1), 80 / 255), 0.3, -3.0)
  assert float(ll[0]) == pytest.approx(np.log(cdf(80.5 / 255) - cdf(79.5 / 255)), rel=1e-4)


def test_the_tables_clip_log_scales_as_the_model_does():
  assert (bt.LOG_SCALE_MIN, bt.LOG_SCALE_MAX) == (
    vae_math.LOGISTIC_LOG_SCALE_MIN,
    vae_math.LOGISTIC_LOG_SCALE_MAX,
  )


def test_integer_pmfs_have_no_empty_bin_and_sum_to_the_total(program):
  images = _images(3)
  post = program.posterior_counts(images)
  assert post.shape == (3, 4, 1 << bt.LATENT_BITS)
  assert post.min() >= 1 and np.all(post.sum(-1) == bitsback.TOTAL)
  px = program.likelihood_counts(np.array([0, 511, 512, 1023]))
  assert px.shape == (784, 256) and px.min() >= 1 and np.all(px.sum(-1) == bitsback.TOTAL)


def test_batch_round_trip_is_exact_and_costs_the_ideal_bits(program):
  images = _images(12)
  kept, words = bitsback.encode(program, images)
  assert np.array_equal(bitsback.decode(program, len(images), kept, words), images)
  # The file's words against -log2 p(x|z) - log2 p(z) + log2 q(z|x) of the buckets the
  # coder drew: the extra is the pool bits the first image popped (at most one pool),
  # and constriction's own rounding of the integer pmfs moves a few bits either way.
  z = _drawn_buckets(program, images)
  ideal = bitsback.ideal_bits(program, images, z).sum()
  pool_bits = 32 * len(bitsback.pool_words(program.latent_size))
  assert 0.995 * ideal <= 32 * len(words) <= 1.005 * ideal + pool_bits


def _drawn_buckets(program, images) -> np.ndarray:
  """Replays the encoder's pops: the buckets it drew for each image."""
  import constriction

  coder = constriction.stream.stack.AnsCoder(bitsback.pool_words(program.latent_size))
  drawn = []
  for x, post in zip(images, program.posterior_counts(images)):
    z = coder.decode(bitsback._categorical, post)
    coder.encode_reverse(
      x.reshape(-1).astype(np.int32), bitsback._categorical, program.likelihood_counts(z)
    )
    coder.encode_reverse(z, constriction.stream.model.Uniform(1 << bt.LATENT_BITS))
    drawn.append(z)
  return np.stack(drawn)


def test_code_length_is_the_negative_elbo():
  """Mean bits over z ~ q of the integer model = the float model's negative ELBO / ln 2."""
  config = _config(latent=4, hidden=32)
  model, params = _params(config, seed=3)
  images = _images(6, seed=1)
  program = bitsback.Program(params, SHAPE, bt.build())
  rng = np.random.default_rng(0)
  post = program.posterior_counts(images)
  cdf = np.cumsum(post, -1) / bitsback.TOTAL
  bits = []
  for _ in range(40):  # z ~ the integer posterior, by inverse CDF
    u = rng.uniform(size=cdf.shape[:2])
    z = (cdf < u[..., None]).sum(-1).clip(0, cdf.shape[-1] - 1)
    bits.append(bitsback.ideal_bits(program, images, z))
  x = jnp.asarray(images, jnp.float32) / 255.0
  elbo = jax.jit(
    lambda k: model.apply({"params": params}, x, method="elbo_terms", rngs={"sample": k})
  )
  neg = [np.asarray(kl - ll) for ll, kl, _ in (elbo(jax.random.key(i)) for i in range(40))]
  assert np.mean(bits) == pytest.approx(np.mean(neg) / np.log(2), rel=0.01)


def test_a_file_holds_a_batch_and_decodes_to_the_identical_images(codec):
  images = _images(5)
  data = lossless.encode_images(images[..., 0], codec)
  header, streams = bitstream.unpack(data)
  assert (header.height, header.width, header.channels) == (28, 28, 1)
  assert lossless.batch_size(header, streams, codec)[0] == 5
  assert np.array_equal(api.decode_batch(data), images[..., 0])
  one = api.compress(images[0, ..., 0], codec)
  assert np.array_equal(api.decompress(one), images[0, ..., 0])
  with pytest.raises(UserError, match="holds 5 images"):
    api.decompress(data)


def test_corrupted_or_wrong_inputs_are_refused(codec):
  data = lossless.encode_images(_images(3), codec)
  flipped = bytearray(data)
  flipped[-5] ^= 0x10
  with pytest.raises(bitstream.BitstreamError, match="CRC|corrupt"):
    api.decode_batch(bytes(flipped))
  # Past the CRC (the file re-packed): a wrong pool count fails the stack's unwind check,
  # a header that does not give the codec's image size is refused before decoding.
  header, (meta, words) = bitstream.unpack(data)
  count, kept = lossless.batch_size(header, [meta, words], codec)
  wrong = bitstream.varint(count) + bitstream.varint(kept - 1)
  with pytest.raises(bitstream.BitstreamError, match="did not unwind|top word"):
    api.decode_batch(bitstream.pack(header, [wrong, words]))
  tiny = bitstream.Header(header.codec_id, 1, 1, 1)
  with pytest.raises(bitstream.BitstreamError, match="header says 1x1x1"):
    api.decode_batch(bitstream.pack(tiny, [meta, words]))
  assert "header says" in api.implausible(tiny, [meta, words], codec)
  with pytest.raises(UserError, match="images of 28x28 gray; got 2 of 32x32 gray"):
    lossless.encode_images(np.zeros((2, 32, 32), np.uint8), codec)
  with pytest.raises(UserError, match="got 1 of 28x28 RGB"):
    lossless.encode_images(np.zeros((1, 28, 28, 3), np.uint8), codec)
  with pytest.raises(UserError, match="lossless"):
    api.symbolize(np.zeros((28, 28), np.uint8), codec)
  with pytest.raises(UserError, match="uint8"):
    lossless.encode_images(np.zeros((2, 28, 28), np.float32), codec)
  assert codec not in registry.for_image(1, 28, 28)  # never a default for lossy coding
  assert "lossless" in codec.describe()


def test_the_stack_check_catches_a_wrong_pool_count(program):
  images = _images(2)
  kept, words = bitsback.encode(program, images)
  with pytest.raises(bitsback.StackError):
    bitsback.decode(program, len(images), kept + 1 if kept == 0 else kept - 1, words)


def test_command_line_batch_round_trip(codec, tmp_path, capsys):
  from PIL import Image

  from ae import cli

  images = _images(3)[..., 0]
  paths = []
  for i, im in enumerate(images):
    paths.append(str(tmp_path / f"in{i}.png"))
    Image.fromarray(im).save(paths[-1])
  out = str(tmp_path / "batch.ae")
  assert cli.main(["compress", *paths, "-o", out, "--codec=tiny-lossless"]) == 0
  said = capsys.readouterr().out
  bits = 8 * os.path.getsize(out) / (3 * 28 * 28)
  assert "lossless (3 images of 28x28" in said and f"{bits:.4f} bits per pixel" in said
  assert cli.main(["info", out]) == 0
  assert f"lossless, 3 images of 28x28 gray, {os.path.getsize(out):,} bytes = {bits:.4f} bpp" in (
    capsys.readouterr().out
  )
  assert cli.main(["decompress", out, "-o", str(tmp_path / "dec.png")]) == 0
  for i in range(3):
    assert np.array_equal(np.asarray(Image.open(tmp_path / f"dec-{i:04d}.png")), images[i])
  np.save(tmp_path / "in.npy", images)
  out2 = str(tmp_path / "npy.ae")
  assert cli.main(["compress", str(tmp_path / "in.npy"), "-o", out2, "--codec=tiny-lossless"]) == 0
  assert (tmp_path / "npy.ae").read_bytes() == (tmp_path / "batch.ae").read_bytes()
  assert cli.main(["decompress", out2, "-o", str(tmp_path / "dec.npy")]) == 0
  assert np.array_equal(np.load(tmp_path / "dec.npy"), images)
  assert cli.main(["decompress", out2, "-o", str(tmp_path / "dec.npy")]) == 0  # rerun
  capsys.readouterr()
  # A lossy codec takes one image per file; the error is one line, nothing is written.
  assert (
    cli.main(["compress", *paths[:2], "-o", str(tmp_path / "no.ae"), "--codec=fmnist-dense-q1"])
    == 1
  )
  assert "one image per file" in capsys.readouterr().err
  assert not (tmp_path / "no.ae").exists()
