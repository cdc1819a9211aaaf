r"""Encode and decode time of a 768x512 RGB photo per codec model, split into
transforms and entropy coding (medians over repeats, seconds, this CPU).

  python scripts/bench_codec_files.py [--repeats=5] [--n=128 --m=192] [--json=PATH]

Each conv model is built at widths N, M with fresh parameters (time does not
depend on training, except the coder's share, which grows with the rate), plus
every installed RGB codec. The image is a 768x512 crop of a photo from the
offline set (a Kodak-sized frame). With `--compressai_python=VENV/bin/python` (a Python
with torch and compressai, installed for this script only) a row for CompressAI's own
bmshj2018 (ScaleHyperprior N, M, fresh parameters, `compress` / `decompress` of the same
image: scripts/compressai_probe.py), and the ratios of ae's bmshj2018 to it.
"""

from __future__ import annotations

import os as _os
import sys as _sys

# experiments/ is not installed: scripts run from a checkout and import it from its root.
_ROOT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
_sys.path.insert(0, _ROOT) if _ROOT not in _sys.path else None

import atexit
import dataclasses
import json
import os
import shutil
import statistics
import tempfile
import time

import numpy as np
from absl import app, flags

_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed repeats (median reported).")
_N = flags.DEFINE_integer("n", 128, "Width N of the fresh models.")
_M = flags.DEFINE_integer("m", 192, "Width M of the fresh models.")
_JSON = flags.DEFINE_string("json", None, "Write the table as JSON here.")
_COMPRESSAI = flags.DEFINE_string(
  "compressai_python", None, "A Python with torch and compressai: adds CompressAI's row."
)


def compressai_row(python: str, image: np.ndarray) -> dict:
  """CompressAI's bmshj2018 times on `image`, run by `python` (compressai_probe.py)."""
  import subprocess  # pylint: disable=g-import-not-at-top

  probe = os.path.join(_ROOT, "scripts", "compressai_probe.py")
  with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "image.npy")
    np.save(path, image)
    argv = [python, probe, "codec", path, f"--n={_N.value}", f"--m={_M.value}"]
    # torch gets as many threads as the cores this process may run on, as XLA does
    argv += [f"--repeats={_REPEATS.value}", f"--threads={len(os.sched_getaffinity(0))}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
  if out.returncode:
    raise SystemExit(f"the CompressAI probe failed:\n{out.stderr[-2000:]}")
  return json.loads(out.stdout.strip().splitlines()[-1])


def _photo() -> np.ndarray:
  from ae.data import photos  # pylint: disable=g-import-not-at-top

  entries = [e for e in photos.manifest() if e.source == "mate-backgrounds"]
  if entries:  # a 2560x1600 wallpaper halved: 1280x800, then the central 768x512
    img = photos.read_photo(dataclasses.replace(entries[0], downsample=2))
  else:
    img = np.tile(photos.read_photo(photos.manifest()[0]), (2, 2, 1))
  y, x = (img.shape[0] - 512) // 2, (img.shape[1] - 768) // 2
  return np.ascontiguousarray(img[y : y + 512, x : x + 768])


def _timed(fn, *args):
  t = time.perf_counter()
  out = fn(*args)
  return out, time.perf_counter() - t


def profile(codec, image: np.ndarray) -> dict[str, float]:
  """One encode and decode, timed as transforms (everything but the coder) and coder (seconds)."""
  from ae.codec import api, bitstream, coder  # pylint: disable=g-import-not-at-top

  t = {}
  (header, streams), t["enc_transforms"] = _timed(api.symbolize, image, codec)
  data, t["enc_coder"] = _timed(lambda: [coder.encode(*s) for s in streams])
  file_bytes = bitstream.pack(header, data)
  _, t["encode_total"] = _timed(api.encode, image, codec)
  out, t["decode_total"] = _timed(api.decode, file_bytes, codec)
  _, t["dec_coder"] = _timed(lambda: [coder.decode(d, s[1], s[2]) for s, d in zip(streams, data)])
  t["dec_transforms"] = t["decode_total"] - t["dec_coder"]
  t["bytes"] = len(file_bytes)
  t["bpp"] = 8 * len(file_bytes) / (image.shape[0] * image.shape[1])
  assert out.shape == image.shape == (512, 768, 3)
  return t


def main(argv):
  del argv
  from ae.codec import (
    export,  # pylint: disable=g-import-not-at-top
    registry,  # pylint: disable=g-import-not-at-top
  )
  from ae.utils import files  # pylint: disable=g-import-not-at-top
  from experiments.configs import hyperprior  # pylint: disable=g-import-not-at-top

  image = _photo()
  tmp = tempfile.mkdtemp()  # the untrained codec files, removed at exit
  atexit.register(shutil.rmtree, tmp, True)
  codecs = []
  for name in ("bls2017", "bmshj2018", "mbt2018_mean", "ms2020", "he2021"):
    path = os.path.join(tmp, f"{name}_N{_N.value}_M{_M.value}.aec")
    config = hyperprior.get_config()
    config.model.name, config.model.n, config.model.m = name, _N.value, _M.value
    export.write_once(path, export.export_untrained(config, (64, 64, 3)))
    codecs.append(registry.load(path))
  codecs += [c for c in registry.available() if c.channels == 3]
  rows = {}
  for codec in codecs:
    runs = [profile(codec, image) for _ in range(_REPEATS.value + 1)][1:]  # first run warms up
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    rows[codec.name] = med
    enc, dec = med["encode_total"], med["decode_total"]
    print(
      f"{codec.name:28s} encode {enc:.3f} s (coder {med['enc_coder'] / enc:5.1%}), "
      f"decode {dec:.3f} s (coder {med['dec_coder'] / dec:5.1%}), {med['bpp']:.3f} bpp"
    )
  if _COMPRESSAI.value:
    name = f"compressai-bmshj2018 N={_N.value} M={_M.value}"
    rows[name] = theirs = compressai_row(_COMPRESSAI.value, image)
    ours = rows[f"bmshj2018_N{_N.value}_M{_M.value}"]
    print(
      f"{name:28s} encode {theirs['encode_total']:.3f} s, decode {theirs['decode_total']:.3f} s, "
      f"{theirs['bpp']:.3f} bpp ({theirs['threads']} threads); ae / CompressAI: encode "
      f"{ours['encode_total'] / theirs['encode_total']:.2f}, decode "
      f"{ours['decode_total'] / theirs['decode_total']:.2f} (target <= 0.5)"
    )
  if _JSON.value:
    table = {"image": "768x512 RGB", "repeats": _REPEATS.value, "codecs": rows}
    files.write_json(_JSON.value, table, indent=2)


if __name__ == "__main__":
  app.run(main)
