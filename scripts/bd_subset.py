r"""BD-rates of a learned codec family with some of its rates left out, from an evaluation.

  python scripts/bd_subset.py --rd=workdirs/rd_photos/rd.json --drop=photo-mbt-q10

Reads the per-setting averages of `experiments.evaluate` (rd.json) and prints the cubic
BD-rate (ae.rd.bd, percent, negative = fewer bits) of `photo-mbt` and
`photo-mbt+refine200` against JPEG 4:2:0, WebP and AVIF, without the settings in --drop.
"""

from __future__ import annotations

import json

from absl import app, flags

_RD = flags.DEFINE_string("rd", "workdirs/rd_photos/rd.json", "rd.json of an evaluation.")
_DROP = flags.DEFINE_list("drop", [], "Settings (codec names) to leave out.")
_FAMILIES = flags.DEFINE_list("families", ["photo-mbt", "photo-mbt+refine200"], "Rows.")
_ANCHORS = flags.DEFINE_list("anchors", ["jpeg420", "webp", "avif"], "Columns.")


def points(summary: list[dict], codec: str, drop=()) -> tuple[list[float], list[float]]:
  """(bpp, PSNR dB) of `codec`'s settings in an rd.json summary, without `drop`."""
  rows = [r for r in summary if r["codec"] == codec and r["setting"] not in drop]
  return [r["bpp"] for r in rows], [r["psnr"] for r in rows]


def main(argv):
  del argv
  from ae.rd import bd  # pylint: disable=g-import-not-at-top

  with open(_RD.value) as f:
    summary = json.load(f)["summary"]
  for family in _FAMILIES.value:
    rate, psnr = points(summary, family, _DROP.value)
    cells = [f"{a} {bd.bd_rate(*points(summary, a), rate, psnr):+.1f}%" for a in _ANCHORS.value]
    print(f"{family} ({len(rate)} rates): " + ", ".join(cells))


if __name__ == "__main__":
  app.run(main)
