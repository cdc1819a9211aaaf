r"""Whole-process wall time of the reading commands, beside Pillow decoding WebP.

  python scripts/bench_startup.py [--repeats=5] [--json=PATH]

Rows (median of `repeats` runs, seconds, each a fresh Python process):
`ae info FILE`, `ae decompress FILE -o OUT.png` of a 512x512 photo (skimage's
astronaut, coded with the default photo codec), and `python -c` opening the same
photo as WebP with Pillow and writing it as PNG (what a user would otherwise run).
Timings on a shared machine are noisy: compare within one run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app, flags

_REPEATS = flags.DEFINE_integer("repeats", 5, "Runs per row (median reported).")
_JSON = flags.DEFINE_string("json", None, "Also write the rows as JSON here.")


def _wall(argv: list[str]) -> float:
  t = time.perf_counter()
  subprocess.run(argv, check=True, capture_output=True)
  return time.perf_counter() - t


def main(argv):
  del argv
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  from skimage import data  # pylint: disable=g-import-not-at-top

  from ae.codec import api  # pylint: disable=g-import-not-at-top

  d = tempfile.mkdtemp()
  photo = np.asarray(data.astronaut())
  with open(os.path.join(d, "photo.ae"), "wb") as f:
    f.write(api.compress(photo))
  Image.fromarray(photo).save(os.path.join(d, "photo.webp"), quality=80)
  py = sys.executable
  rows = {
    "ae info": [py, "-m", "ae", "info", os.path.join(d, "photo.ae")],
    "ae decompress 512x512": [
      py,
      "-m",
      "ae",
      "decompress",
      os.path.join(d, "photo.ae"),
      "-o",
      os.path.join(d, "out.png"),
      "--force",
    ],
    "Pillow WebP -> PNG 512x512": [
      py,
      "-c",
      "from PIL import Image; import sys; Image.open(sys.argv[1]).save(sys.argv[2])",
      os.path.join(d, "photo.webp"),
      os.path.join(d, "w.png"),
    ],
    "python -c pass": [py, "-c", "pass"],
  }
  out = {}
  for name, cmd in rows.items():
    _wall(cmd)  # warm the file cache
    out[name] = statistics.median(_wall(cmd) for _ in range(_REPEATS.value))
    print(f"{name:32s} {out[name]:.3f} s")
  if _JSON.value:
    with open(_JSON.value, "w") as f:
      json.dump(out, f, indent=1)


if __name__ == "__main__":
  app.run(main)
