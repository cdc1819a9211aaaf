"""The noise-level-conditioned denoiser (FFDNet) and applying denoisers to any image:
the noise map, tiles, the self-ensemble, sigma estimation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.denoise import apply, registry
from ae.denoise.registry import export_denoiser
from ae.models.denoise import FFDNet, pixel_shuffle, pixel_unshuffle
from ae.ops import corruptions
from ae.utils import tiles
from experiments.configs import ffdnet
from tests.test_family import _train


def test_pixel_unshuffle_is_inverted_by_pixel_shuffle():
  x = jnp.arange(2 * 6 * 8 * 3, dtype=jnp.float32).reshape(2, 6, 8, 3)
  y = pixel_unshuffle(x, 2)
  assert y.shape == (2, 3, 4, 12)
  np.testing.assert_array_equal(y[0, 0, 0, :3], x[0, 0, 0])  # top-left of each 2x2 first
  np.testing.assert_array_equal(pixel_shuffle(y, 2), x)


def test_ffdnet_any_size_and_the_noise_map_matters():
  model = FFDNet(width=8, depth=3)
  x = jax.random.uniform(jax.random.key(0), (2, 17, 23, 3))
  params = model.init(jax.random.key(1), x)["params"]
  out = model.apply({"params": params}, x, jnp.array([0.0, 50.0]))
  assert out.shape == x.shape
  per_image = model.apply({"params": params}, x, 50.0)
  assert not np.allclose(out[0], per_image[0]) and np.allclose(out[1], per_image[1], atol=1e-6)
  as_map = model.apply({"params": params}, x, jnp.full((2, 17, 23, 1), 50.0))
  np.testing.assert_allclose(as_map, per_image, atol=1e-6)


def test_noise_with_level_and_8_bit_quantization():
  cc = ffdnet.get_config("gray").corruption
  x = jnp.full((64, 32, 32, 1), 0.5)
  noisy, sigma = corruptions.gaussian_with_level(cc, jax.random.key(2), x)
  assert sigma.shape == (64,) and 0 <= float(sigma.min()) and float(sigma.max()) <= 75
  std = np.asarray(noisy - 0.5).reshape(64, -1).std(1) * 255
  np.testing.assert_allclose(std, np.asarray(sigma), rtol=0.15, atol=1.5)
  on_grid = np.all(
    np.isclose(np.asarray(noisy) * 255, np.round(np.asarray(noisy) * 255), atol=1e-3),
    axis=(1, 2, 3),
  )
  assert 0.3 < on_grid.mean() < 0.7  # cc.quantize = 0.5 of the images


def _tiny_config(channels: int):
  config = ffdnet.get_config("gray" if channels == 1 else "rgb")
  config.model.width, config.model.depth = 8, 3
  config.train.learning_rate = 3e-3
  return config


def test_ffdnet_trains_through_the_shared_step():
  config = _tiny_config(1)
  _, _, m = _train(config, steps=12)
  assert np.all(np.isfinite(m["loss"])) and m["loss"][-3:].mean() < m["loss"][:3].mean()
  assert {"psnr", "noisy_psnr"} <= set(m)


@pytest.fixture
def tiny_ffdnet(tmp_path, monkeypatch):
  config = _tiny_config(1)
  _, state, _ = _train(config, steps=4)
  path = tmp_path / "tiny-ffdnet.aed"
  path.write_bytes(export_denoiser(config, state.params, (28, 28, 1), 4, "float16"))
  monkeypatch.setenv("AE_DENOISER_PATH", str(tmp_path))
  return registry.load(str(path))


def test_tiles_give_the_whole_image_result(tiny_ffdnet, monkeypatch):
  rng = np.random.default_rng(0)
  x = rng.random((90, 70, 1)).astype(np.float32)
  whole = apply.denoise_float(x, tiny_ffdnet, 25.0)
  monkeypatch.setattr(apply, "TILE", 32)
  monkeypatch.setattr(apply, "MARGIN", 8)  # > the 3-layer model's reach (3 px at half size)
  tiled = apply.denoise_float(x, tiny_ffdnet, 25.0)
  # Every window is a piece of the image (the last ones shifted inside it, at even
  # offsets here), so the border is seen as the whole image sees it: exact everywhere.
  assert [s[2] for s in tiles.spans(90, 32, 8)] == [0, 24, 42]
  assert tiles.spans(33 * 3 + 1, 32, 8) == [(0, 32, 0), (32, 64, 24), (64, 100, 52)]  # one window
  np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_self_ensemble_is_invariant_to_flips(tiny_ffdnet):
  x = np.random.default_rng(1).random((20, 20)).astype(np.float32)
  a = apply.denoise_float(x, tiny_ffdnet, 10.0, ensemble=True)
  b = apply.denoise_float(x[:, ::-1].T.copy(), tiny_ffdnet, 10.0, ensemble=True)
  np.testing.assert_allclose(a[:, ::-1].T, b, atol=1e-5)
  assert not np.allclose(a, apply.denoise_float(x, tiny_ffdnet, 10.0), atol=1e-4)


def test_sigma_is_estimated_when_not_given(tiny_ffdnet):
  yy, xx = np.mgrid[0:96, 0:96]
  clean = 0.5 + 0.3 * np.sin(xx / 9.0) * np.cos(yy / 11.0)
  for sigma in (10.0, 30.0):
    noisy = clean + np.random.default_rng(2).normal(0, sigma / 255, clean.shape)
    assert apply.estimate_sigma(noisy) == pytest.approx(sigma, rel=0.15)
  image = np.clip(np.round(noisy * 255), 0, 255).astype(np.uint8)
  out, used = apply.denoise_with_level(image, tiny_ffdnet)
  assert out.shape == image.shape and out.dtype == np.uint8 and used == pytest.approx(30, rel=0.15)
  assert registry.choose(1, None, 28, 28).noise_conditioned  # preferred in its size class


def test_a_noise_map_unet_warm_starts_from_a_blind_one(tmp_path):
  """init_from a blind U-Net: the noise-map channel's kernel starts at zero, so the new
  model computes exactly what the old one did, whatever sigma it is told."""
  from ae.train import runner  # pylint: disable=g-import-not-at-top
  from ae.train import state as state_lib  # pylint: disable=g-import-not-at-top
  from experiments.configs import dae_unet  # pylint: disable=g-import-not-at-top

  blind = dae_unet.get_config()
  blind.model.widths = (8, 16)
  _, state, _ = _train(blind, steps=2)
  path = tmp_path / "blind.aed"
  path.write_bytes(export_denoiser(blind, state.params, (28, 28, 1), 2))
  mapped = dae_unet.get_config()
  mapped.model.widths, mapped.model.noise_map = (8, 16), True
  model, fresh, _ = state_lib.init_state(mapped, (28, 28, 1), runner.parallel.make_mesh())
  warm = runner.warm_start(fresh, str(path), runner.parallel.make_mesh())
  assert warm.params["enc_0_a"]["kernel"].shape == (3, 3, 2, 8)
  x = jax.random.uniform(jax.random.key(3), (2, 28, 28, 1))
  old = registry.load(str(path))
  want = old.model.apply({"params": old.params}, x)
  for sigma in (0.0, 40.0):
    got = model.apply({"params": warm.params}, x, sigma)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_gray_model_denoises_rgb_in_opponent_colours(tiny_ffdnet):
  assert np.allclose(apply.OPPONENT @ apply.OPPONENT.T, np.diag(apply.OPPONENT_NOISE**2))
  x = np.random.default_rng(4).random((16, 16, 3)).astype(np.float32)
  out = apply.denoise_float(x, tiny_ffdnet, 20.0)
  assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
  y = x.astype(np.float64) @ apply.OPPONENT.T + apply.OPPONENT_OFFSET
  back = (y - apply.OPPONENT_OFFSET) @ np.linalg.inv(apply.OPPONENT).T
  np.testing.assert_allclose(back, x, atol=1e-12)
