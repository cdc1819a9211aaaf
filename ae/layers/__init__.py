"""Layers shared by the model families."""

from ae.layers.conv_transpose import ConvTranspose, conv_transpose

__all__ = ["ConvTranspose", "conv_transpose"]
