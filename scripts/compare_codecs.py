r"""Codecs trained at one lambda, compared on the test photos (or train crops) in real files.

  taskset -c 0 python scripts/compare_codecs.py --codecs=A.aec,B.aec[,NAME...] [--json=PATH]
      [--images=test|train]

For each codec (a name from `ae codecs` or an .aec path): the mean over the test photos
(`ae.data.photos`, whole images) of the file's bits per pixel, its 8-bit RGB PSNR, its
rate-distortion loss in real bytes, bpp + lambda * 255^2 * MSE (MSE on the [0, 1] scale,
the codecs' own training loss), and the median encode and decode seconds. Every file is
checked to decode to the encoder's prediction. One lambda gives one point per codec, not
a curve: the loss is the comparison (lower is better), bpp and PSNR show where it comes
from.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from absl import app, flags

_CODECS = flags.DEFINE_list("codecs", None, "Codec names or .aec paths.", required=True)
_JSON = flags.DEFINE_string("json", None, "Write the table as JSON here.")
_IMAGES = flags.DEFINE_enum(
  "images", "test", ["test", "train"], "The test photos, or centre crops of the train photos."
)


def _images(split: str) -> list[np.ndarray]:
  """The test photos whole, or the 384x512 centre crops of the train photos that have one."""
  from ae.data import photos  # pylint: disable=g-import-not-at-top

  whole = [photos.read_photo(e) for e in photos.manifest() if e.split == split]
  if split == "test":
    return whole
  h, w = 384, 512
  return [
    p[(p.shape[0] - h) // 2 :][:h, (p.shape[1] - w) // 2 :][:, :w]
    for p in whole
    if p.shape[0] >= h and p.shape[1] >= w
  ]


def measure(codec, images: list[np.ndarray]) -> dict:
  from ae.codec import api  # pylint: disable=g-import-not-at-top
  from ae.ops.metrics import psnr  # pylint: disable=g-import-not-at-top

  lmbda = float(codec.exported.meta["lmbda"])
  rows = []
  for image in images:
    t = time.perf_counter()
    data = api.encode(image, codec)
    t_enc = time.perf_counter() - t
    data_again, predicted = api.encode_and_predict(image, codec)
    if data_again != data:
      raise RuntimeError(f"{codec.name}: encoding is not deterministic")
    t = time.perf_counter()
    out = api.decode(data, codec)
    t_dec = time.perf_counter() - t
    if not np.array_equal(out, predicted):
      raise RuntimeError(f"{codec.name}: a file did not decode to the prediction")
    bpp = 8 * len(data) / (image.shape[0] * image.shape[1])
    mse = float(np.mean(np.square(out.astype(np.float64) / 255 - image.astype(np.float64) / 255)))
    rows.append((bpp, psnr(image, out), bpp + lmbda * 255**2 * mse, t_enc, t_dec))
  bpp, db, loss, t_enc, t_dec = zip(*rows)
  return {
    "lambda": lmbda,
    "bpp": float(np.mean(bpp)),
    "psnr": float(np.mean(db)),
    "rd_loss": float(np.mean(loss)),
    "encode_s": statistics.median(t_enc),
    "decode_s": statistics.median(t_dec),
    "steps": int(codec.exported.meta["step"]),
  }


def main(argv):
  del argv
  from ae.codec import registry  # pylint: disable=g-import-not-at-top
  from ae.utils import files  # pylint: disable=g-import-not-at-top

  images = _images(_IMAGES.value)
  print(f"{len(images)} {_IMAGES.value} images", flush=True)
  codecs = [registry.load(n) if n.endswith(".aec") else registry.get(n) for n in _CODECS.value]
  lambdas = {float(c.exported.meta["lmbda"]) for c in codecs}
  if len(lambdas) > 1:  # the loss compares codecs at one lambda only
    raise app.UsageError(f"the codecs were trained at several lambdas: {sorted(lambdas)}")
  table = {}
  for name, codec in zip(_CODECS.value, codecs):
    table[name] = row = {"images": f"{_IMAGES.value} ({len(images)})", **measure(codec, images)}
    print(
      f"{name}: model={codec.exported.model_name} lambda={row['lambda']:g} "
      f"bpp {row['bpp']:.4f} PSNR {row['psnr']:.2f} dB loss {row['rd_loss']:.4f} "
      f"encode {row['encode_s']:.2f} s decode {row['decode_s']:.2f} s (step {row['steps']})",
      flush=True,
    )
  if _JSON.value:
    files.write_json(_JSON.value, table, indent=1)


if __name__ == "__main__":
  app.run(main)
