"""Trained denoisers that ship with ae: one `.aed` file each (see ae/denoise/registry.py)."""
