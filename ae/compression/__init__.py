"""Learned compression: quantization, GDN, entropy models and transform codecs."""
