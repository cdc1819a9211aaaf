"""The colour denoiser in opponent colours (`ae.models.opponent.OpponentUNet`): warm-started
from a gray noise-map U-Net it computes what the gray model's opponent route does; the
guide matters once trained; luma held fixed gets no gradient; it is applied and chosen
like any RGB denoiser."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.denoise import apply, registry, run
from ae.denoise.registry import export_denoiser
from ae.models.opponent import OpponentUNet
from ae.train import runner
from ae.train import state as state_lib
from ae.utils.errors import ConfigError, UserError
from experiments.configs import unet_map, unet_opponent

WIDTHS = (4, 8)


@pytest.fixture(scope="module")
def gray_file(tmp_path_factory):
  """A tiny gray noise-map U-Net (random parameters), exported."""
  config = unet_map.get_config("gray")
  config.model.widths = WIDTHS
  _, state, _ = state_lib.init_state(config, (32, 32, 1), runner.parallel.make_mesh())
  path = tmp_path_factory.mktemp("opponent") / "gray.aed"
  path.write_bytes(export_denoiser(config, state.params, (32, 32, 1), 7))
  return str(path)


def _opponent_config():
  config = unet_opponent.get_config("three_level")
  config.model.widths = config.model.chroma_widths = WIDTHS
  return config


def _warm(gray_file):
  config = _opponent_config()
  mesh = runner.parallel.make_mesh()
  model, fresh, _ = state_lib.init_state(config, (32, 32, 3), mesh)
  return model, runner.warm_start(fresh, gray_file, mesh, branches=model.branches)


def test_warm_started_it_is_the_gray_model_on_each_opponent_channel(gray_file):
  model, state = _warm(gray_file)
  assert set(state.params) == {"luma", "chroma"}
  assert state.params["chroma"]["enc_0_a"]["kernel"].shape == (3, 3, 3, WIDTHS[0])
  x = np.random.default_rng(0).random((24, 40, 3)).astype(np.float32)
  gray = registry.load(gray_file)
  for sigma in (10.0, 40.0):
    got = model.apply({"params": state.params}, jnp.asarray(x[None]), jnp.array([sigma]))[0]
    np.testing.assert_allclose(got, apply._opponent(gray, x, sigma, False), atol=1e-5)


def test_the_guide_and_each_images_sigma_reach_the_output(gray_file):
  model, state = _warm(gray_file)
  params = jax.tree_util.tree_map(lambda a: a, state.params)
  kernel = params["chroma"]["enc_0_a"]["kernel"]
  params["chroma"]["enc_0_a"]["kernel"] = kernel.at[:, :, 2].set(1.0)  # the guide's rows
  x = jax.random.uniform(jax.random.key(1), (2, 16, 16, 3))
  base = model.apply({"params": state.params}, x, 20.0)
  guided = model.apply({"params": params}, x, 20.0)
  assert not np.allclose(base, guided, atol=1e-4)
  np.testing.assert_allclose(model.apply({"params": state.params}, x, jnp.array([20.0])), base)
  per_image = model.apply({"params": state.params}, x, jnp.array([20.0, 60.0]))
  np.testing.assert_allclose(per_image[0], base[0], atol=1e-6)
  assert not np.allclose(per_image[1], base[1], atol=1e-4)


@pytest.mark.parametrize("train_luma", [False, True])
def test_held_luma_gets_no_gradient(gray_file, train_luma):
  _, state = _warm(gray_file)
  model = OpponentUNet(WIDTHS, train_luma=train_luma)
  x = jax.random.uniform(jax.random.key(2), (2, 16, 16, 3))

  def loss(p):
    return jnp.sum((model.apply({"params": p}, x, 25.0) - 0.5) ** 2)

  grads = jax.grad(loss)(state.params)
  moved = [float(jnp.abs(g).max()) > 0 for g in jax.tree_util.tree_leaves(grads["luma"])]
  assert any(moved) if train_luma else not any(moved)
  assert any(float(jnp.abs(g).max()) > 0 for g in jax.tree_util.tree_leaves(grads["chroma"]))


def test_it_is_an_rgb_noise_conditioned_denoiser(gray_file, tmp_path):
  config = _opponent_config()
  _, state = _warm(gray_file)
  path = tmp_path / "rgb.aed"
  path.write_bytes(export_denoiser(config, state.params, (32, 32, 3), 7))
  d = registry.load(str(path))
  assert d.noise_conditioned and d.convolutional and d.channels == 3
  image = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
  out, used = apply.denoise_with_level(image, d, 25.0)
  assert out.shape == image.shape and out.dtype == np.uint8 and used == 25.0
  # A gray image: only the luma branch acts, and it is told the image's own sigma.
  plane = image[..., 0].astype(np.float32) / 255
  got = apply.denoise_float(plane, d, 25.0)
  from ae.models.denoise import DenoisingUNet  # pylint: disable=g-import-not-at-top

  branch = DenoisingUNet(WIDTHS, noise_map=True)
  want = branch.apply({"params": d.params["luma"]}, jnp.asarray(plane[None, ..., None]), 25.0)
  np.testing.assert_allclose(got, np.clip(np.asarray(want)[0, ..., 0], 0, 1), atol=2e-5)
  assert d.colour_only and d.trained_on.startswith("photos")
  assert [e.name for e in run.denoisers_for("photos", [str(path)])][-1] == "rgb"
  assert "rgb" not in [e.name for e in run.denoisers_for("photos:gray", [str(path)], gray=True)]


def test_it_refuses_gray_images():
  config = _opponent_config()
  with pytest.raises(ConfigError, match="RGB"):
    state_lib.init_state(config, (32, 32, 1), runner.parallel.make_mesh())


def test_only_a_model_that_declares_branches_starts_each_from_one_tree():
  gray = OpponentUNet(WIDTHS).init(jax.random.key(1), jnp.zeros((1, 8, 8, 3)), 0.0)["params"]
  gray = gray["luma"]
  fitted = runner._fit_tree(gray, _tiny_params(), OpponentUNet.branches)
  np.testing.assert_array_equal(fitted["chroma"]["out"]["kernel"], gray["out"]["kernel"])
  with pytest.raises(ValueError):
    runner._fit_tree(gray, _tiny_params())  # no branches declared: trees must match
  with pytest.raises(ValueError):
    runner._fit_tree({"a": {"kernel": np.zeros((3, 3, 1, 4))}}, _tiny_params(), ("luma", "chroma"))


def _tiny_params() -> dict:
  """The parameter tree of a tiny OpponentUNet."""
  return OpponentUNet(WIDTHS).init(jax.random.key(0), jnp.zeros((1, 8, 8, 3)), 0.0)["params"]


def test_sigma_weighting_weights_each_images_error_by_its_sigma():
  from ae.train import objectives  # pylint: disable=g-import-not-at-top

  config = unet_map.get_config("gray")
  config.model.widths = WIDTHS
  model, state, _ = state_lib.init_state(config, (16, 16, 1), runner.parallel.make_mesh())
  images = jax.random.uniform(jax.random.key(4), (4, 16, 16, 1))
  key = jax.random.key(5)
  plain, _ = objectives.build_objective(model, config)(state.params, images, key)
  config.corruption.sigma_weighting = 5.0
  weighted, _ = objectives.build_objective(model, config)(state.params, images, key)
  noisy, sigma = objectives.corruptions.gaussian_with_level(config.corruption, key, images)
  sse = jnp.sum((images - model.apply({"params": state.params}, noisy, sigma)) ** 2, (1, 2, 3))
  np.testing.assert_allclose(plain, 0.5 * jnp.mean(sse), rtol=1e-5)
  np.testing.assert_allclose(weighted, 0.5 * jnp.mean(sse * 25 / jnp.maximum(sigma, 5)), rtol=1e-5)
  config.corruption.sigma_weighting = -1.0
  with pytest.raises(ConfigError, match="sigma_weighting"):
    objectives.build_objective(model, config)


def test_with_luma_replaces_the_luma_branch_and_refuses_a_misfit(gray_file):
  from ae.models.opponent import with_luma  # pylint: disable=g-import-not-at-top

  model, state = _warm(gray_file)
  gray = jax.tree_util.tree_map(lambda a: a + 1.0, registry.load(gray_file).params)
  swapped = with_luma(state.params, gray)
  assert swapped["chroma"] is state.params["chroma"]
  np.testing.assert_array_equal(swapped["luma"]["out"]["bias"], gray["out"]["bias"])
  x = jax.random.uniform(jax.random.key(6), (1, 16, 16, 3))
  assert not np.allclose(
    model.apply({"params": swapped}, x, 25.0), model.apply({"params": state.params}, x, 25.0)
  )
  with pytest.raises(ValueError, match="luma"):
    with_luma(state.params, state.params["chroma"])  # the guide's extra input channel


def test_a_luma_guided_model_started_from_an_unguided_one_computes_what_it_did(gray_file, tmp_path):
  _, state = _warm(gray_file)
  config = unet_opponent.get_config("luma_guide")
  config.model.widths = config.model.chroma_widths = WIDTHS
  mesh = runner.parallel.make_mesh()
  model, fresh, _ = state_lib.init_state(config, (32, 32, 3), mesh)
  assert model.luma_guide and fresh.params["luma"]["enc_0_a"]["kernel"].shape[2] == 4
  src = tmp_path / "unguided.aed"
  src.write_bytes(export_denoiser(_opponent_config(), state.params, (32, 32, 3), 7))
  guided = runner.warm_start(fresh, str(src), mesh, branches=model.branches)
  x = jax.random.uniform(jax.random.key(4), (2, 16, 16, 3))
  want = OpponentUNet(WIDTHS).apply({"params": state.params}, x, 20.0)
  np.testing.assert_allclose(model.apply({"params": guided.params}, x, 20.0), want, atol=1e-5)
  # Once its guide kernels are non-zero, the output's luma depends on the input's chroma:
  # a change of chroma alone (R up, B down: Y unchanged) moves it, unlike the unguided one.
  params = jax.tree_util.tree_map(lambda a: a, guided.params)
  kernel = params["luma"]["enc_0_a"]["kernel"]
  params["luma"]["enc_0_a"]["kernel"] = kernel.at[:, :, 2:].set(1.0)
  shifted = x + 0.05 * jnp.array([1.0, 0.0, -1.0])
  luma = lambda m, p, v: m.apply({"params": p}, v, 20.0).mean(-1)
  unguided = OpponentUNet(WIDTHS)
  np.testing.assert_allclose(
    luma(unguided, state.params, shifted), luma(unguided, state.params, x), atol=1e-5
  )
  assert not np.allclose(luma(model, params, shifted), luma(model, params, x), atol=1e-4)
  # A gray image would give it noise-free constant guides it never saw: refused.
  path = tmp_path / "guided.aed"
  path.write_bytes(export_denoiser(config, params, (32, 32, 3), 7))
  with pytest.raises(UserError, match="RGB images only"):
    apply.denoise_float(np.zeros((16, 16), np.float32), registry.load(str(path)), 20.0)


def test_a_deeper_luma_joins_a_trained_chroma_branch(gray_file, tmp_path):
  from ae.data.photos import OPPONENT, OPPONENT_NOISE, OPPONENT_OFFSET  # pylint: disable=g-import-not-at-top
  from experiments import export_denoiser as export_main  # pylint: disable=g-import-not-at-top

  _, state = _warm(gray_file)
  config = unet_map.get_config("gray")
  config.model.widths = (*WIDTHS, 12)
  _, deep, _ = state_lib.init_state(config, (32, 32, 1), runner.parallel.make_mesh())
  deep_file = tmp_path / "deep.aed"
  deep_file.write_bytes(export_denoiser(config, deep.params, (32, 32, 1), 9))
  config = _opponent_config()
  params, total = export_main._with_luma(config, state.params, 5, str(deep_file))
  assert total == 9 and tuple(config.model.widths) == (*WIDTHS, 12)
  assert tuple(config.model.chroma_widths) == WIDTHS
  path = tmp_path / "rgb.aed"
  path.write_bytes(export_denoiser(config, params, (32, 32, 3), total))
  rgb = registry.load(str(path))
  x = np.random.default_rng(3).random((24, 40, 3)).astype(np.float32)
  out = np.asarray(rgb.model.apply({"params": rgb.params}, x[None], 30.0))[0]
  luma = lambda v: (v.astype(np.float64) @ OPPONENT.T + OPPONENT_OFFSET)[..., :1]
  gray = registry.load(str(deep_file))
  want = apply._forward(gray, luma(x)[None].astype(np.float32), 30.0 * float(OPPONENT_NOISE[0]))
  np.testing.assert_allclose(luma(out), want[0], atol=2e-3)  # float16 parameters both
  with pytest.raises(UserError, match="luma"):
    export_main._with_luma(_opponent_config(), state.params, 5, str(path))  # not a gray model


def test_a_chroma_branch_one_level_deeper_computes_what_the_trained_one_did(gray_file, tmp_path):
  _, state = _warm(gray_file)
  params = jax.tree_util.tree_map(lambda a: a + 0.05, state.params)  # ReLUs not all dead
  src = tmp_path / "rgb.aed"
  src.write_bytes(export_denoiser(_opponent_config(), params, (32, 32, 3), 7))
  config = _opponent_config()
  config.model.chroma_widths = (*WIDTHS, 12)
  mesh = runner.parallel.make_mesh()
  model, fresh, _ = state_lib.init_state(config, (32, 32, 3), mesh)
  deep = runner.warm_start(fresh, str(src), mesh, adapt=model.adapt_params)
  assert "down_1" in deep.params["chroma"] and "down_1" not in deep.params["luma"]
  x = jax.random.uniform(jax.random.key(5), (2, 16, 24, 3))
  want = OpponentUNet(WIDTHS).apply({"params": params}, x, 20.0)
  np.testing.assert_allclose(model.apply({"params": deep.params}, x, 20.0), want, atol=1e-4)
  assert model.adapt_params(params["chroma"], fresh.params) is None  # not an opponent tree
  config.model.widths = (*WIDTHS, 12)  # a luma of other shape: not adapted
  other, fresh, _ = state_lib.init_state(config, (32, 32, 3), mesh)
  assert other.adapt_params(params, fresh.params) is None


def test_the_default_config_continues_the_shipped_colour_model():
  config = unet_opponent.get_config()
  mesh = runner.parallel.make_mesh()
  model, fresh, _ = state_lib.init_state(config, (32, 32, 3), mesh)
  warm = runner.warm_start(fresh, config.train.init_from, mesh, branches=model.branches)
  shipped = registry.get("photo-unet-rgb")
  x = np.random.default_rng(5).random((1, 24, 24, 3)).astype(np.float32)
  np.testing.assert_allclose(
    model.apply({"params": warm.params}, x, 20.0),
    shipped.model.apply({"params": shipped.params}, x, 20.0),
    atol=1e-5,
  )
