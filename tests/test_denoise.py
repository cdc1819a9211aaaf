"""Denoising: corruption statistics, one training step of each denoiser, baselines, CLI."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from ae.baselines import denoisers as baselines
from ae.denoise import evaluate as ev
from ae.denoise.registry import export_denoiser
from ae.ops import corruptions
from experiments.configs import dae, dae_unet
from tests.test_cli import run_cli
from tests.test_family import _train

N = (64, 64, 64, 1)


def _x(value=0.5):
  return jnp.full(N, value, jnp.float32)


def test_gaussian_noise_statistics_unclipped():
  noisy = corruptions.gaussian(jax.random.key(0), _x(0.02), 25.0)
  n = np.asarray(noisy - 0.02) * 255.0
  assert abs(n.mean()) < 0.2 and n.std() == pytest.approx(25.0, rel=0.01)
  assert float(noisy.min()) < 0.0  # not clipped


def test_blind_gaussian_draws_one_sigma_per_image():
  noisy = corruptions.blind_gaussian(jax.random.key(1), _x(), 0.0, 55.0)
  per_image = np.asarray(noisy - 0.5).reshape(64, -1).std(1) * 255.0
  assert per_image.min() < 15 and per_image.max() > 40 and per_image.max() < 57


def test_keras_noise_is_clipped_with_factor_half():
  noisy = np.asarray(corruptions.keras(jax.random.key(2), _x(0.5), 0.5))
  assert noisy.min() == 0.0 and noisy.max() == 1.0
  inner = noisy[(noisy > 0) & (noisy < 1)] - 0.5
  assert abs(inner.mean()) < 0.01
  assert np.mean(noisy == 1.0) == pytest.approx(0.1587, abs=0.01)  # P(N(0,.5) > .5)


def test_salt_pepper_and_masking_fractions():
  sp = np.asarray(corruptions.salt_pepper(jax.random.key(3), _x(), 0.2))
  hit = sp != 0.5
  assert hit.mean() == pytest.approx(0.2, abs=0.01)
  assert np.mean(sp[hit] == 1.0) == pytest.approx(0.5, abs=0.02) and set(np.unique(sp)) == {
    0,
    0.5,
    1,
  }
  mk = np.asarray(corruptions.masking(jax.random.key(4), _x(), 0.3))
  assert np.mean(mk == 0) == pytest.approx(0.3, abs=0.01) and set(np.unique(mk)) == {0.0, 0.5}


def _tiny(config):
  config.train.learning_rate = 3e-3
  return config


@pytest.mark.parametrize("kind", ["gaussian", "blind_gaussian", "keras", "salt_pepper", "masking"])
def test_dense_denoiser_trains_on_each_corruption(kind):
  config = _tiny(dae.get_config())
  config.model.hidden_sizes, config.model.code_size = (64,), 32
  config.corruption.kind = kind
  _, _, m = _train(config, steps=40)
  assert np.all(np.isfinite(m["loss"])) and m["loss"][-3:].mean() < m["loss"][:3].mean()
  assert {"psnr", "noisy_psnr"} <= set(m)


def test_unet_denoiser_trains_and_keeps_shape():
  config = _tiny(dae_unet.get_config())
  config.model.widths = (8, 16)
  model, state, m = _train(config, steps=6)
  assert m["loss"][-1] < m["loss"][0]
  out = model.apply({"params": state.params}, jnp.zeros((2, 17, 23, 1)))
  assert out.shape == (2, 17, 23, 1)


def test_baselines_reduce_noise():
  rng = np.random.default_rng(0)
  yy, xx = np.mgrid[0:48, 0:48]
  clean = (128 + 80 * np.sin(xx / 7.0) * np.cos(yy / 9.0)).astype(np.uint8)
  noisy = ev.add_noise(clean, 25.0, 1)
  noisy_psnr = 10 * np.log10(1 / np.mean((noisy - clean / 255.0) ** 2))
  assert noisy_psnr == pytest.approx(20.17, abs=0.3)
  for name, fn in baselines.BASELINES.items():
    out = fn(noisy, 25.0)
    psnr = 10 * np.log10(1 / np.mean((out - clean / 255.0) ** 2))
    assert psnr > noisy_psnr + 2, name
  del rng


@pytest.mark.parametrize("kind", ["salt_pepper", "masking"])
def test_impulse_noise_and_its_baselines(kind):
  yy, xx = np.mgrid[0:48, 0:48]
  clean = (128 + 80 * np.sin(xx / 7.0) * np.cos(yy / 9.0)).astype(np.uint8)
  rgb = np.stack([clean, 255 - clean, clean // 2], -1)
  noisy = ev.add_impulse(rgb, kind, 0.2, 3)
  hit = np.any(noisy != rgb / 255.0, axis=-1)
  assert hit.mean() == pytest.approx(0.2, abs=0.03)
  values = set(np.unique(noisy[hit]))
  assert values <= ({0.0, 1.0} if kind == "salt_pepper" else {0.0})
  assert np.all(noisy[hit] == noisy[hit][:, :1])  # all channels of a pixel together
  records = ev.evaluate_impulse("toy", [clean, rgb], [], settings=((kind, 0.2),), log=None)
  summary = {r["method"]: r["psnr"] for r in ev.summarize(records)}
  assert set(summary) == {"noisy", "median3", "inpaint"}
  assert summary["median3"] > summary["noisy"] + 5 and summary["inpaint"] > summary["median3"]
  assert f"| {kind} 0.2 |" in ev.markdown(ev.summarize(records))


@pytest.fixture
def tiny_denoiser(tmp_path, monkeypatch):
  config = _tiny(dae_unet.get_config())
  config.model.widths = (8, 16)
  _, state, _ = _train(config, steps=4)
  path = tmp_path / "dn" / "tiny-unet.aed"
  path.parent.mkdir()
  path.write_bytes(export_denoiser(config, state.params, (28, 28, 1), 4))
  half = export_denoiser(config, state.params, (28, 28, 1), 4, "float16")
  assert len(half) < 0.6 * path.stat().st_size
  (tmp_path / "tiny-half.aed").write_bytes(half)
  monkeypatch.setenv("AE_DENOISER_PATH", str(path.parent))
  return str(path)


def test_half_precision_denoiser_matches_full(tiny_denoiser, tmp_path):
  from ae.denoise import denoise_float, registry  # pylint: disable=g-import-not-at-top

  full, half = registry.load(tiny_denoiser), registry.load(str(tmp_path / "tiny-half.aed"))
  assert all(a.dtype == np.float32 for a in jax.tree.leaves(half.params))
  noisy = np.random.default_rng(2).random((28, 28))
  np.testing.assert_allclose(denoise_float(noisy, half), denoise_float(noisy, full), atol=1e-2)


def test_cli_denoise_round_trip(tiny_denoiser, tmp_path, capsys):
  rng = np.random.default_rng(5)
  Image.fromarray(rng.integers(0, 256, (21, 30, 3)).astype(np.uint8)).save(tmp_path / "noisy.png")
  assert (
    run_cli(
      "denoise",
      str(tmp_path / "noisy.png"),
      "-o",
      str(tmp_path / "clean.png"),
      "--model=tiny-unet",
      "--sigma=25",
    )
    == 0
  )
  out = capsys.readouterr()
  assert "tiny-unet" in out.out and "note:" not in out.err
  assert np.asarray(Image.open(tmp_path / "clean.png")).shape == (21, 30, 3)
  args = ("denoise", str(tmp_path / "noisy.png"), "-o", str(tmp_path / "loud.png"))
  assert run_cli(*args, "--model=tiny-unet", "--sigma=200") == 0
  assert "sigma 200.0 (per channel the model sees) is above the 55" in capsys.readouterr().err
  assert run_cli("denoisers") == 0
  lines = capsys.readouterr().out.strip().splitlines()
  assert any(
    line.startswith("tiny-unet\tmodel=denoise_unet\tnoise=blind gaussian") for line in lines
  )
  assert all("\tmodel=" in line and "\tnoise=" in line for line in lines)
  assert run_cli("denoise", str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.png")) == 1
  err = capsys.readouterr().err.strip()
  assert (
    err.startswith("error:") and len(err.splitlines()) == 1 and not (tmp_path / "x.png").exists()
  )


def test_shipped_denoisers_reduce_noise():
  """The shipped photo denoisers, chosen by size (the noise-conditioned one first), lower
  the error of noisy gray and RGB images, told sigma or estimating it; so do the blind
  U-Nets of each colour mode."""
  from ae import denoise
  from ae.denoise import registry

  yy, xx = np.mgrid[0:40, 0:48]
  clean = np.clip(128 + 70 * np.sin(xx / 6.0) * np.cos(yy / 8.0), 0, 255)
  for image in (clean, np.stack([clean, clean * 0.8, 255 - clean], -1)):
    noisy = np.clip(image + np.random.default_rng(6).normal(0, 25, image.shape), 0, 255).astype(
      np.uint8
    )
    channels = 1 if image.ndim == 2 else 3
    model = registry.choose(channels, 25.0, 40, 48)
    assert model.noise_conditioned and model.image_shape[0] > 32  # a photo model for 40x48
    blind = registry.get(f"photo-unet-{'gray' if channels == 1 else 'rgb'}-blind")
    err = lambda a, image=image: np.mean((a.astype(np.float64) - image) ** 2)
    for d, sigma in ((model, 25.0), (model, None), (blind, None)):
      out = denoise.denoise(noisy, d, sigma)
      assert out.shape == noisy.shape and err(out) < 0.5 * err(noisy), (d.name, sigma)
  assert registry.choose(1, None, 28, 28).trained_on.startswith("fashion_mnist")
  # Other small images are photos: Fashion-MNIST models only for their own 28x28 gray.
  for channels, side in ((3, 8), (1, 8), (1, 32), (3, 28)):
    assert registry.choose(channels, None, side, side).image_shape[0] > 32, (channels, side)


def test_denoise_refuses_floats_odd_shapes_and_sigma_outside_the_scale():
  from ae import denoise
  from ae.utils.errors import UserError

  image = np.full((16, 16, 3), 100, np.uint8)
  for bad, sigma, message in (
    (image / 255.0, None, "uint8"),
    (image[..., :2], None, "shape"),
    (image[:0], None, "shape"),
    (image[:4, :4], None, "too small to estimate"),
    (image, -5.0, "outside"),
    (image, 1000.0, "outside"),
    (image, float("nan"), "outside"),
  ):
    with pytest.raises(UserError, match=message):
      denoise.denoise(bad, "photo-unet-gray", sigma)
  one = denoise.denoise(image[..., :1], "photo-unet-gray", 10.0)  # [H, W, 1] is gray
  assert one.shape == (16, 16, 1) and np.array_equal(
    one[..., 0], denoise.denoise(image[..., 0], "photo-unet-gray", 10.0)
  )


def test_evaluation_scores_the_self_ensemble_of_noise_conditioned_models():
  """With `ensemble`, a noise-conditioned denoiser gets a second column "NAME x8" that is
  `ae denoise --ensemble` told the true sigma; blind models get none."""
  from ae.denoise import denoise_float, registry  # pylint: disable=g-import-not-at-top

  model, blind = registry.get("photo-unet-gray"), registry.get("photo-unet-gray-blind")
  clean = np.random.default_rng(3).integers(0, 256, (24, 20)).astype(np.uint8)
  noisy = ev.add_noise(clean, 25.0, seed=1)
  fns, _ = ev.methods_for(25.0, [clean], [model, blind], include_bm3d=False, ensemble=True)
  assert {"photo-unet-gray", "photo-unet-gray x8", "photo-unet-gray-blind"} <= set(fns)
  assert "photo-unet-gray-blind x8" not in fns
  np.testing.assert_array_equal(
    fns["photo-unet-gray x8"](noisy), denoise_float(noisy, model, 25.0, ensemble=True)
  )
  assert not np.array_equal(fns["photo-unet-gray x8"](noisy), fns["photo-unet-gray"](noisy))
  plain, _ = ev.methods_for(25.0, [clean], [model], include_bm3d=False)
  assert "photo-unet-gray x8" not in plain


def test_a_unet_one_level_deeper_starts_as_the_trained_one(tmp_path):
  """`train.init_from` of a 2-level noise-map U-Net into a 3-level one: the old middle
  block becomes the third encoder block, the new level starts without effect, so the
  deeper model computes what the trained one did (sides multiples of 4) and then learns."""
  from ae.train import runner  # pylint: disable=g-import-not-at-top
  from ae.train import state as state_lib  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top
  from experiments.configs import unet_map  # pylint: disable=g-import-not-at-top

  mesh = runner.parallel.make_mesh()
  config = unet_map.get_config("gray")
  config.model.widths = (4, 8)
  model, state, _ = state_lib.init_state(config, (16, 16, 1), mesh)
  # A trained model's ReLUs are not all dead: perturb the fresh biases.
  params = jax.tree_util.tree_map(lambda a: a + 0.05, state.params)
  path = tmp_path / "shallow.aed"
  path.write_bytes(export_denoiser(config, params, (16, 16, 1), 3, "float32"))
  config.model.widths = (4, 8, 12)
  deep, fresh, _ = state_lib.init_state(config, (16, 16, 1), mesh)
  started = runner.warm_start(fresh, str(path), mesh, adapt=deep.adapt_params)
  assert "enc_1_a" in started.params and "down_1" in started.params
  x = jax.random.uniform(jax.random.key(0), (2, 16, 24, 1))
  want = model.apply({"params": params}, x, jnp.array([10.0, 40.0]))
  got = deep.apply({"params": started.params}, x, jnp.array([10.0, 40.0]))
  np.testing.assert_allclose(got, want, atol=1e-5)
  assert not np.allclose(want, x, atol=1e-3)  # the old model does something
  # The new level is live: a change of its middle block reaches the output once the
  # new up path's rows in dec_1_a are non-zero (as the first gradient step makes them).
  p = jax.tree_util.tree_map(lambda a: a, started.params)
  p["dec_1_a"]["kernel"] = p["dec_1_a"]["kernel"].at[:, :, :8].set(0.1)
  got = deep.apply({"params": p}, x, jnp.array([10.0, 40.0]))
  assert not np.allclose(got, want, atol=1e-4)
  # A model of other widths is not deepened: its parameters do not fit.
  config.model.widths = (4, 6, 12)
  other, fresh, _ = state_lib.init_state(config, (16, 16, 1), mesh)
  with pytest.raises(UserError, match="do not fit"):
    runner.warm_start(fresh, str(path), mesh, adapt=other.adapt_params)
