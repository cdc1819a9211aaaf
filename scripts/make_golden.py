r"""Writes the golden bitstreams under tests/golden/ and the SHA-256 of their decoded pixels.

  python scripts/make_golden.py

Run only when a shipped codec is added; the committed files must keep decoding to
the committed hashes on every machine (tests/test_golden.py). Architectures without a
shipped codec get golden files of a tiny untrained codec committed beside them
(tests/golden/codecs/, written once; tests/test_channel_codec.py checks them). Inputs are
deterministic: synthetic gray images, crops of scikit-image's photos and, for the
lossless codec, a batch of the first 8 Fashion-MNIST test images in one file.
"""

import hashlib
import json
import os
import sys

import numpy as np
from absl import app

PHOTO = "photo-mbt-q5"
LOSSLESS = "fmnist-vae-lossless"
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(_ROOT, "tests", "golden")
if _ROOT not in sys.path:  # experiments/ is not installed: scripts import it from the checkout
  sys.path.insert(0, _ROOT)


def _synthetic(h: int, w: int) -> np.ndarray:
  yy, xx = np.mgrid[0:h, 0:w]
  rng = np.random.default_rng(h * 1000 + w)
  img = 120 + 90 * np.sin(xx / 4.0) * np.cos(yy / 5.0) + rng.normal(0, 12, (h, w))
  return np.clip(img, 0, 255).astype(np.uint8)


def cases():
  """(file name, codec name, uint8 image) of every golden file."""
  import skimage.data  # pylint: disable=g-import-not-at-top

  from ae.codec import registry  # pylint: disable=g-import-not-at-top

  names = {c.name for c in registry.available()}
  out = [
    ("fmnist_q1_28x28.ae", "fmnist-dense-q1", _synthetic(28, 28)),
    ("fmnist_q4_17x33.ae", "fmnist-dense-q4", _synthetic(17, 33)),
    ("fmnist_q2_1x1.ae", "fmnist-dense-q2", _synthetic(1, 1)),
  ]
  if PHOTO in names:
    out += [
      ("photo_rgb_40x56.ae", PHOTO, skimage.data.astronaut()[100:140, 200:256]),
      ("photo_gray_24x20.ae", PHOTO, skimage.data.camera()[50:74, 60:80]),
      ("photo_rgb_3x1000.ae", PHOTO, skimage.data.coffee()[:3, :600].repeat(2, 1)[:, :1000]),
    ]
  if LOSSLESS in names:
    from ae.data.sources import eval_images  # pylint: disable=g-import-not-at-top
    from ae.data.specs import training_spec  # pylint: disable=g-import-not-at-top

    batch = np.stack(eval_images(training_spec("fashion_mnist"), "test", 8))
    out.append(("fmnist_lossless_8x28x28.ae", LOSSLESS, batch))
  return out


ARCH_GOLDEN = {
  "ms2020": ("tiny-ms2020.aec", "tiny_ms2020_40x56.ae"),
  "he2021": ("tiny-he2021.aec", "tiny_he2021_40x56.ae"),
}


def _arch_golden() -> dict:
  """Golden files of tiny untrained codecs of the architectures in ARCH_GOLDEN: the codec
  file is made once (then kept: its bytes are the reference), the .ae file and the
  decoded pixels' hash every run."""
  import skimage.data  # pylint: disable=g-import-not-at-top

  from ae.codec import api, export, registry  # pylint: disable=g-import-not-at-top
  from experiments.configs import hyperprior  # pylint: disable=g-import-not-at-top

  os.makedirs(os.path.join(GOLDEN, "codecs"), exist_ok=True)
  out = {}
  for name, (codec_file, fname) in ARCH_GOLDEN.items():
    path = os.path.join(GOLDEN, "codecs", codec_file)
    if not os.path.exists(path):
      config = hyperprior.get_config()
      config.model.name, config.model.n, config.model.m = name, 8, 12
      config.model.slices = 3
      export.write_once(path, export.export_untrained(config, (32, 32, 3)))
    codec = registry.load(path)
    data = api.encode(skimage.data.astronaut()[100:140, 200:256], codec)
    with open(os.path.join(GOLDEN, fname), "wb") as f:
      f.write(data)
    out[fname] = {"codec_file": codec_file, "pixels_sha256": pixel_hash(api.decode(data, codec))}
    print(fname, out[fname])
  return out


def pixel_hash(image: np.ndarray) -> str:
  return hashlib.sha256(np.ascontiguousarray(image, np.uint8).tobytes()).hexdigest()


def main(argv):
  del argv
  from ae.codec import api, lossless, registry  # pylint: disable=g-import-not-at-top

  os.makedirs(GOLDEN, exist_ok=True)
  manifest = {}
  for fname, codec_name, image in cases():
    codec = registry.get(codec_name)
    data = lossless.encode_images(image, codec) if codec.lossless else api.encode(image, codec)
    with open(os.path.join(GOLDEN, fname), "wb") as f:
      f.write(data)
    decoded = api.decode_batch(data)
    decoded = decoded[0] if len(decoded) == 1 and not codec.lossless else decoded
    if codec.lossless and not np.array_equal(decoded, image):
      raise AssertionError(f"{fname}: the lossless batch did not decode to its images")
    manifest[fname] = {
      "codec": codec_name,
      "codec_sha256": codec.sha256,
      "shape": list(decoded.shape),
      "pixels_sha256": pixel_hash(decoded),
      "bytes": len(data),
    }
    print(fname, manifest[fname])
  with open(os.path.join(GOLDEN, "golden.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
  arch_manifest = _arch_golden()
  with open(os.path.join(GOLDEN, "codecs", "golden.json"), "w") as f:
    json.dump(arch_manifest, f, indent=1, sort_keys=True)
    f.write("\n")


if __name__ == "__main__":
  app.run(main)
