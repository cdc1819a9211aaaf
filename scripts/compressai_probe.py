r"""CompressAI's own bmshj2018 hyperprior timed, for the ae benchmarks to compare against.

Run by a Python that has torch and compressai (not ae's dependencies; a venv of its own):

  VENV/bin/python scripts/compressai_probe.py codec IMAGE.npy [--n=128 --m=192 --repeats=5]
  VENV/bin/python scripts/compressai_probe.py step [--n=128 --m=192 --batch=8 --size=128]
  (either with --threads=K to fix torch's thread count; the benchmarks pass their own)

`codec`: `compressai.models.ScaleHyperprior(N, M)` with fresh parameters and its entropy
tables built (`update()`), compresses and decompresses the uint8 RGB image [H, W, 3] of
IMAGE.npy; prints one JSON line: median encode and decode seconds, bytes, threads.
`step`: one training step as CompressAI's examples/train.py runs it: RateDistortionLoss
(lambda 0.01) with its main Adam (1e-4) and the aux loss with its own Adam (1e-3), on a
batch of random crops; prints the median seconds per step. Only torch, compressai, numpy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def _model(n: int, m: int):
  import torch  # pylint: disable=g-import-not-at-top
  from compressai.models import ScaleHyperprior  # pylint: disable=g-import-not-at-top

  torch.manual_seed(0)
  return ScaleHyperprior(n, m)


def codec(args) -> dict:
  import torch  # pylint: disable=g-import-not-at-top

  model = _model(args.n, args.m).eval()
  model.update(force=True)
  image = np.load(args.image)
  x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
  enc, dec, size = [], [], 0
  with torch.no_grad():
    for i in range(args.repeats + 1):
      t = time.perf_counter()
      out = model.compress(x)
      t_enc = time.perf_counter() - t
      t = time.perf_counter()
      model.decompress(out["strings"], out["shape"])
      t_dec = time.perf_counter() - t
      size = sum(len(s[0]) for s in out["strings"])
      if i:  # the first run warms up
        enc.append(t_enc)
        dec.append(t_dec)
  return {
    "encode_total": statistics.median(enc),
    "decode_total": statistics.median(dec),
    "bytes": size,
    "bpp": 8 * size / (image.shape[0] * image.shape[1]),
    "threads": torch.get_num_threads(),
  }


def step(args) -> dict:
  import torch  # pylint: disable=g-import-not-at-top
  from compressai.losses import RateDistortionLoss  # pylint: disable=g-import-not-at-top

  model = _model(args.n, args.m).train()
  params = [p for name, p in model.named_parameters() if not name.endswith(".quantiles")]
  aux = [p for name, p in model.named_parameters() if name.endswith(".quantiles")]
  opt, aux_opt = torch.optim.Adam(params, lr=1e-4), torch.optim.Adam(aux, lr=1e-3)
  criterion = RateDistortionLoss(lmbda=0.01)
  x = torch.rand(args.batch, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
  times = []
  for i in range(args.repeats + 1):
    t = time.perf_counter()
    opt.zero_grad()
    aux_opt.zero_grad()
    loss = criterion(model(x), x)
    loss["loss"].backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    model.aux_loss().backward()
    aux_opt.step()
    if i:
      times.append(time.perf_counter() - t)
  return {"s_per_step": statistics.median(times), "threads": torch.get_num_threads()}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("what", choices=["codec", "step"])
  parser.add_argument("image", nargs="?")
  parser.add_argument("--n", type=int, default=128)
  parser.add_argument("--m", type=int, default=192)
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--size", type=int, default=128)
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
  args = parser.parse_args()
  if args.threads:
    import torch  # pylint: disable=g-import-not-at-top

    torch.set_num_threads(args.threads)
  import compressai  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top,redefined-outer-name

  result = codec(args) if args.what == "codec" else step(args)
  result["versions"] = {"torch": torch.__version__, "compressai": compressai.__version__}
  print(json.dumps(result))


if __name__ == "__main__":
  main()
