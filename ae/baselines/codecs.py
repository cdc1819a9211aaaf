"""Classical image codecs through Pillow, each with a sweep of quality settings.

Every codec maps (uint8 image [H, W] or [H, W, 3], setting) to the bytes of a
complete file, and bytes back to the image, so bits per pixel count every byte a
user would store (headers included).

- jpeg420 / jpeg444: libjpeg, chroma subsampling 4:2:0 / 4:4:4, quality 5-95;
- webp: libwebp lossy, quality 5-95 (method 6, the slowest and best);
- jpeg2000: OpenJPEG, irreversible 9/7 wavelet, target PSNR per setting (its
  "dB" quality mode; ratio targets cannot go below its header on tiny images),
  wavelet levels limited by the image size;
- avif: libavif (AV1 intra), quality 5-95;
- png: lossless reference (one point).
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, features

QUALITIES = (5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95)
J2K_PSNR = (22, 25, 28, 31, 34, 37, 40, 44, 48)


@dataclasses.dataclass(frozen=True)
class Classical:
  name: str
  settings: Sequence[float]
  save: Callable[[Image.Image, float, io.BytesIO], None]
  available: Callable[[], bool] = lambda: True

  def encode(self, image: np.ndarray, setting: float) -> bytes:
    buf = io.BytesIO()
    self.save(Image.fromarray(np.asarray(image, np.uint8)), setting, buf)
    return buf.getvalue()

  def decode(self, data: bytes, mode: str) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
      return np.asarray(im.convert(mode), np.uint8)


def _jpeg(subsampling: int):
  def save(im, q, buf):
    im.save(
      buf,
      "JPEG",
      quality=int(q),
      subsampling=subsampling if im.mode == "RGB" else -1,
      optimize=True,
    )

  return save


def _jpeg2000(im, target_db, buf):
  levels = max(1, min(6, int(math.log2(min(im.size)))))
  im.save(
    buf,
    "JPEG2000",
    quality_mode="dB",
    quality_layers=[float(target_db)],
    irreversible=True,
    num_resolutions=levels,
  )


CODECS = {
  "jpeg420": Classical("jpeg420", QUALITIES, _jpeg(2)),
  "jpeg444": Classical("jpeg444", QUALITIES, _jpeg(0)),
  "webp": Classical(
    "webp",
    QUALITIES,
    lambda im, q, buf: im.save(buf, "WEBP", quality=int(q), method=6),
    lambda: features.check("webp"),
  ),
  "jpeg2000": Classical("jpeg2000", J2K_PSNR, _jpeg2000, lambda: features.check("jpg_2000")),
  "avif": Classical(
    "avif",
    QUALITIES,
    lambda im, q, buf: im.save(buf, "AVIF", quality=int(q), speed=4),
    lambda: features.check("avif"),
  ),
  "png": Classical(
    "png", (9,), lambda im, level, buf: im.save(buf, "PNG", compress_level=int(level))
  ),
}


def available() -> list[str]:
  return [name for name, c in CODECS.items() if c.available()]
