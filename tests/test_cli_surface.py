"""The command line as a newcomer meets it: help, usage errors, exit codes, start-up, and
every command against hostile or careless inputs (one line, no traceback, nothing lost)."""

import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from ae import cli
from ae.codec import api, bitstream

COMMANDS = ("compress", "decompress", "info", "codecs", "eval", "denoise", "denoisers")


def _run(*argv, env=None, timeout=120):
  return subprocess.run(
    [sys.executable, "-m", "ae", *argv], capture_output=True, text=True, timeout=timeout, env=env
  )


@pytest.mark.parametrize("argv", [["--help"], [], ["help"]])
def test_top_level_help_lists_every_command(argv, capsys):
  assert cli.main(argv) == (2 if argv == [] else 0)  # a bare `ae` is bad usage
  captured = capsys.readouterr()
  out = captured.err if argv == [] else captured.out  # its help goes to stderr
  assert all(f"    {c} " in out or f"    {c}\n" in out for c in COMMANDS)


def test_slow_help_names_the_steps_of_the_refinement_it_runs(capsys):
  from ae.codec import refine

  assert cli.SLOW_STEPS == refine.SLOW_STEPS
  assert cli.main(["compress", "--help"]) == 0
  assert f"--refine_steps={refine.SLOW_STEPS}" in " ".join(capsys.readouterr().out.split())


def test_command_help_lists_its_flags_with_defaults(capsys):
  assert cli.main(["compress", "--help"]) == 0
  out = capsys.readouterr().out
  for flag in ("--codec", "--quality", "--refine_steps", "--slow", "-o OUTPUT", "--force"):
    assert flag in out
  assert "--max_pixels" in out
  assert "(default: 0)" in out  # --refine_steps
  assert cli.main(["help", "denoise"]) == 0
  assert "--ensemble" in capsys.readouterr().out


@pytest.mark.parametrize(
  "argv,hint",
  [
    (["compres", "x.png"], "did you mean 'compress'"),
    (["compress", "x.png", "-o", "y.ae", "--qualty=3"], "did you mean --quality"),
    (["denoise", "x.png", "-o", "y.png", "--sigam", "5"], "did you mean --sigma"),
    (["info"], "required: file"),
    (["compress", "a.png", "b.png", "-o", "y.ae"], "2 images need a lossless codec"),
    (["compress", "x.png", "-o", "y.ae", "extra"], "unexpected argument 'extra'"),
    (["compress", "x.png", "-o", "y.ae", "--slow", "--refine_steps=9"], "not allowed with"),
    (["compress", "x.png", "-o", "y.ae", "--max_pixels=0"], "must be a whole number >= 1"),
    (["denoise", "x.png", "-o", "y.png", "--max_pixels=-1"], "must be a whole number >= 1"),
  ],
)
def test_usage_errors_are_one_line_with_status_2(argv, hint, capsys):
  assert cli.main(argv) == 2
  err = capsys.readouterr().err.strip()
  assert err.startswith("error:") and hint in err and len(err.splitlines()) == 1


def test_reading_commands_import_neither_jax_nor_flax(tiny_codecs, tmp_path, monkeypatch):
  """`ae info`, `codecs`, `denoisers` and `decompress` run on numpy alone."""
  monkeypatch.setenv("AE_CODEC_PATH", tiny_codecs)
  image = np.random.default_rng(0).integers(0, 256, (20, 24, 3)).astype(np.uint8)
  env = {**os.environ, "AE_CODEC_PATH": tiny_codecs}
  (tmp_path / "x.ae").write_bytes(api.compress(image, "mbt2018_mean"))
  probe = (
    "import sys, runpy; sys.argv = ['ae'] + sys.argv[1:]\n"
    "try:\n  runpy.run_module('ae', run_name='__main__')\n"
    "except SystemExit as e:\n  code = e.code\n"
    "bad = [m for m in ('jax', 'flax', 'optax', 'tensorflow') if m in sys.modules]\n"
    "print('LOADED', bad); sys.exit(code)\n"
  )
  for argv in (
    ["info", str(tmp_path / "x.ae")],
    ["codecs"],
    ["denoisers"],
    ["decompress", str(tmp_path / "x.ae"), "-o", str(tmp_path / "y.png")],
  ):
    proc = subprocess.run(
      [sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stdout, (argv, proc.stdout)


def _png_bomb(path, side=30000):
  """A 1-bit PNG claiming side x side pixels, all zero: ~100 KB on disk."""
  row = b"\x00" + b"\x00" * ((side + 7) // 8)
  raw = zlib.compress(row * side, 9)
  chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
  ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
  with open(path, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _png16_rgb(path):
  h, w = 4, 5
  arr = np.full((h, w, 3), 40000, ">u2")
  raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))
  chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
  with open(path, "wb") as f:
    f.write(
      b"\x89PNG\r\n\x1a\n"
      + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
      + chunk(b"IDAT", zlib.compress(raw))
      + chunk(b"IEND", b"")
    )


def _ae_bomb(good: bytes, h: int, w: int) -> bytes:
  header, streams = bitstream.unpack(good)
  return bitstream.pack(bitstream.Header(header.codec_id, h, w, header.channels), streams)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tiny_codecs):
  with pytest.MonkeyPatch.context() as mp:
    mp.setenv("AE_CODEC_PATH", tiny_codecs)
    yield _hostile_files(tmp_path_factory.mktemp("hostile"))


def _hostile_files(d):
  rng = np.random.default_rng(1)
  photo = rng.integers(0, 256, (20, 24, 3)).astype(np.uint8)
  Image.fromarray(photo).save(d / "photo.png")
  good = api.compress(photo, "mbt2018_mean")
  (d / "good.ae").write_bytes(good)
  (d / "half.ae").write_bytes(good[: len(good) // 2])
  (d / "ae").write_bytes(b"no magic here")
  (d / "notes.txt").write_text("not an .ae file")
  (d / "bomb65535.ae").write_bytes(_ae_bomb(good, 65535, 65535))
  (d / "bomb4096.ae").write_bytes(_ae_bomb(good, 4096, 4096))
  _png_bomb(d / "bomb.png")
  _png16_rgb(d / "rgb16.png")
  np.save(d / "batch.npy", np.zeros((2, 8, 8), np.uint8))
  Image.fromarray(np.zeros((8, 8), np.uint8)).save(d / "small.png")
  frames = [Image.fromarray(np.full((8, 8), v, np.uint8)) for v in (10, 200)]
  frames[0].save(d / "anim.gif", save_all=True, append_images=frames[1:])
  os.makedirs(d / "readonly")
  os.chmod(d / "readonly", 0o555)
  return d


@pytest.mark.parametrize(
  "argv,message",
  [
    (["decompress", "{d}/bomb65535.ae", "-o", "{d}/o.png"], "more than the limit"),
    (["decompress", "{d}/bomb4096.ae", "-o", "{d}/o.png"], "symbols need at least"),
    (["compress", "{d}/bomb.png", "-o", "{d}/o.ae"], "more than the limit"),
    (["denoise", "{d}/bomb.png", "-o", "{d}/o.png"], "more than the limit"),
    (["compress", "{d}/photo.png", "-o", "{d}/photo.png"], "compress writes an .ae file"),
    (["compress", "{d}/good.ae", "-o", "{d}/good.ae"], "is the input file"),
    (["denoise", "{d}/photo.png", "-o", "{d}/photo.png"], "is the input file"),
    (
      ["decompress", "{d}/good.ae", "-o", "{d}/photo.png", "--reference", "{d}/photo.png"],
      "is the input file",
    ),
    (["compress", "{d}/photo.png", "-o", "{d}/notes.txt"], "use --force"),
    (["compress", "{d}/rgb16.png", "-o", "{d}/o.ae"], "16-bit"),
    (["compress", "{d}/photo.png", "-o", "{d}/readonly/o.ae"], "cannot write"),
    (["compress", "{d}/photo.png", "-o", "/sys/o.ae"], "cannot write"),  # unwritable for root
    (["decompress", "{d}/good.ae", "-o", "{d}/o.xyz"], "unknown image extension"),
    (["info", "{d}/missing.ae"], "no such file"),
    (["compress", "{d}/photo.png", "-o", "{d}/new.png"], "compress writes an .ae file"),
    (["compress", "{d}/photo.png", "-o", "{d}/new.jp2"], "compress writes an .ae file"),
    (["compress", "{d}/photo.png", "-o", "{d}/anim.gif", "--force"], "compress writes an .ae"),
    (["compress", "{d}/photo.png", "-o", "{d}/o.ae", "--codec={d}/photo.png"], "not a codec file"),
    (["decompress", "{d}/half.ae", "-o", "{d}/o.png"], "half.ae: "),
    (["decompress", "{d}/ae", "-o", "{d}/o.png"], "/ae: not an .ae"),
    (["info", "{d}/half.ae"], "half.ae: "),
    (["compress", "{d}/photo.png", "-o", "-"], "standard output is not supported"),
    (["compress", "{d}/batch.npy", "-o", "{d}/o.ae"], "needs a lossless codec"),
    (["compress", "{d}/photo.png", "-o", "{d}/o.ae", "--codec={d}/none.aec"], "no such codec file"),
    (["compress", "{d}/good.ae", "-o", "{d}/o.ae"], "(not a format Pillow knows)"),
    (
      ["decompress", "{d}/good.ae", "-o", "{d}/o.png", "--reference", "{d}/small.png"],
      "is 8x8 gray, the decoded image 24x20 RGB",
    ),
  ],
)
def test_hostile_inputs_give_one_line_and_write_nothing(hostile, argv, message, capsys):
  if os.geteuid() == 0 and "readonly" in " ".join(argv):
    pytest.skip("root writes into read-only folders")
  before = {p: os.path.getmtime(hostile / p) for p in os.listdir(hostile)}
  assert cli.main([a.format(d=hostile) for a in argv]) == 1
  err = capsys.readouterr().err.strip()
  assert err.startswith("error:") and message in err and len(err.splitlines()) == 1, err
  assert {p: os.path.getmtime(hostile / p) for p in os.listdir(hostile)} == before


def test_info_flags_an_implausible_header(hostile, capsys):
  assert cli.main(["info", str(hostile / "bomb4096.ae")]) == 0
  assert "implausible header" in capsys.readouterr().out


def test_multi_frame_images_use_the_first_frame_with_a_note(hostile, capsys):
  out = hostile / "frame.ae"
  assert cli.main(["compress", str(hostile / "anim.gif"), "-o", str(out), "--force"]) == 0
  assert "only the first is used" in capsys.readouterr().err
  assert np.all(api.decompress(out.read_bytes()) < 60)  # frame 1 (10), not frame 2
  out.unlink()


def test_max_pixels_raises_the_limit(hostile, capsys):
  assert (
    cli.main(
      ["compress", str(hostile / "photo.png"), "-o", str(hostile / "small.ae"), "--max_pixels=100"]
    )
    == 1
  )
  assert "--max_pixels raises it" in capsys.readouterr().err
  assert not (hostile / "small.ae").exists()


def test_quiet_prints_nothing_on_success(hostile, capsys):
  out = hostile / "quiet.ae"
  assert cli.main(["compress", str(hostile / "photo.png"), "-o", str(out), "--quiet"]) == 0
  assert capsys.readouterr() == ("", "")
  out.unlink()


def test_a_closed_pipe_is_not_an_error():
  """`ae codecs | head -1`: the reader has gone before ae writes; ae exits 0 without a
  traceback (the pipe is closed before the child has even started up)."""
  proc = subprocess.Popen(
    [sys.executable, "-m", "ae", "codecs"],
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
  )
  proc.stdout.close()
  err = proc.stderr.read()
  assert proc.wait(timeout=120) == 0, err
  assert "Traceback" not in err and "BrokenPipe" not in err
