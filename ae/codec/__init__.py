"""Real files: entropy coding, the .ae bitstream, and `compress` / `decompress`.

import ae.codec
data = ae.codec.compress(image)        # uint8 [H, W] or [H, W, 3] -> bytes
image = ae.codec.decompress(data)      # bytes -> uint8 image
"""

from ae.codec.api import compress, decode, decompress, encode

__all__ = ["compress", "decompress", "encode", "decode"]
