import os

import jax
import ml_collections
import numpy as np
import pytest
from PIL import Image

from ae.data import pipeline
from ae.data.sources import load_split
from ae.utils.errors import DatasetNotFoundError


def _cfg(**kw):
  base = dict(
    name="fashion_mnist",
    data_dir="",
    manual_dir="",
    download=False,
    image_size=(),
    test_percent=10,
    channels=0,
  )
  base.update(kw)
  return ml_collections.ConfigDict(base)


def _sorted_rows(images):
  flat = images.reshape(images.shape[0], -1)
  return flat[np.lexsort(flat.T[::-1])]


def test_offline_fashion_mnist_through_tfds(fake_fashion):
  manual_dir, data_dir, arrays = fake_fashion
  for split in ("train", "test"):
    got = load_split(_cfg(manual_dir=manual_dir, data_dir=data_dir), split)
    images, labels = arrays[split]
    assert got.images.shape == (len(images), 28, 28, 1) and got.images.dtype == np.uint8
    # TFDS stores examples in a key-hash order; the content is the same set.
    np.testing.assert_array_equal(_sorted_rows(got.images), _sorted_rows(images[..., None]))
    assert sorted(got.labels.tolist()) == sorted(labels.tolist())
  assert os.path.isdir(os.path.join(data_dir, "ae_fashion_mnist", "1.0.0"))


def test_order_is_deterministic(fake_fashion):
  manual_dir, data_dir, _ = fake_fashion
  a = load_split(_cfg(manual_dir=manual_dir, data_dir=data_dir), "train")
  b = load_split(_cfg(manual_dir=manual_dir, data_dir=data_dir), "train")
  np.testing.assert_array_equal(a.images, b.images)


def test_missing_fashion_mnist_says_how_to_get_it(tmp_path):
  with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
    load_split(_cfg(manual_dir=str(tmp_path / "none"), data_dir=str(tmp_path / "d")), "train")


def test_unknown_dataset_is_one_clear_error(tmp_path):
  with pytest.raises(DatasetNotFoundError, match="'no_such_dataset_xyz'"):
    load_split(_cfg(name="no_such_dataset_xyz", data_dir=str(tmp_path)), "train")


def test_folder_of_images(tmp_path):
  rng = np.random.default_rng(0)
  for i in range(30):
    Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8)).save(
      tmp_path / f"im{i:02d}.png"
    )
  cfg = _cfg(name=f"folder:{tmp_path}", test_percent=30)
  train, test = load_split(cfg, "train"), load_split(cfg, "test")
  assert len(train) + len(test) == 30 and len(test) > 0
  assert train.images.shape[1:] == (12, 10, 3)
  rows = {r.tobytes() for r in train.images} & {r.tobytes() for r in test.images}
  assert not rows  # disjoint
  resized = load_split(_cfg(name=f"folder:{tmp_path}", image_size=(6, 6), channels=1), "train")
  assert resized.images.shape[1:] == (6, 6, 1)


def test_folder_missing_is_clear(tmp_path):
  with pytest.raises(DatasetNotFoundError, match="does not exist"):
    load_split(_cfg(name=f"folder:{tmp_path}/nope"), "train")


def test_batch_schedule_is_addressable_by_step():
  sched = pipeline.BatchSchedule(num_examples=50, batch_size=8, data_key=jax.random.PRNGKey(3))
  assert sched.steps_per_epoch == 6
  whole = sched.indices(0, 15)
  np.testing.assert_array_equal(np.concatenate([sched.indices(0, 7), sched.indices(7, 8)]), whole)
  epoch0 = whole[:6].ravel()
  assert len(set(epoch0.tolist())) == 48  # no repeats within an epoch
  assert not np.array_equal(whole[:6], whole[6:12])  # a new order each epoch
  again = pipeline.BatchSchedule(50, 8, jax.random.PRNGKey(3)).indices(0, 15)
  np.testing.assert_array_equal(again, whole)


def test_local_slice_partitions_the_global_batch():
  idx = np.arange(24).reshape(3, 8)
  parts = [pipeline.local_slice(idx, p, 4) for p in range(4)]
  np.testing.assert_array_equal(np.concatenate(parts, axis=-1), idx)


def test_tfds_images_of_different_sizes_load_as_a_list(tmp_path):
  import ml_collections  # pylint: disable=g-import-not-at-top
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

  from ae.data.sources import load_image_list  # pylint: disable=g-import-not-at-top

  class AeTestVarSizes(tfds.core.GeneratorBasedBuilder):
    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
      return tfds.core.DatasetInfo(
        builder=self,
        features=tfds.features.FeaturesDict(
          {"image": tfds.features.Tensor(shape=(None, None, 3), dtype=np.uint8, encoding="zlib")}
        ),
      )

    def _split_generators(self, dl_manager):
      return {"test": self._generate_examples()}

    def _generate_examples(self):
      for i in range(3):
        yield str(i), {"image": np.full((5 + i, 7, 3), i, np.uint8)}

  AeTestVarSizes(data_dir=str(tmp_path), file_format="array_record").download_and_prepare()
  data = ml_collections.ConfigDict(
    {"name": "ae_test_var_sizes", "data_dir": str(tmp_path), "download": False}
  )
  images = load_image_list(data, "test")
  assert sorted(im.shape for im in images) == [(5, 7, 3), (6, 7, 3), (7, 7, 3)]
  assert all(im.dtype == np.uint8 and np.all(im == im[0, 0, 0]) for im in images)
