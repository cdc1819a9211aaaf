"""Builds a model from `config.model` and the data's image shape."""

from __future__ import annotations

import flax.linen as nn

from ae.errors import ConfigError
from ae.models.dense import Autoencoder


def _dense(model_config, image_shape: tuple[int, int, int]) -> nn.Module:
  return Autoencoder(
      output_shape=tuple(image_shape),
      hidden_sizes=tuple(int(h) for h in model_config.get("hidden_sizes", ())),
      code_size=int(model_config.code_size),
      hidden_activation=model_config.get("hidden_activation", "relu"),
      code_activation=model_config.get("code_activation", "relu"),
      output_activation=model_config.get("output_activation", "sigmoid"),
  )


MODELS = {"dense": _dense}


def build_model(model_config, image_shape: tuple[int, int, int]) -> nn.Module:
  """Instantiates the linen module `model_config.name` for images of `image_shape`."""
  name = model_config.name
  if name not in MODELS:
    raise ConfigError(f"unknown model '{name}'; choose from {sorted(MODELS)}")
  return MODELS[name](model_config, image_shape)
