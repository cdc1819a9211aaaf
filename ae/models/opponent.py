"""A colour denoiser in an opponent colour space: luma first, then chroma guided by it.

RGB [B, H, W, 3] in [0, 1] goes to Y, C1, C2 (`ae.data.photos.OPPONENT`: orthogonal rows,
so i.i.d. RGB noise of sigma stays independent, with sigma times OPPONENT_NOISE in each
channel). A noise-map U-Net (`DenoisingUNet`) denoises Y; a second one denoises C1 and C2
(one batch of 2B planes, each told its own sigma) with the denoised Y as a further input
channel, because chroma edges sit where luma edges do: the grouping idea of CBM3D
(Dabov et al. 2007, "Color image denoising via sparse 3D collaborative filtering with
grouping constraint in luminance-chrominance space"), learned. Back to RGB at the end.

`widths` are the luma branch's; the chroma branch has `chroma_widths` (the same when None),
so a deeper luma can join a trained chroma branch (`with_luma`), and a chroma branch can
grow a level (`adapt_params`, as the gray model did). With equal widths both
branches have the gray model's parameter tree (up to guide input channels), so both
start from a trained gray noise-map U-Net (`train.init_from`); the chroma branch's guide
kernel starts at zero, so step 0 computes exactly what running the gray model on each
opponent channel does (`ae.denoise.apply`'s route for gray models). The guide is always
a constant to the chroma loss (no gradient flows from chroma into luma); with
`train_luma=False` the luma branch is held fixed altogether (no gradient reaches it) and
training spends its time on chroma alone.

With `luma_guide`, the luma branch also sees the two noisy chroma planes as guide
channels (their noise is independent of luma's, and colour edges sit where luma edges
do); started from an unguided model, their kernels start at zero (`train.init_from` grows
input channels), so step 0 computes what the unguided model did.

A gray image given as RGB (three equal channels) has luma equal to the image, with the
full sigma, and constant chroma: `ae.denoise.apply` then tells the model sigma /
OPPONENT_NOISE[0], so that the luma branch sees the true noise level. A `luma_guide`
model would see noise-free constant guides it never trained on, so it refuses gray images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ae.data.photos import OPPONENT, OPPONENT_NOISE, OPPONENT_OFFSET
from ae.models.denoise import DenoisingUNet, deepen_params


def _per_image(sigma: jax.Array | float | None, b: int, dtype) -> jax.Array:
  """sigma (0-255 scale: None, scalar, [1], [B] or a map [B, H, W, 1]) as [B] or [B, H, W, 1]."""
  s = jnp.zeros((b,), dtype) if sigma is None else jnp.asarray(sigma, dtype)
  return jnp.broadcast_to(s, (b,)) if s.ndim <= 1 else s


class OpponentUNet(nn.Module):
  """`__call__(x, sigma)`: x RGB [B, H, W, 3] in [0, 1] (noisy), sigma of the RGB noise on
  the 0-255 scale (scalar, [B] or [B, H, W, 1]) -> RGB [B, H, W, 3], not clipped."""

  widths: Sequence[int] = (24, 48, 64)
  chroma_widths: Sequence[int] | None = None
  train_luma: bool = True
  luma_guide: bool = False
  noise_conditioned: ClassVar[bool] = True  # the objective passes sigma (0-255 scale)
  branches: ClassVar[tuple[str, ...]] = ("luma", "chroma")  # each from one gray model

  @property
  def chroma_levels(self) -> tuple[int, ...]:
    """The chroma branch's widths: `chroma_widths`, or the luma's when None."""
    return tuple(self.widths if self.chroma_widths is None else self.chroma_widths)

  def adapt_params(self, old: dict, fresh: dict) -> dict | None:
    """`train.init_from` of an opponent model whose chroma branch has one level fewer:
    that branch deepened by `deepen_params` (so the model computes what `old` did), the
    luma branch taken as it is; None when `old` is not such a model."""
    if set(old) != {"luma", "chroma"} or set(fresh) != {"luma", "chroma"}:
      return None
    shapes = lambda t: jax.tree_util.tree_map(np.shape, t)
    chroma = deepen_params(old["chroma"], fresh["chroma"], len(self.chroma_levels))
    if chroma is None or shapes(old["luma"]) != shapes(fresh["luma"]):
      return None
    return {"luma": old["luma"], "chroma": chroma}

  @nn.compact
  def __call__(self, x: jax.Array, sigma: jax.Array | float | None = None) -> jax.Array:
    b = x.shape[0]
    s = _per_image(sigma, b, x.dtype)
    k = [float(v) for v in OPPONENT_NOISE]
    opp = x @ jnp.asarray(OPPONENT.T, x.dtype) + jnp.asarray(OPPONENT_OFFSET, x.dtype)
    luma_in = opp[..., 1:3] if self.luma_guide else None
    luma = DenoisingUNet(self.widths, noise_map=True, name="luma")(
      opp[..., :1], s * k[0], guide=luma_in
    )
    if not self.train_luma:
      luma = jax.lax.stop_gradient(luma)
    guide = jax.lax.stop_gradient(luma)
    chroma = DenoisingUNet(self.chroma_levels, noise_map=True, name="chroma")(
      jnp.concatenate([opp[..., 1:2], opp[..., 2:3]], axis=0),
      jnp.concatenate([s * k[1], s * k[2]], axis=0),
      guide=jnp.concatenate([guide, guide], axis=0),
    )
    out = jnp.concatenate([luma, chroma[:b], chroma[b:]], axis=-1)
    inverse = np.linalg.inv(OPPONENT).T
    return (out - jnp.asarray(OPPONENT_OFFSET, x.dtype)) @ jnp.asarray(inverse, x.dtype)


def with_luma(params: dict, gray_params: dict) -> dict:
  """An OpponentUNet's parameters with the luma branch replaced by a gray noise-map
  U-Net's (`DenoisingUNet(widths, noise_map=True)`, any widths: the model's `widths` must
  then be the gray model's); ValueError if the gray model's input channels differ from
  the branch's (a guided luma) or it is not such a U-Net. The chroma branch is unchanged
  (it was trained with the old luma as its guide: use a luma model that descends from
  that one)."""
  old = params["luma"]
  kernel = lambda p: np.shape(p.get("enc_0_a", {}).get("kernel", ()))
  fits = len(kernel(gray_params)) == 4 and kernel(gray_params)[2] == kernel(old)[2]
  if not fits or "out" not in gray_params or "middle_a" not in gray_params:
    raise ValueError("the gray model's parameters do not fit the luma branch")
  return {**params, "luma": gray_params}
