"""One data-spec grammar for training, RD evaluation and denoising evaluation."""

import ml_collections
import numpy as np
import pytest
from PIL import Image

from ae.data import specs
from ae.data.sources import eval_images, load_split
from ae.denoise import run as denoise_run
from ae.rd import run as rd_run
from ae.utils.errors import UserError


@pytest.mark.parametrize(
  "text,kind,arg,gray,slug",
  [
    ("fashion_mnist", "fashion_mnist", "", False, "fashion_mnist"),
    ("photos", "photos", "", False, "photos"),
    ("photos:gray", "photos", "", True, "photos_gray"),
    ("folder:/data/my photos/", "folder", "/data/my photos/", False, "folder_my_photos"),
    ("kodak:/data/kodak", "kodak", "/data/kodak", False, "kodak_kodak"),
    ("tfds:clic", "tfds", "clic", False, "tfds_clic"),
  ],
)
def test_specs_parse_and_print_back(text, kind, arg, gray, slug):
  spec = specs.parse(text)
  assert (spec.kind, spec.arg, spec.gray, spec.slug) == (kind, arg, gray, slug)
  assert str(spec) == text
  assert spec.kodak == (kind == "kodak")


@pytest.mark.parametrize("bad", ["fashion", "photos_gray", "photos:rgb", "folder:", "mnist", ""])
def test_every_entrypoint_refuses_a_bad_spec_with_the_same_line(bad):
  """Training, RD evaluation and denoising evaluation share the parser and its message."""
  with pytest.raises(UserError, match="one of: fashion_mnist, photos, photos:gray, folder:PATH"):
    specs.parse(bad)
  with pytest.raises(UserError, match="one of: fashion_mnist"):
    rd_run.load_image_set(bad)
  with pytest.raises(UserError, match="one of: fashion_mnist"):
    denoise_run.load_set(bad, 0)


def test_training_takes_a_bare_tfds_name_too():
  assert specs.training_spec("mnist") == specs.DataSpec("tfds", "mnist")
  assert specs.training_spec("mnist:3.0.1") == specs.DataSpec("tfds", "mnist:3.0.1")
  assert specs.training_spec("photos:gray") == specs.DataSpec("photos", gray=True)
  with pytest.raises(UserError):
    specs.training_spec("folder:")


def _folder(tmp_path):
  rng = np.random.default_rng(0)
  Image.fromarray(rng.integers(0, 256, (12, 10, 3), np.uint8)).save(tmp_path / "a.png")
  Image.fromarray(rng.integers(0, 256, (7, 9), np.uint8)).save(tmp_path / "b.png")
  return tmp_path


def test_a_folder_spec_is_evaluated_whole_at_each_images_size(tmp_path):
  root = _folder(tmp_path)
  images = eval_images(specs.parse(f"folder:{root}"))
  assert [im.shape for im in images] == [(12, 10, 3), (7, 9)]
  assert [im.shape for im in rd_run.load_image_set(f"kodak:{root}", 1)[0]] == [(12, 10, 3)]
  assert all(im.dtype == np.uint8 for im in images)


@pytest.mark.parametrize("rgb", [False, True])
def test_a_16_bit_file_in_a_folder_is_refused_in_one_line(tmp_path, rgb):
  """Read as the command line reads inputs: 16-bit RGB PNGs, which Pillow opens as 8-bit
  RGB, are refused too rather than cut to 8 bits."""
  if rgb:
    import zlib  # pylint: disable=g-import-not-at-top

    raw = b"".join(b"\0" + np.full((4, 3), 40000, ">u2").tobytes() for _ in range(4))
    chunk = lambda t, d: len(d).to_bytes(4, "big") + t + d + zlib.crc32(t + d).to_bytes(4, "big")
    ihdr = (4).to_bytes(4, "big") * 2 + bytes([16, 2, 0, 0, 0])
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
    (tmp_path / "deep.png").write_bytes(png + chunk(b"IEND", b""))
  else:
    Image.fromarray(np.full((4, 4), 40000, np.uint16)).save(tmp_path / "deep.png")
  with pytest.raises(UserError, match="16-bit samples"):
    eval_images(specs.parse(f"folder:{tmp_path}"))


def test_training_and_evaluation_read_the_same_folder_spec(tmp_path):
  """`config.data.name=folder:PATH` trains on the folder's split; an evaluation of the same
  spec reads every image of it."""
  root = tmp_path / "set"
  (root / "train").mkdir(parents=True)
  (root / "test").mkdir()
  for split, n in (("train", 3), ("test", 2)):
    for i in range(n):
      Image.fromarray(np.full((5, 6), 10 * i, np.uint8)).save(root / split / f"{i}.png")
  data = ml_collections.ConfigDict(
    {"name": f"folder:{root}", "image_size": (), "test_percent": 10, "channels": 0}
  )
  assert load_split(data, "train").images.shape == (3, 5, 6, 1)
  assert len(eval_images(specs.parse(f"folder:{root}"))) == 5
