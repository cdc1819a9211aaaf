"""Fashion-MNIST as a TFDS dataset built from local IDX files, without TensorFlow.

Xiao, Rasul and Vollgraf 2017, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms". 60,000 train and 10,000 test images,
28x28 grayscale uint8 in [0, 255], 10 classes.

TFDS's own `fashion_mnist` builder downloads the files and stores PNG-encoded
`Image` features. This builder reads the same original IDX files from a local
folder (Debian's `dataset-fashion-mnist` installs them under
/usr/share/datasets/fashion-mnist) and stores `Tensor` features in array_record
files, which `tfds.data_source` reads with numpy alone.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow_datasets as tfds

from ae.data.idx import read_idx

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
  "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
  "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
CLASS_NAMES = (
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
)
HOW_TO_GET = (
  "install Debian's package with `apt-get install dataset-fashion-mnist`, "
  "or put the four original IDX .gz files in a folder and set "
  "--config.data.manual_dir=FOLDER"
)


def missing_files(folder: str) -> list[str]:
  """Names of the IDX files absent from `folder`."""
  names = [n for pair in FILES.values() for n in pair]
  return [n for n in names if not os.path.isfile(os.path.join(folder, n))]


class AeFashionMnist(tfds.core.GeneratorBasedBuilder):
  """Fashion-MNIST from local IDX files, stored as uint8 Tensor features."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Original IDX files, Tensor features, array_record."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = HOW_TO_GET

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
      builder=self,
      description="Fashion-MNIST (Xiao et al. 2017) from the original IDX files.",
      features=tfds.features.FeaturesDict(
        {
          "image": tfds.features.Tensor(shape=(28, 28, 1), dtype=np.uint8),
          "label": tfds.features.ClassLabel(names=CLASS_NAMES),
        }
      ),
      supervised_keys=("image", "label"),
      homepage="https://github.com/zalandoresearch/fashion-mnist",
    )

  def _split_generators(self, dl_manager):
    folder = os.fspath(dl_manager.manual_dir)
    return {split: self._generate_examples(folder, *names) for split, names in FILES.items()}

  def _generate_examples(self, folder: str, images_file: str, labels_file: str):
    images = read_idx(os.path.join(folder, images_file))
    labels = read_idx(os.path.join(folder, labels_file))
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
      raise ValueError(
        f"inconsistent IDX files in {folder}: images {images.shape}, labels {labels.shape}"
      )
    for i in range(images.shape[0]):
      # Zero-padded keys: TFDS orders examples by a hash of the key, the same on
      # every machine, so the stored order is deterministic.
      yield f"{i:06d}", {"image": images[i, :, :, None], "label": int(labels[i])}
