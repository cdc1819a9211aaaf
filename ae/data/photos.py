"""An offline photo set from what packages ship, with a manifest and disjoint splits.

Sources (all installed by pip or apt, nothing downloaded):
- scikit-image's bundled photos: the lossless PNGs astronaut, chelsea, coffee
  form the held-out "test" split; motorcycle_left/right (PNG) and rocket (JPEG,
  downsampled by 2) are "train".
- scikit-learn's sample images china and flower (JPEG, downsampled by 2): "train",
  when scikit-learn is installed.
- Debian's `mate-backgrounds` nature photographs (/usr/share/backgrounds/mate/
  nature) and the photographs among `plasma-workspace-wallpapers` (the
  2560x1600 JPEGs of the ten listed in PLASMA_PHOTOS; the others are renders
  and drawings): "train", downsampled by 2 with a box filter (WALLPAPER_DOWNSAMPLE),
  as the learned-compression literature does with web photos, to wash out JPEG
  artefacts. Used when the packages are installed.
- Debian's `lxqt-themes` photographs (/usr/share/lxqt/wallpapers, the eleven
  listed in LXQT_PHOTOS; the others are renders and logos): "train", downsampled
  by 2 (most are 3000x2000 PNGs, free of JPEG artefacts at that scale).
  `ukui-wallpapers` holds only renders and drawings, so nothing of it is used.

`manifest()` lists every file: name, source package, path, downsampling, split
(`python -m ae.data.photos` prints it with resolutions). `photos_tfds.load_photos(split)` gives
the RGB photos as uint8 arrays [H, W, 3], read through the TFDS dataset of
`ae.data.photos_tfds` (prepared once per manifest); `random_crops` samples fixed-seed
crops with horizontal flips (and, on request, the eight flips and rotations) for
training, `center_crops` gives a fixed-size evaluation set. This is the data source
`photos` (`config.data.name = "photos"`).
"""

from __future__ import annotations

import dataclasses
import glob
import os

import numpy as np
from PIL import Image

from ae.utils.errors import DatasetNotFoundError

MATE_NATURE = "/usr/share/backgrounds/mate/nature"
SKIMAGE_TEST = ("astronaut.png", "chelsea.png", "coffee.png")
SKIMAGE_TRAIN = (("motorcycle_left.png", 1), ("motorcycle_right.png", 1), ("rocket.jpg", 2))
SKLEARN_TRAIN = ("china.jpg", "flower.jpg")
PLASMA_DIR = "/usr/share/wallpapers"
PLASMA_PHOTOS = (
  "BytheWater",
  "ColdRipple",
  "ColorfulCups",
  "DarkestHour",
  "EveningGlow",
  "FallenLeaf",
  "Grey",
  "OneStandsOut",
  "Path",
  "summer_1am",
)
LXQT_DIR = "/usr/share/lxqt/wallpapers"
LXQT_PHOTOS = (
  "Butterfly-Kenneth-Wimer.jpg",
  "Valendas.png",
  "after-the-rain.jpg",
  "appleflower.png",
  "beam.png",
  "butterfly.png",
  "cloud.png",
  "drop.png",
  "flowers.png",
  "fog.jpg",
  "this-is-not-windows.jpg",
)


# The mate and plasma JPEG wallpapers (mostly 2560x1600) are halved: at half size their
# JPEG artefacts are no longer visible (checked by eye on centre crops), and halving
# keeps four times the pixels (and the fine texture) that quartering did.
WALLPAPER_DOWNSAMPLE = 2


@dataclasses.dataclass(frozen=True)
class Entry:
  name: str
  source: str  # package that ships the file
  path: str
  downsample: int  # box-filter factor applied before use
  split: str  # "train" or "test"


def _skimage_dir() -> str:
  try:
    import skimage.data  # pylint: disable=g-import-not-at-top  # optional source of photos
  except ImportError as e:
    raise DatasetNotFoundError("the photo set needs scikit-image (pip install scikit-image)") from e
  return skimage.data.data_dir


def manifest() -> list[Entry]:
  """Every photo of the set, test split first; wallpapers only if installed."""
  d = _skimage_dir()
  out = [Entry(f[:-4], "scikit-image", os.path.join(d, f), 1, "test") for f in SKIMAGE_TEST]
  out += [Entry(f[:-4], "scikit-image", os.path.join(d, f), k, "train") for f, k in SKIMAGE_TRAIN]
  out += _sklearn_entries()
  out += [
    Entry(os.path.basename(p)[:-4], "mate-backgrounds", p, WALLPAPER_DOWNSAMPLE, "train")
    for p in sorted(glob.glob(os.path.join(MATE_NATURE, "*.jpg")))
  ]
  plasma = [
    (n, os.path.join(PLASMA_DIR, n, "contents", "images", "2560x1600.jpg")) for n in PLASMA_PHOTOS
  ]
  out += [
    Entry(n, "plasma-workspace-wallpapers", p, WALLPAPER_DOWNSAMPLE, "train")
    for n, p in plasma
    if os.path.isfile(p)
  ]
  out += [
    Entry("lxqt-" + f.rsplit(".", 1)[0], "lxqt-themes", os.path.join(LXQT_DIR, f), 2, "train")
    for f in LXQT_PHOTOS
    if os.path.isfile(os.path.join(LXQT_DIR, f))
  ]
  return out


def _sklearn_entries() -> list[Entry]:
  try:
    import sklearn.datasets  # pylint: disable=g-import-not-at-top  # optional source of photos
  except ImportError:
    return []
  d = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images")
  return [
    Entry(f[:-4], "scikit-learn", os.path.join(d, f), 2, "train")
    for f in SKLEARN_TRAIN
    if os.path.isfile(os.path.join(d, f))
  ]


def read_photo(entry: Entry) -> np.ndarray:
  """The photo as uint8 RGB [H, W, 3], downsampled by `entry.downsample` (box filter)."""
  with Image.open(entry.path) as im:
    im = im.convert("RGB")
    if entry.downsample > 1:
      im = im.reduce(entry.downsample)
    return np.asarray(im, np.uint8).copy()


def random_crops(
  photos: list[np.ndarray], size: int, count: int, seed: int, rotate: bool = False
) -> np.ndarray:
  """`count` crops [count, size, size, 3], photos chosen by their pixel area, random
  positions and horizontal flips, all from `seed`; with `rotate`, each crop is also
  turned by a random multiple of 90 degrees (the eight dihedral transforms)."""
  rng = np.random.default_rng(seed)
  area = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
  which = rng.choice(len(photos), size=count, p=area / area.sum())
  out = np.empty((count, size, size, 3), np.uint8)
  for i, k in enumerate(which):
    p = photos[k]
    y, x = rng.integers(0, p.shape[0] - size + 1), rng.integers(0, p.shape[1] - size + 1)
    crop = p[y : y + size, x : x + size]
    out[i] = crop[:, ::-1] if rng.random() < 0.5 else crop
  if rotate:
    turns = rng.integers(0, 4, size=count)
    for i in np.flatnonzero(turns):
      out[i] = np.rot90(out[i], int(turns[i]))
  return out


def center_crops(photos: list[np.ndarray], size: int) -> np.ndarray:
  """The central size x size crop of each photo: [N, size, size, 3]."""
  out = []
  for p in photos:
    y, x = (p.shape[0] - size) // 2, (p.shape[1] - size) // 2
    out.append(p[y : y + size, x : x + size])
  return np.stack(out)


# Opponent colour transform with orthogonal rows (CBM3D's idea, Dabov et al. 2007: denoise
# luma and two chroma channels apart): Y = (R+G+B)/3, C1 = (R-B)/2 + 1/2,
# C2 = (R-2G+B)/4 + 1/2, all in [0, 1] for RGB in [0, 1]. Orthogonal rows keep i.i.d.
# Gaussian noise independent across channels, with sigma scaled by each row's norm.
OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [1 / 2, 0, -1 / 2], [1 / 4, -1 / 2, 1 / 4]])
OPPONENT_OFFSET = np.array([0.0, 0.5, 0.5])
OPPONENT_NOISE = np.linalg.norm(OPPONENT, axis=1)  # sigma of each channel / sigma


def to_opponent(images: np.ndarray) -> np.ndarray:
  """uint8 RGB [..., 3] -> uint8 [..., 3]: Y, C1, C2 of OPPONENT on the 0-255 scale, rounded."""
  y = images.astype(np.float64) @ OPPONENT.T + 255.0 * OPPONENT_OFFSET
  return np.clip(np.round(y), 0, 255).astype(np.uint8)


def to_gray(images: np.ndarray) -> np.ndarray:
  """uint8 RGB [..., 3] -> uint8 gray [..., 1] with ITU-R 601 luma weights (as Pillow's "L")."""
  y = images.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
  return np.clip(np.round(y), 0, 255).astype(np.uint8)[..., None]


def main() -> None:
  """Prints the manifest: name, source, split, used resolution, file."""
  for e in manifest():
    with Image.open(e.path) as im:
      w, h = im.size
    print(
      f"{e.name:20s} {e.source:28s} {e.split:5s} {w // e.downsample}x{h // e.downsample}"
      f" (/{e.downsample}) {e.path}"
    )


if __name__ == "__main__":
  main()
