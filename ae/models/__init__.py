"""Autoencoder models: pure functional Flax linen modules with `encode` and `decode`."""

from ae.models.dense import Autoencoder, Decoder, Encoder
from ae.models.registry import build_model

__all__ = ["Autoencoder", "Decoder", "Encoder", "build_model"]
