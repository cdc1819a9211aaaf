"""The `ae` command line: round trips, one-line errors, no partial outputs, golden files."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ae import cli
from ae.codec import api, bitstream, registry
from ae.store import catalog

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


def run_cli(*argv):
  """Runs `ae ARGV` in-process and returns its exit status (output via capsys)."""
  return cli.main(list(argv))


@pytest.fixture
def codec_dir(tiny_codecs, monkeypatch):
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  return tiny_codecs


def _write_png(path, array, mode=None):
  Image.fromarray(array, mode).save(path)
  return str(path)


def _smooth(h, w, c=3):
  yy, xx = np.mgrid[0:h, 0:w]
  img = 128 + 80 * np.sin(xx / 6.0)[..., None] * np.cos(yy / 9.0)[..., None] * np.ones(c)
  return np.clip(img, 0, 255).astype(np.uint8).squeeze()


def test_compress_decompress_info_codecs(codec_dir, tmp_path, capsys):
  src = _write_png(tmp_path / "in.png", _smooth(17, 33))
  assert run_cli("compress", src, "-o", str(tmp_path / "x.ae"), "--codec=mbt2018_mean") == 0
  out = capsys.readouterr().out
  assert "bytes" in out and "bpp" in out and "PSNR" in out and "mbt2018_mean" in out
  assert (
    run_cli(
      "decompress", str(tmp_path / "x.ae"), "-o", str(tmp_path / "y.png"), f"--reference={src}"
    )
    == 0
  )
  assert "PSNR" in capsys.readouterr().out
  decoded = np.asarray(Image.open(tmp_path / "y.png"))
  assert decoded.shape == (17, 33, 3)
  assert np.array_equal(decoded, api.decompress((tmp_path / "x.ae").read_bytes()))
  assert run_cli("info", str(tmp_path / "x.ae")) == 0
  assert "33x17 RGB" in capsys.readouterr().out
  assert run_cli("codecs") == 0
  lines = capsys.readouterr().out.strip().splitlines()
  assert [line.split("\t")[0] for line in lines] == sorted(
    registry._files(), key=catalog.natural_key
  )
  rate = lambda line: "lambda=" in line or "lossless (bits-back)" in line
  assert all("model=" in line and rate(line) and "trained_on=" in line for line in lines)
  # Every lossy codec's line names the --quality level that selects it.
  for line in lines:
    fields = dict(f.split("=", 1) for f in line.split("\t")[1:] if "=" in f)
    if "quality" in fields:
      codec = registry.get(line.split("\t")[0])
      side = codec.exported.meta["image_shape"][0]
      chosen = registry.by_quality(int(fields["quality"]), codec.channels, side, side)
      assert chosen.name == codec.name
  assert sum("quality=" in line for line in lines) == sum("lambda=" in line for line in lines)


def _bad_files(tmp_path, good: bytes):
  corrupt = bytearray(good)
  corrupt[-3] ^= 0x40
  wrong_version = bytearray(good)
  wrong_version[3] = 9
  header, streams = bitstream.unpack(good)  # a valid file of a codec not installed here
  wrong_codec = bitstream.pack(
    bitstream.Header(b"\x00" * 8, header.height, header.width, header.channels), streams
  )
  files = {
    "truncated": good[: len(good) // 2],
    "corrupted": bytes(corrupt),
    "version": bytes(wrong_version),
    "codec": bytes(wrong_codec),
    "not_ae": b"hello, world",
    "empty": b"",
  }
  for name, data in files.items():
    (tmp_path / f"{name}.ae").write_bytes(data)
  return files


@pytest.mark.parametrize(
  "case,message",
  [
    ("truncated", "truncated"),
    ("corrupted", "CRC32"),
    ("version", "version 9"),
    ("codec", "not installed"),
    ("not_ae", "magic"),
    ("empty", "magic"),
  ],
)
def test_bad_files_give_one_line_and_no_output(codec_dir, tmp_path, capsys, case, message):
  good = api.compress(_smooth(20, 20), "bmshj2018")
  files = _bad_files(tmp_path, good)
  out = tmp_path / "out.png"
  assert run_cli("decompress", str(tmp_path / f"{case}.ae"), "-o", str(out)) == 1
  err = capsys.readouterr().err.strip()
  assert err.startswith("error:") and message in err and len(err.splitlines()) == 1
  assert set(os.listdir(tmp_path)) == {f"{name}.ae" for name in files}  # nothing written


@pytest.mark.parametrize(
  "case,message",
  [
    ("text", "not an image"),
    ("rgba", "transparent"),
    ("sixteen", "8-bit"),
    ("missing", "no such file"),
    ("rgb_into_gray", "codes gray images"),
    ("negative_refine", "--refine_steps must be >= 0"),
    ("refine_dense", "convolutional"),
  ],
)
def test_bad_images_give_one_line_and_no_output(codec_dir, tmp_path, capsys, case, message):
  (tmp_path / "text.png").write_text("not really a png")
  rgba = np.dstack([_smooth(8, 8), np.full((8, 8), 100, np.uint8)])
  _write_png(tmp_path / "rgba.png", rgba)
  Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(tmp_path / "sixteen.png")
  _write_png(tmp_path / "rgb_into_gray.png", _smooth(8, 8))
  out = tmp_path / "out.ae"
  _write_png(tmp_path / "negative_refine.png", _smooth(8, 8))
  _write_png(tmp_path / "refine_dense.png", _smooth(28, 28, 1))
  extra = {
    "rgb_into_gray": ["--codec=dense_codec"],
    "negative_refine": ["--codec=mbt2018_mean", "--refine_steps=-1"],
    "refine_dense": ["--codec=dense_codec", "--refine_steps=2"],
  }.get(case, [])
  assert run_cli("compress", str(tmp_path / f"{case}.png"), "-o", str(out), *extra) == 1
  err = capsys.readouterr().err.strip()
  assert err.startswith("error:") and message in err and len(err.splitlines()) == 1
  assert not out.exists() and not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]


def test_compress_with_refined_latents(codec_dir, tmp_path, capsys):
  image = _smooth(24, 40)
  src = _write_png(tmp_path / "in.png", image)
  assert (
    run_cli(
      "compress", src, "-o", str(tmp_path / "r.ae"), "--codec=mbt2018_mean", "--refine_steps=4"
    )
    == 0
  )
  assert "bpp" in capsys.readouterr().out
  data = (tmp_path / "r.ae").read_bytes()
  assert data == api.compress(image, "mbt2018_mean", 4)
  assert api.decompress(data).shape == image.shape


def test_decoding_to_a_lossy_format_says_so(codec_dir, tmp_path, capsys):
  src = _write_png(tmp_path / "in.png", _smooth(24, 40))
  assert run_cli("compress", src, "-o", str(tmp_path / "x.ae"), "--codec=bls2017") == 0
  capsys.readouterr()
  out = str(tmp_path / "y.jpg")
  assert run_cli("decompress", str(tmp_path / "x.ae"), "-o", out, f"--reference={src}") == 0
  got = capsys.readouterr()
  assert "a lossy image format" in got.err and "before the output format's own loss" in got.out
  assert run_cli("decompress", str(tmp_path / "x.ae"), "-o", str(tmp_path / "y.png")) == 0
  assert "lossy" not in capsys.readouterr().err


def test_opaque_alpha_is_dropped_with_a_note(codec_dir, tmp_path, capsys):
  rgba = np.dstack([_smooth(8, 8), np.full((8, 8), 255, np.uint8)])
  src = _write_png(tmp_path / "opaque.png", rgba)
  assert run_cli("compress", src, "-o", str(tmp_path / "o.ae"), "--codec=bls2017") == 0
  assert "dropped an alpha channel" in capsys.readouterr().err


def test_console_script_fails_cleanly(tmp_path):
  """The installed entry point: exit 1, one line, no traceback."""
  (tmp_path / "junk.ae").write_bytes(b"\x89AE\x01junk")
  proc = subprocess.run(
    [
      sys.executable,
      "-m",
      "ae",
      "decompress",
      str(tmp_path / "junk.ae"),
      "-o",
      str(tmp_path / "o.png"),
    ],
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert proc.returncode == 1 and "Traceback" not in proc.stderr
  assert proc.stderr.strip().startswith("error:") and len(proc.stderr.strip().splitlines()) == 1
