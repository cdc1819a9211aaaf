r"""How detailed the photo set's training and test photos are: Pillow JPEG bits per pixel.

  python scripts/crop_detail_stats.py

Prints, for every photo of the manifest (`ae.data.photos`, at the resolution training
uses), the bpp of the evaluation's JPEG 4:2:0 at quality 75 (`ae.baselines.codecs`);
then the median bpp of 200 random 128x128 training crops (`ae.data.crops.RandomCrops`,
crop seed 5, step 0) for
`data.candidates` = 1, 2, 3, and of 200 crops of the test photos. More bits at one JPEG
quality means more detail to code.
"""

from __future__ import annotations

import functools

import numpy as np
from absl import app


def jpeg_bpp(image: np.ndarray, quality: int = 75) -> float:
  """Bits per pixel of a uint8 RGB image [H, W, 3] as the evaluation's JPEG 4:2:0."""
  from ae.baselines.codecs import CODECS  # pylint: disable=g-import-not-at-top

  return 8 * len(CODECS["jpeg420"].encode(image, quality)) / (image.shape[0] * image.shape[1])


def main(argv):
  del argv
  from ae.data import crops, photos, photos_tfds  # pylint: disable=g-import-not-at-top

  for e in photos.manifest():
    p = photos.read_photo(e)
    print(
      f"{e.split:5s} {e.source:28s} {e.name:30s} {p.shape[1]}x{p.shape[0]} {jpeg_bpp(p):.2f} bpp"
    )
  train = functools.partial(photos_tfds.load_photos, "train")
  test = photos_tfds.load_photos("test")
  for name, load, k in [("train", train, 1), ("train", train, 2), ("train", train, 3)] + [
    ("test", lambda: test, 1)
  ]:
    batch = crops.RandomCrops(load, 128, 1000, 5, candidates=k).batch(0, np.arange(200))
    print(f"{name} crops, candidates={k}: median {np.median([jpeg_bpp(c) for c in batch]):.2f} bpp")


if __name__ == "__main__":
  app.run(main)
