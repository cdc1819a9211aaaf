"""Unsigned LEB128 varints (7 bits per byte, low bits first), as protobuf and the .ae
header write them: one reader and one writer for both."""

from __future__ import annotations


def encode(n: int) -> bytes:
  """The varint bytes of n >= 0."""
  out = bytearray()
  while True:
    byte, n = n & 0x7F, n >> 7
    out.append(byte | (0x80 if n else 0))
    if not n:
      return bytes(out)


def decode(buf: bytes, pos: int, max_bytes: int = 10) -> tuple[int, int]:
  """(value, position after it) of the varint at buf[pos]; ValueError when it runs past
  the end of `buf` or is longer than `max_bytes`."""
  value = shift = 0
  end = min(len(buf), pos + max_bytes)
  while pos < end:
    byte = buf[pos]
    value |= (byte & 0x7F) << shift
    pos, shift = pos + 1, shift + 7
    if not byte & 0x80:
      return value, pos
  raise ValueError("truncated or overlong varint")
