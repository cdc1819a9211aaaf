"""Builds a model from `config.model` and the data's image shape."""

from __future__ import annotations

import flax.linen as nn

from ae.compression import context_models
from ae.compression import models as codecs
from ae.compression.arch import ARCHITECTURES
from ae.models.conv import ConvAutoencoder
from ae.models.denoise import DenoisingUNet, FFDNet
from ae.models.dense import Autoencoder
from ae.models.opponent import OpponentUNet
from ae.models.vae import VAE
from ae.utils.errors import ConfigError


def _ints(values) -> tuple[int, ...]:
  return tuple(int(v) for v in values)


def _dense(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  return Autoencoder(
    output_shape=tuple(image_shape),
    hidden_sizes=_ints(mc.get("hidden_sizes", ())),
    code_size=int(mc.code_size),
    hidden_activation=mc.get("hidden_activation", "relu"),
    code_activation=mc.get("code_activation", "relu"),
    output_activation=mc.get("output_activation", "sigmoid"),
  )


def _conv(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  return ConvAutoencoder(
    output_shape=tuple(image_shape),
    channels=_ints(mc.get("channels", (32, 64))),
    hidden_sizes=_ints(mc.get("hidden_sizes", (256,))),
    code_size=int(mc.code_size),
    kernel_size=int(mc.get("kernel_size", 3)),
    hidden_activation=mc.get("hidden_activation", "relu"),
    code_activation=mc.get("code_activation", "linear"),
    output_activation=mc.get("output_activation", "sigmoid"),
  )


def _vae(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  return VAE(
    output_shape=tuple(image_shape),
    hidden_sizes=_ints(mc.get("hidden_sizes", (500,))),
    latent_size=int(mc.latent_size),
    likelihood=mc.get("likelihood", "bernoulli"),
    hidden_activation=mc.get("hidden_activation", "relu"),
  )


def _unet(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  del image_shape
  return DenoisingUNet(
    widths=_ints(mc.get("widths", (32, 64, 96))),
    residual=bool(mc.get("residual", True)),
    noise_map=bool(mc.get("noise_map", False)),
  )


def _opponent_unet(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  if image_shape[-1] != 3:
    raise ConfigError(
      f"opponent_unet denoises RGB images, not images of {image_shape[-1]} channel(s)"
    )
  return OpponentUNet(
    widths=_ints(mc.get("widths", (24, 48, 64))),
    chroma_widths=_ints(mc.chroma_widths) if mc.get("chroma_widths") else None,
    train_luma=bool(mc.get("train_luma", True)),
    luma_guide=bool(mc.get("luma_guide", False)),
  )


def _ffdnet(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  del image_shape
  return FFDNet(width=int(mc.get("width", 64)), depth=int(mc.get("depth", 15)))


def _codec(mc, image_shape: tuple[int, int, int]) -> nn.Module:
  if mc.name == "dense_codec":
    return codecs.DenseCodec(
      output_shape=tuple(image_shape),
      hidden_sizes=_ints(mc.get("hidden_sizes", (256,))),
      latent_size=int(mc.latent_size),
    )
  kwargs = dict(n=int(mc.n), m=int(mc.m), channels=int(image_shape[-1]))
  if mc.name == "bls2017":
    return codecs.BLS2017(**kwargs)
  family = mc.get("family", "gaussian")
  if mc.name == "bmshj2018":
    return codecs.BMSHJ2018(family=family, **kwargs)
  if mc.name == "ms2020":
    return context_models.ChannelCodec(family=family, slices=int(mc.get("slices", 4)), **kwargs)
  if mc.name == "he2021":
    return context_models.CheckerboardCodec(family=family, **kwargs)
  return codecs.MBT2018Mean(family=family, **kwargs)


MODELS = {
  "dense": _dense,
  "conv": _conv,
  "vae": _vae,
  **{name: _codec for name in ARCHITECTURES},  # every codec architecture of ae.compression.arch
  "denoise_unet": _unet,
  "ffdnet": _ffdnet,
  "opponent_unet": _opponent_unet,
}


def build_model(model_config, image_shape: tuple[int, int, int]) -> nn.Module:
  """Instantiates the linen module `model_config.name` for images of `image_shape`."""
  name = model_config.name
  if name not in MODELS:
    raise ConfigError(f"unknown model '{name}'; choose from {sorted(MODELS)}")
  try:
    return MODELS[name](model_config, image_shape)
  except (ValueError, TypeError) as e:  # e.g. hidden_sizes=("abc",)
    raise ConfigError(f"model '{name}': a field has a value of the wrong type ({e})") from e


def code_size(model_config) -> int:
  """The size of the code (or latent) of `model_config`, 0 if it has none."""
  if model_config.name in (*ARCHITECTURES, "denoise_unet", "ffdnet", "opponent_unet"):
    return 0  # a codec's size is its rate, not a code dimension; the U-Net has no bottleneck code
  return int(model_config.get("code_size", 0) or model_config.get("latent_size", 0) or 0)
