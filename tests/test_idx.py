import gzip

import numpy as np
import pytest

from ae.data.idx import encode_idx, parse_idx, read_idx


def test_roundtrip_and_gzip(tmp_path):
  arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
  np.testing.assert_array_equal(parse_idx(encode_idx(arr)), arr)
  path = tmp_path / "x-idx3-ubyte.gz"
  with gzip.open(path, "wb") as f:
    f.write(encode_idx(arr))
  np.testing.assert_array_equal(read_idx(str(path)), arr)


def test_known_header_bytes():
  # Magic 0x00000803 then dims 2, 1, 1 (big-endian), as in the MNIST spec.
  data = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7, 9])
  np.testing.assert_array_equal(parse_idx(data), np.array([[[7]], [[9]]], np.uint8))


@pytest.mark.parametrize(
  "data,msg",
  [
    (b"\x01\x00\x08\x01", "magic"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), "payload"),
    (bytes([0, 0, 8, 2, 0, 0]), "truncated"),
  ],
)
def test_bad_files_are_refused(data, msg):
  with pytest.raises(ValueError, match=msg):
    parse_idx(data)
