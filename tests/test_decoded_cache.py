"""The decoded copy of a split read whole: the same arrays, read once, renewed with the data."""

import os

import numpy as np
import pytest

from ae.data import decoded, records, sources
from tests.conftest import make_test_config


@pytest.fixture
def cache(tmp_path, monkeypatch):
  folder = tmp_path / "decoded"
  monkeypatch.setenv("AE_DECODED_CACHE", str(folder))
  return folder


def _counting_reads(monkeypatch) -> list[int]:
  calls = []
  read = records.RecordImages.read

  def counted(self, indices):
    calls.append(len(indices))
    return read(self, indices)

  monkeypatch.setattr(records.RecordImages, "read", counted)
  return calls


def test_a_split_is_parsed_once_and_loaded_the_same_after(fake_fashion, cache, monkeypatch):
  config = make_test_config(fake_fashion).data
  _, _, arrays = fake_fashion
  calls = _counting_reads(monkeypatch)
  first = sources.load_split(config, "test")
  assert calls and len(os.listdir(cache)) == 1
  calls.clear()
  again = sources.load_split(config, "test")
  assert not calls  # from the cache: no record parsed
  np.testing.assert_array_equal(again.images, first.images)
  np.testing.assert_array_equal(again.labels, first.labels)
  assert len(again.images) == len(arrays["test"][0])
  assert again.images.dtype == np.uint8 and again.labels.dtype == np.int32


def test_each_split_has_its_key_and_new_files_give_a_new_key(fake_fashion, cache, tmp_path):
  config = make_test_config(fake_fashion).data
  sources.load_split(config, "test")
  sources.load_split(config, "train")
  assert len(os.listdir(cache)) == 2
  data_dir = tmp_path / "data"
  data_dir.mkdir()
  (data_dir / "shard").write_bytes(b"1")
  key = decoded.split_key(str(data_dir), "train")
  assert decoded.split_key(str(data_dir), "test") != key
  (data_dir / "shard").write_bytes(b"12")  # the data set prepared anew
  assert decoded.split_key(str(data_dir), "train") != key


def test_the_cache_can_be_turned_off_or_unwritable_without_failing(
  fake_fashion, tmp_path, monkeypatch
):
  config = make_test_config(fake_fashion).data
  monkeypatch.setenv("AE_DECODED_CACHE", "")
  assert decoded.cache_root() is None
  calls = _counting_reads(monkeypatch)
  sources.load_split(config, "test")
  sources.load_split(config, "test")
  assert len(calls) == 2  # parsed each time
  blocker = tmp_path / "a_file"
  blocker.write_bytes(b"")
  monkeypatch.setenv("AE_DECODED_CACHE", str(blocker / "decoded"))  # cannot be a folder
  images = sources.load_split(config, "test").images
  assert len(images) == len(fake_fashion[2]["test"][0]) and blocker.read_bytes() == b""


def test_a_damaged_cached_copy_is_a_miss_and_is_replaced(fake_fashion, cache, monkeypatch):
  config = make_test_config(fake_fashion).data
  first = sources.load_split(config, "test")
  (name,) = os.listdir(cache)
  (cache / name).write_bytes(b"")  # e.g. a crash before the data hit disk
  calls = _counting_reads(monkeypatch)
  again = sources.load_split(config, "test")
  assert calls  # parsed again, not an error
  np.testing.assert_array_equal(again.images, first.images)
  calls.clear()
  np.testing.assert_array_equal(sources.load_split(config, "test").images, first.images)
  assert not calls  # the damaged copy was replaced


def test_a_split_larger_than_the_memory_limit_is_not_cached(fake_fashion, cache):
  config = make_test_config(fake_fashion).data
  config.cache_mb = -1  # stream, never hold: nothing to cache either
  sources.load_split(config, "test")
  assert not os.path.isdir(cache) or not os.listdir(cache)
  source = sources._tfds_source(config, "test", "fashion_mnist")  # pylint: disable=protected-access
  images, _ = decoded.read_all(source, "test", max_bytes=100)  # 24 images of 784 bytes
  assert len(images) and (not os.path.isdir(cache) or not os.listdir(cache))
  decoded.read_all(source, "test", max_bytes=images.nbytes)
  assert len(os.listdir(cache)) == 1
