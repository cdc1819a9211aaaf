"""Layers shared by the model families."""

from ae.layers.conv_transpose import ConvTranspose, conv_transpose
from ae.layers.strided_conv import Conv, strided_conv

__all__ = ["Conv", "ConvTranspose", "conv_transpose", "strided_conv"]
