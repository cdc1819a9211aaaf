"""The library's own default data config (what `config.data` holds), for entrypoints and
evaluations that name a data set without an experiment config."""

from __future__ import annotations

import ml_collections


def data_config(name: str = "fashion_mnist") -> ml_collections.ConfigDict:
  """`config.data` for the data set `name` (a TFDS name, `photos`, `folder:PATH`)."""
  data = ml_collections.ConfigDict()
  data.name = name  # a TFDS name, "photos", or "folder:PATH"
  data.data_dir = ""  # TFDS data dir ("" = TFDS default, $TFDS_DATA_DIR)
  data.manual_dir = ""  # IDX files for offline fashion_mnist ("" = Debian's)
  data.download = True  # let TFDS download datasets it has not prepared
  data.train_split = "train"
  data.eval_split = "test"
  data.image_size = ()  # (H, W) to resize folder images to
  data.test_percent = 10  # share of a flat folder held out as "test"
  data.channels = 0  # folder images: 1 gray, 3 RGB, 0 auto
  data.num_workers = 0  # Grain worker processes reading training batches (0: in-process)
  data.cache_mb = 0  # hold a training split up to this many MiB (0: 1024; < 0: stream)
  return data
