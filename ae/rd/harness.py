"""The rate-distortion harness: every codec at every setting on every image, in real bytes.

A `Point` is one codec at one setting: `encode(image) -> bytes` and
`decode(bytes) -> image`, plus, for learned codecs, the image the encoder
predicts the decoder will make (checked bit-exact; for refined latents the
encode time includes that prediction, which costs about one decoding).
`evaluate` records per image bytes, bits per pixel (8 * bytes / (H * W), every
byte of the file), PSNR and MS-SSIM of the 8-bit output, and encode/decode
seconds; `summarize` averages per image (as CompressAI and C3 do) for each
(codec, setting); `bd_table` gives the BD-rate of every curve against every other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from ae.baselines import codecs as classical
from ae.baselines.pca import fit_pca
from ae.baselines.pca_codec import DELTAS, PCACodec
from ae.codec import api
from ae.ops import metrics
from ae.rd import bd
from ae.utils import console


@dataclasses.dataclass(frozen=True)
class Point:
  curve: str
  setting: str
  encode: Callable[[np.ndarray], bytes]
  decode: Callable[[bytes], np.ndarray]
  predict: Callable[[np.ndarray], tuple[bytes, np.ndarray]] | None = None


def classical_points(name: str, gray: bool) -> list[Point]:
  c = classical.CODECS[name]
  mode = "L" if gray else "RGB"
  return [
    Point(name, f"{s:g}", lambda im, s=s: c.encode(im, s), lambda b: c.decode(b, mode))
    for s in c.settings
  ]


def curve_name(codec_name: str) -> str:
  """Learned codecs of one family form a curve: 'photo-mbt-q3' -> 'photo-mbt'."""
  return re.sub(r"-q\d+$", "", codec_name)


def learned_points(codecs, refine_steps: int = 0) -> list[Point]:
  """A point per codec; with `refine_steps` > 0 the curve '<family>+refineN' of files whose
  latents were refined for each image (ae.codec.refine). Refinement runs once per image:
  encode keeps the file and its predicted decoding, which `predict` then returns."""
  if refine_steps <= 0:
    return [
      Point(
        curve_name(c.name),
        c.name,
        lambda im, c=c: api.encode(im, c),
        lambda b, c=c: api.decode(b, c),
        lambda im, c=c: api.encode_and_predict(im, c),
      )
      for c in codecs
    ]
  points = []
  for c in codecs:
    memo = {}

    def encode(im, c=c, memo=memo):
      memo.clear()
      memo[_key(im)] = api.encode_and_predict(im, c, refine_steps)
      return memo[_key(im)][0]

    points.append(
      Point(
        f"{curve_name(c.name)}+refine{refine_steps}",
        c.name,
        encode,
        lambda b, c=c: api.decode(b, c),
        lambda im, memo=memo: memo[_key(im)],
      )
    )
  return points


def _key(image: np.ndarray) -> tuple:
  return image.shape, hashlib.sha256(image.tobytes()).hexdigest()


def pca_points(train_images: np.ndarray) -> list[Point]:
  pca = fit_pca(train_images.astype(np.float64) / 255.0, int(np.prod(train_images.shape[1:])))
  codecs = [PCACodec.fit(train_images, d, pca) for d in DELTAS]
  return [Point("pca", f"delta={c.delta:g}", c.encode, c.decode) for c in codecs]


def evaluate(images: list[np.ndarray], points: list[Point], log=print) -> list[dict]:
  """Per-image records of every point on uint8 images [H, W] or [H, W, 3]."""
  records = []
  for p in console.progress(points, total=len(points), desc="codec settings"):
    for i, image in enumerate(images):
      t0 = time.perf_counter()
      data = p.encode(image)
      t1 = time.perf_counter()
      out = p.decode(data)
      t2 = time.perf_counter()
      rec = {
        "codec": p.curve,
        "setting": p.setting,
        "image": i,
        "bytes": len(data),
        "bpp": 8.0 * len(data) / (image.shape[0] * image.shape[1]),
        "psnr": metrics.psnr(image, out),
        "ms_ssim": metrics.ms_ssim(image, out),
        "encode_s": t1 - t0,
        "decode_s": t2 - t1,
      }
      if p.predict is not None:
        pdata, predicted = p.predict(image)
        rec["bit_exact"] = bool(pdata == data and np.array_equal(predicted, out))
      records.append(rec)
    if log:
      last = [r for r in records if r["codec"] == p.curve and r["setting"] == p.setting]
      log(
        f"{p.curve} {p.setting}: {np.mean([r['bpp'] for r in last]):.4f} bpp, "
        f"{np.mean([r['psnr'] for r in last]):.2f} dB"
      )
  return records


def summarize(records: list[dict]) -> list[dict]:
  """Per (codec, setting) averages over images, sorted by codec then rate."""
  groups = defaultdict(list)
  for r in records:
    groups[(r["codec"], r["setting"])].append(r)
  out = []
  for (codec, setting), rs in groups.items():
    row = {"codec": codec, "setting": setting, "images": len(rs)}
    for k in ("bytes", "bpp", "psnr", "ms_ssim", "encode_s", "decode_s"):
      vals = np.array([r[k] for r in rs], np.float64)
      row[k] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
    if "bit_exact" in rs[0]:
      row["bit_exact"] = all(r["bit_exact"] for r in rs)
    out.append(row)
  return sorted(out, key=lambda r: (r["codec"], r["bpp"]))


def curves(summary: list[dict]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """codec -> (bpp [n], psnr [n]) over its settings with finite PSNR (lossless PNG excluded)."""
  out = defaultdict(lambda: ([], []))
  for r in summary:
    if np.isfinite(r["psnr"]):
      out[r["codec"]][0].append(r["bpp"])
      out[r["codec"]][1].append(r["psnr"])
  return {k: (np.array(v[0]), np.array(v[1])) for k, v in out.items() if len(v[0]) >= 2}


def bd_table(summary: list[dict]) -> dict:
  """{test: {anchor: {"cubic": %, "pchip": %, "psnr_range": [lo, hi]}}} for all pairs."""
  cs = curves(summary)
  table = {}
  for test, (rt, pt) in cs.items():
    table[test] = {}
    for anchor, (ra, pa) in cs.items():
      if anchor != test:
        lo, hi = bd.overlap(pa, pt)
        table[test][anchor] = {
          "cubic": bd.bd_rate(ra, pa, rt, pt, "cubic"),
          "pchip": bd.bd_rate(ra, pa, rt, pt, "pchip"),
          "psnr_range": [float(lo), float(hi)],
          "points": min(len(pt), len(pa)),  # < 4: the cubic fit is of degree points - 1
        }
  return table
