"""The checkerboard context codec (he2021): its two passes, its start from mbt2018-mean,
and its files."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.codec import api, bitstream, registry
from ae.compression import arch, context_models, models
from ae.compression import quantization as q


def test_the_anchors_are_a_checkerboard_and_their_count_is_declared():
  mask = arch.checkerboard(7, 9)
  assert mask[0, 0] and not mask[0, 1] and not mask[1, 0] and mask[1, 1]
  # every non-anchor's four neighbours inside the grid are anchors
  rows, cols = np.nonzero(~mask)
  for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
    r, c = rows + dr, cols + dc
    inside = (r >= 0) & (r < 7) & (c >= 0) & (c < 9)
    assert mask[r[inside], c[inside]].all()
  for h, w in ((7, 9), (8, 8), (1, 1), (1, 6), (5, 2)):
    assert arch.anchor_count(h, w) == arch.checkerboard(h, w).sum()


def test_the_architecture_declares_z_and_two_y_streams():
  a = arch.architecture({"name": "he2021", "n": 64, "m": 96}, (256, 256, 3))
  assert a.kind == "checkerboard" and a.hyper and a.mean_scale and a.y_streams == 2
  assert [t.scope for t in a.y_nets] == ["ctx_mean", "ctx_scale"]
  assert a.context.mean.layers[-1].zero_init
  # 100 x 130 pixels: y is 7 x 9 latents, 32 anchors and 31 others
  assert arch.stream_shapes(a, 100, 130) == [("z", (2, 3, 64)), ("y", (32, 96)), ("y", (31, 96))]


def test_a_codec_started_from_mbt2018_mean_codes_as_it_did():
  """The context networks' last layers start at zero: given mbt2018-mean's parameters
  (init_partial takes every one of equal path and shape), the checkerboard codec gives
  the same reconstruction and the same bits."""
  x = jax.random.uniform(jax.random.PRNGKey(0), (2, 32, 48, 3))
  mbt, ckbd = models.MBT2018Mean(n=8, m=12), context_models.CheckerboardCodec(n=8, m=12)
  init = lambda m: m.init(jax.random.PRNGKey(1), x, jax.random.PRNGKey(2), False, method="forward")
  old, fresh = init(mbt)["params"], init(ckbd)["params"]
  assert set(fresh) - set(old) == {"ctx_mean", "ctx_scale"}
  params = {**fresh, **old}
  rng = jax.random.PRNGKey(3)
  run = lambda model, p, *a: jax.jit(
    lambda p: model.apply({"params": p}, x, rng, *a, method="forward")
  )(p)
  a, b = run(mbt, old, False), run(ckbd, params, False)
  np.testing.assert_allclose(a[0], b[0], atol=1e-6)
  for k in ("y", "z"):
    np.testing.assert_allclose(a[1][k], b[1][k], rtol=1e-5)
  # Mixed training: the decoders see the same rounding (the rate's noise for the second
  # pass comes from another key).
  a, b = run(mbt, old, True, True), run(ckbd, params, True, True)
  np.testing.assert_allclose(a[0], b[0], atol=1e-6)


def test_the_context_moves_only_the_second_pass():
  """With non-zero context networks, the anchors' means are h_s's and the others' are not."""
  x = jax.random.uniform(jax.random.PRNGKey(0), (1, 32, 48, 3))
  model = context_models.CheckerboardCodec(n=8, m=12)
  params = model.init(jax.random.PRNGKey(1), x, jax.random.PRNGKey(2), False, method="forward")
  params = jax.tree_util.tree_map(np.asarray, params["params"])
  for scope in ("ctx_mean", "ctx_scale"):
    kernel = params[scope]["conv_2"]["kernel"]
    params[scope]["conv_2"]["kernel"] = np.random.default_rng(0).normal(0, 0.3, kernel.shape)

  def means(m, x):  # (the model's means of y, h_s's means) given the rounded z
    y = m.g_a(models.pad_to_multiple(x))
    z_hat = q.quantize(m.h_a(y), m.entropy_z.medians())
    mean_f = jnp.split(m.h_s(z_hat), 2, -1)[0][:, : y.shape[1], : y.shape[2]]
    return m.decode_y(y, z_hat, lambda v, offset, stream: q.quantize(v, offset))[2], mean_f

  mean, mean_f = jax.jit(lambda p: model.apply({"params": p}, x, method=means))(params)
  anchor = arch.checkerboard(mean.shape[1], mean.shape[2])
  diff = np.abs(np.asarray(mean - mean_f))[0]
  assert diff[anchor].max() == 0 and diff[~anchor].max() > 1e-3


@pytest.fixture
def codec(tiny_codecs, monkeypatch):
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  return registry.get("he2021")


@pytest.mark.parametrize("shape", [(40, 56), (17, 33), (1, 1)])
def test_files_hold_z_anchors_and_the_rest_and_decode_exactly(codec, shape):
  rng = np.random.default_rng(1)
  image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
  data, predicted = api.encode_and_predict(image, codec)
  assert len(bitstream.unpack(data)[1]) == 3
  decoded = api.decode(data)
  assert np.array_equal(decoded, predicted) and decoded.shape == image.shape


def test_a_file_missing_a_stream_is_refused(codec):
  image = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)
  header, streams = bitstream.unpack(api.encode(image, codec))
  with pytest.raises(bitstream.BitstreamError):
    api.decode(bitstream.pack(header, streams[:2]))


def test_a_gray_codec_has_one_channel_in_and_out():
  x = jax.random.uniform(jax.random.PRNGKey(0), (1, 32, 32, 1))
  model = context_models.CheckerboardCodec(n=8, m=12, channels=1)
  params = model.init(jax.random.PRNGKey(1), x, jax.random.PRNGKey(2), False, method="forward")
  x_hat = model.apply(params, x, jax.random.PRNGKey(2), False, method="forward")[0]
  assert x_hat.shape == x.shape and params["params"]["g_s"]["deconv_3"]["kernel"].shape[-2] == 1


@pytest.mark.parametrize("name", ["he2021", "ms2020"])
def test_the_files_y_bits_are_the_float_models_estimate(tiny_codecs, monkeypatch, name):
  """The exact decoder's means and scales are the trained model's: the y streams' bits
  under the frozen tables match the float model's estimate (a decoder that dropped a
  context network's correction would still decode its own files, at other bits)."""
  from ae.codec import export

  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  codec = registry.get(name)
  image = np.random.default_rng(5).integers(0, 256, (64, 96, 3), dtype=np.uint8)
  exact = sum(api.stream_bits(image, codec)[1:])
  estimate = float(export.estimate_bits(codec.exported, image[None])["y"][0])
  assert exact == pytest.approx(estimate, rel=0.01)
