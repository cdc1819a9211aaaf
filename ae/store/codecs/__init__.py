"""Trained codecs that ship with ae: one immutable `.aec` file each (see ae/codec/registry.py)."""
