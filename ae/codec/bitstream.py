"""The `.ae` file format, version 1.

  offset  size  field
  0       3     magic b"\\x89AE"
  3       1     format version (1)
  4       8     codec id: the first 8 bytes of the codec file's SHA-256
  12      var   height, width (unsigned LEB128 varints), then 1 byte: channels (1 or 3)
  ...     var   number of streams S, then S stream lengths in bytes (varints)
  ...     4     CRC32 (big-endian) of every byte before it and of the payload
  ...     sum   the S streams, concatenated

Height and width are those of the original image (the codec pads inside and
crops on decode). A reader checks magic, version, lengths and the CRC before
any decoding, so a truncated or corrupted file is refused with one line.
"""

from __future__ import annotations

import dataclasses
import struct
import zlib

from ae.utils import varint as varints
from ae.utils.errors import UserError

MAGIC = b"\x89AE"
VERSION = 1
ID_BYTES = 8
MAX_SIDE = 1 << 20
MAX_STREAMS = 8  # streams one file holds (z and seven slices of y at most)


class BitstreamError(UserError):
  """A file that is not a readable .ae bitstream."""


@dataclasses.dataclass(frozen=True)
class Header:
  codec_id: bytes  # 8 bytes, prefix of the codec's SHA-256
  height: int
  width: int
  channels: int


varint = varints.encode  # the .ae header's unsigned LEB128 varints


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
  """(value, position after it) of the header varint at data[pos] (at most 9 bytes)."""
  try:
    return varints.decode(data, pos, max_bytes=9)
  except ValueError as e:
    raise BitstreamError("the file is truncated (header ends early)") from e


def pack(header: Header, streams: list[bytes]) -> bytes:
  """The file's bytes for a header and its streams."""
  if len(header.codec_id) != ID_BYTES or header.channels not in (1, 3):
    raise ValueError("bad header")
  if len(streams) > MAX_STREAMS:
    raise ValueError(f"{len(streams)} streams: a file holds at most {MAX_STREAMS}")
  head = (
    MAGIC
    + bytes([VERSION])
    + header.codec_id
    + varint(header.height)
    + varint(header.width)
    + bytes([header.channels])
    + varint(len(streams))
    + b"".join(varint(len(s)) for s in streams)
  )
  payload = b"".join(streams)
  crc = zlib.crc32(payload, zlib.crc32(head))
  return head + struct.pack(">I", crc) + payload


def unpack(data: bytes) -> tuple[Header, list[bytes]]:
  """Parses and checks a file: (header, streams). Raises BitstreamError with one line."""
  if len(data) < 4 or data[:3] != MAGIC:
    raise BitstreamError("not an .ae compressed image (bad magic bytes)")
  if data[3] != VERSION:
    raise BitstreamError(
      f"format version {data[3]} is not supported: this ae reads version {VERSION}"
    )
  pos = 4 + ID_BYTES
  if len(data) < pos:
    raise BitstreamError("the file is truncated (header ends early)")
  codec_id = bytes(data[4:pos])
  height, pos = read_varint(data, pos)
  width, pos = read_varint(data, pos)
  if pos >= len(data):
    raise BitstreamError("the file is truncated (header ends early)")
  channels, pos = data[pos], pos + 1
  count, pos = read_varint(data, pos)
  if not (
    0 < height <= MAX_SIDE and 0 < width <= MAX_SIDE and channels in (1, 3) and count <= MAX_STREAMS
  ):
    raise BitstreamError("corrupted header (impossible image size, channels or stream count)")
  lengths = []
  for _ in range(count):
    n, pos = read_varint(data, pos)
    lengths.append(n)
  if len(data) < pos + 4:
    raise BitstreamError("the file is truncated (header ends early)")
  (crc,) = struct.unpack(">I", data[pos : pos + 4])
  payload = data[pos + 4 :]
  if len(payload) != sum(lengths):
    raise BitstreamError(
      f"the file is truncated or padded: payload has {len(payload)} bytes, "
      f"header says {sum(lengths)}"
    )
  if zlib.crc32(payload, zlib.crc32(data[:pos])) != crc:
    raise BitstreamError("the file is corrupted (CRC32 mismatch)")
  streams, start = [], 0
  for n in lengths:
    streams.append(bytes(payload[start : start + n]))
    start += n
  return Header(codec_id, height, width, channels), streams
