"""The rate-distortion harness: BD-rate, metrics, byte counting, end to end, photo splits."""

import json
import os

import numpy as np
import pytest

from ae.baselines import codecs as classical
from ae.ops import metrics
from ae.rd import bd, harness
from ae.rd.run import run_evaluation, select_points


def test_bd_rate_of_hand_checked_curves():
  rate = np.array([0.25, 0.5, 1.0, 2.0])
  psnr = np.array([28.0, 31.0, 34.0, 37.0])  # rate doubles every 3 dB
  for method in ("cubic", "pchip"):
    assert bd.bd_rate(rate, psnr, rate, psnr, method) == pytest.approx(0.0, abs=1e-9)
    assert bd.bd_rate(rate, psnr, 0.8 * rate, psnr, method) == pytest.approx(-20.0, abs=1e-6)
    # 1 dB better everywhere = 2^(-1/3) of the rate: -20.63%.
    assert bd.bd_rate(rate, psnr, rate, psnr + 1, method) == pytest.approx(
      (2 ** (-1 / 3) - 1) * 100, abs=1e-6
    )
  assert np.isnan(bd.bd_rate(rate, psnr, rate, psnr + 20))  # no overlap


def test_psnr_and_ssim_known_values():
  a = np.full((32, 32), 100, np.uint8)
  b = a.copy()
  b[0, 0] = 110  # MSE = 100 / 1024
  assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(255**2 * 1024 / 100))
  assert metrics.psnr(a, a) == float("inf") and metrics.ssim(a, a) == pytest.approx(1.0)
  rng = np.random.default_rng(0)
  img = rng.integers(0, 256, (200, 200)).astype(np.uint8)
  assert metrics.ms_ssim(img, img) == pytest.approx(1.0)
  assert metrics.ms_ssim(img, 255 - img) < 0.1 and np.isnan(metrics.ms_ssim(img[:100], img[:100]))


@pytest.mark.parametrize("name", classical.available())
def test_bpp_counts_every_byte_of_the_file(name):
  image = np.random.default_rng(1).integers(0, 256, (24, 40, 3)).astype(np.uint8)
  [point] = harness.classical_points(name, gray=False)[-1:]
  data = point.encode(image)
  [rec] = harness.evaluate([image], [point], log=None)
  assert rec["bytes"] == len(data) and rec["bpp"] == 8 * len(data) / (24 * 40)
  assert point.decode(data).shape == image.shape


def test_harness_end_to_end_on_two_images(tiny_codecs, monkeypatch, tmp_path):
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  folder = tmp_path / "imgs"
  folder.mkdir()
  from PIL import Image

  rng = np.random.default_rng(2)
  for i in range(2):
    Image.fromarray(rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)).save(folder / f"{i}.png")
  out = run_evaluation(f"folder:{folder}", "jpeg420,bmshj2018", str(tmp_path / "wd"))
  assert {r["codec"] for r in out["summary"]} == {"jpeg420", "bmshj2018"}
  learned = [r for r in out["summary"] if r["codec"] == "bmshj2018"]
  assert learned and all(r["bit_exact"] for r in learned) and learned[0]["images"] == 2
  for f in ("rd.json", "rd.md", "records.json", "rd.png"):
    assert os.path.getsize(tmp_path / "wd" / f) > 0
  records = json.loads((tmp_path / "wd" / "records.json").read_text())
  assert len(records) == 2 * (len(classical.QUALITIES) + 1)


def test_pca_transform_coding_round_trip():
  from ae.baselines.pca_codec import PCACodec

  rng = np.random.default_rng(3)
  train = (rng.random((200, 6, 6, 1)) * 255).astype(np.uint8)
  codec = PCACodec.fit(train, 0.05)
  image = train[0, ..., 0]
  out = codec.decode(codec.encode(image))
  assert out.shape == image.shape and metrics.psnr(image, out) > 30


def test_photo_manifest_splits_are_disjoint_and_test_is_lossless():
  from ae.data import photos

  entries = photos.manifest()
  train = {e.path for e in entries if e.split == "train"}
  test = {e.path for e in entries if e.split == "test"}
  assert test and train and not train & test
  assert all(p.endswith(".png") for p in test)
  assert len({os.path.realpath(p) for p in test}) == len(test)


def test_photo_set_served_by_tfds_matches_the_files(tmp_path, monkeypatch):
  from ae.data import photos, photos_tfds

  test_entries = [e for e in photos.manifest() if e.split == "test"]
  loaded = photos_tfds.load_photos("test", data_dir=str(tmp_path))
  assert len(loaded) == len(test_entries)
  for image, entry in zip(loaded, test_entries):
    np.testing.assert_array_equal(image, photos.read_photo(entry))
  # Another manifest (e.g. a wallpaper package installed later) is another dataset.
  key = photos_tfds.manifest_key(photos.manifest())
  monkeypatch.setattr(photos, "manifest", lambda: test_entries[:1])
  assert photos_tfds.manifest_key(photos.manifest()) != key
  assert len(photos_tfds.load_photos("test", data_dir=str(tmp_path))) == 1


def test_select_points_groups():
  names = {p.curve for p in select_points("classical", gray=True, train=None)}
  assert "jpeg444" not in names and "jpeg420" in names


def test_unknown_codec_names_the_classical_ones_and_the_groups():
  from ae.utils.errors import UserError

  with pytest.raises(UserError, match="classical: .*jpeg420.*; groups: all, classical, learned"):
    select_points("jpeg", gray=False, train=None)


def test_bd_table_marks_curves_too_short_for_a_cubic():
  from ae.rd import report

  def rows(codec, points):
    return [{"codec": codec, "bpp": r, "psnr": p} for r, p in points]

  four = [(0.25, 28.0), (0.5, 31.0), (1.0, 34.0), (2.0, 37.0)]
  summary = rows("a", four) + rows("b", [(r * 0.8, p) for r, p in four])
  assert "†" not in report.bd_markdown(harness.bd_table(summary))
  summary += rows("c", four[1:3])
  table = harness.bd_table(summary)
  assert table["c"]["a"]["points"] == 2 and table["a"]["b"]["points"] == 4
  text = report.bd_markdown(table)
  assert "†" in text.split("\n| c |")[1].splitlines()[0] and "not a cubic" in text
  assert "†" not in text.split("\n| a |")[1].splitlines()[0].split("|")[1]  # a vs b
