"""Denoising with trained denoisers: `ae.denoise.denoise(image) -> image`.

  from ae import denoise
  clean = denoise.denoise(noisy)                   # uint8 [H, W] or [H, W, 3]
  clean = denoise.denoise(noisy, sigma=25, ensemble=True)

The functions live in `ae.denoise.apply` and load jax on first use, so that listing
denoisers (`ae.denoise.registry`) stays fast.
"""

_API = ("denoise", "denoise_float", "denoise_with_level", "estimate_sigma")


def __getattr__(name: str):
  if name in _API:
    from ae.denoise import apply  # pylint: disable=g-import-not-at-top  # jax on first use

    return getattr(apply, name)
  raise AttributeError(f"module 'ae.denoise' has no attribute '{name}'")


__all__ = list(_API)
