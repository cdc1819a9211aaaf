r"""Peak memory and time of decoding large photos: latent tiles against one piece.

  python scripts/bench_decode_memory.py [--sides=1536,2048,3072] [--codec=photo-mbt-q4]

For each side S, an S x S RGB photo (skimage's astronaut, tiled and mirrored to size) is
compressed once, in a process of its own; then each decoder runs in a fresh process
(`ae.codec.decompress`), reporting its peak resident memory (ru_maxrss, which a process
inherits from the one that forked it: hence this parent stays small) and wall time: the
default (tiles of `transforms.TILE` latents above `transforms.WHOLE` pixels) and one
piece (WHOLE raised past the image). Both must give the same pixels; the tiled peak
should stay near a fixed size while the one-piece peak grows with the image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from absl import app, flags

_SIDES = flags.DEFINE_list("sides", ["1536", "2048", "3072"], "Image sides (pixels).")
_CODEC = flags.DEFINE_string("codec", "photo-mbt-q4", "Codec to compress with.")

_CHILD = r"""
import hashlib, json, resource, sys, time
from ae.codec import api, transforms
if sys.argv[2] == "whole":
  transforms.WHOLE = 1 << 40
data = open(sys.argv[1], "rb").read()
t = time.perf_counter()
image = api.decompress(data)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({"seconds": seconds, "peak_gib": peak, "md5": hashlib.md5(image).hexdigest()}))
"""


_ENCODE = r"""
import sys
sys.path.insert(0, sys.argv[4])
from ae.codec import api
from bench_decode_memory import _photo
open(sys.argv[1], "wb").write(api.compress(_photo(int(sys.argv[2])), sys.argv[3]))
"""


def _photo(side: int):
  import numpy as np  # pylint: disable=g-import-not-at-top
  from skimage import data  # pylint: disable=g-import-not-at-top

  tile = np.asarray(data.astronaut())
  reps = -(-side // tile.shape[0])
  tile = np.concatenate([tile, tile[::-1]], 0)
  tile = np.concatenate([tile, tile[:, ::-1]], 1)
  return np.tile(tile, (reps, reps, 1))[:side, :side]


def main(argv):
  del argv
  d = tempfile.mkdtemp()
  here = os.path.dirname(os.path.abspath(__file__))
  print("| side | pixels | tiled: peak GiB, s | one piece: peak GiB, s | same pixels |")
  print("|---|---|---|---|---|")
  for side in map(int, _SIDES.value):
    path = os.path.join(d, f"{side}.ae")
    subprocess.run([sys.executable, "-c", _ENCODE, path, str(side), _CODEC.value, here], check=True)
    rows = {}
    for mode in ("tiled", "whole"):
      out = subprocess.run(
        [sys.executable, "-c", _CHILD, path, mode], capture_output=True, text=True, check=True
      )
      rows[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    t, w = rows["tiled"], rows["whole"]
    print(
      f"| {side} | {side * side / 1e6:.1f} MP | {t['peak_gib']:.2f}, {t['seconds']:.1f} | "
      f"{w['peak_gib']:.2f}, {w['seconds']:.1f} | {t['md5'] == w['md5']} |",
      flush=True,
    )


if __name__ == "__main__":
  app.run(main)
