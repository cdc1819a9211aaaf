"""Seeded mutations of the golden files through `ae.codec.api.decompress`, run by
tests/test_fuzz.py in a subprocess under a memory limit:

  python tests/fuzz_decode.py COUNT SEED MEMORY_MB

Mutations: bit flips, truncations, appended bytes, header edits (sizes up to 2^20,
channels, stream lengths) with the CRC recomputed so that decoding really starts.
Prints one JSON line: counts of outcomes and the slowest case; any other exception
than a UserError (MemoryError included) is a failure, listed with its case.
"""

import json
import os
import resource
import sys
import time
import zlib

import numpy as np

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def _recrc(data: bytearray) -> bytes:
  """The file with its CRC32 recomputed over header and payload (as pack does)."""
  from ae.codec import bitstream  # pylint: disable=g-import-not-at-top

  try:
    header, streams = bitstream.unpack(bytes(data))
  except bitstream.BitstreamError:
    return bytes(data)
  return bitstream.pack(header, streams)


def _header_edit(good: bytes, rng) -> bytes:
  from ae.codec import bitstream  # pylint: disable=g-import-not-at-top

  header, streams = bitstream.unpack(good)
  h = int(rng.choice([1, 2, 17, 4096, 65535, 1 << 20, int(rng.integers(1, 5000))]))
  w = int(rng.choice([1, 3, 33, 4096, 65535, 1 << 20, int(rng.integers(1, 5000))]))
  c = int(rng.choice([1, 3, header.channels]))
  if rng.random() < 0.3 and streams:
    streams = list(streams)
    k = int(rng.integers(len(streams)))
    streams[k] = streams[k][: int(rng.integers(0, len(streams[k]) + 1))]
  return bitstream.pack(bitstream.Header(header.codec_id, h, w, c), streams)


def mutate(good: bytes, rng) -> bytes:
  kind = int(rng.integers(5))
  data = bytearray(good)
  if kind == 0:
    for _ in range(int(rng.integers(1, 9))):
      i = int(rng.integers(len(data)))
      data[i] ^= 1 << int(rng.integers(8))
    return bytes(data)
  if kind == 1:
    return bytes(data[: int(rng.integers(0, len(data)))])
  if kind == 2:
    return bytes(data) + bytes(rng.integers(0, 256, int(rng.integers(1, 64))).astype(np.uint8))
  if kind == 3:
    i = int(rng.integers(16, len(data)))
    data[i] ^= 1 << int(rng.integers(8))
    return _recrc(data)  # a payload flip the CRC no longer catches
  return _header_edit(good, rng)


def main(count: int, seed: int, memory_mb: int) -> None:
  resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
  from ae.codec import api  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top

  files = sorted(f for f in os.listdir(GOLDEN) if f.endswith(".ae"))
  goods = [open(os.path.join(GOLDEN, f), "rb").read() for f in files]  # noqa: SIM115
  rng = np.random.default_rng(seed)
  out = {"refused": 0, "decoded": 0, "failures": [], "slowest_s": 0.0}
  for case in range(count):
    data = mutate(goods[case % len(goods)], rng)
    t = time.perf_counter()
    try:
      image = api.decompress(data)
      assert image.dtype == np.uint8 and image.ndim in (2, 3)
      out["decoded"] += 1
    except UserError:
      out["refused"] += 1
    except BaseException as e:  # pylint: disable=broad-except
      out["failures"].append(
        f"case {case} ({files[case % len(files)]}): {type(e).__name__}: "
        f"{str(e)[:120]} [{zlib.crc32(data):08x}]"
      )
    out["slowest_s"] = max(out["slowest_s"], time.perf_counter() - t)
  print(json.dumps(out))


if __name__ == "__main__":
  main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
