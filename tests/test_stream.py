"""The Grain input pipeline (`ae.data.stream`): batches a pure function of (seed, step),
the same in worker processes, sharded by process, resumable, memory bounded."""

import json
import os
import subprocess
import sys

import jax
import ml_collections
import numpy as np
import pytest

from ae.data import crops, pipeline, stream
from ae.data.records import RecordImages
from ae.data.sources import _tfds_source, train_source
from ae.utils.errors import ConfigError

KEY = jax.random.PRNGKey(7)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _batches(source, batch, first, last, num_workers=0, process=0, processes=1):
  ds = stream.dataset(source, batch, first, last, process, processes)
  return stream.batches(ds, num_workers)


def _images(n=50):
  return np.random.default_rng(0).integers(0, 256, (n, 4, 5, 1), dtype=np.uint8)


def _source(n=50, batch=8):
  return stream.ShuffledImages(stream.InMemory(_images(n)), (4, 5, 1), batch, KEY)


def test_batches_are_the_schedules_examples():
  images, sched = _images(), pipeline.BatchSchedule(50, 8, KEY)
  got = stream.take(_batches(_source(), 8, 0, 15), 15)
  np.testing.assert_array_equal(got, images[sched.indices(0, 15)])


def test_a_later_start_continues_the_same_sequence():
  whole = stream.take(_batches(_source(), 8, 0, 12), 12)
  np.testing.assert_array_equal(stream.take(_batches(_source(), 8, 5, 12), 7), whole[5:])


def test_each_process_reads_its_columns_of_every_global_batch():
  whole = stream.take(_batches(_source(), 8, 0, 6), 6)
  parts = [stream.take(_batches(_source(), 8, 0, 6, 0, p, 2), 6) for p in range(2)]
  np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


def _photos():
  rng = np.random.default_rng(1)
  return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in ((40, 50), (70, 33))]


def test_crops_are_a_pure_function_of_seed_step_and_position():
  src = crops.RandomCrops(_photos, 16, 64, seed=3, rotate=True)
  a = src.batch(4, np.arange(8))
  assert a.shape == (8, 16, 16, 3) and a.dtype == np.uint8
  np.testing.assert_array_equal(a[2:5], src.batch(4, np.arange(2, 5)))
  assert not np.array_equal(a, src.batch(5, np.arange(8)))
  other = crops.RandomCrops(_photos, 16, 64, seed=4, rotate=True)
  assert not np.array_equal(a, other.batch(4, np.arange(8)))
  gray = crops.RandomCrops(_photos, 16, 64, seed=3, rotate=True, gray=True)
  assert gray.batch(4, np.arange(8)).shape == (8, 16, 16, 1)


def test_a_chroma_share_swaps_luma_crops_for_opponent_chroma_at_the_same_positions():
  from ae.data.photos import to_gray, to_opponent  # pylint: disable=g-import-not-at-top

  rgb = crops.RandomCrops(_photos, 16, 64, seed=3).batch(2, np.arange(64))
  mixed = crops.RandomCrops(_photos, 16, 64, seed=3, gray=True, chroma=0.5).batch(2, np.arange(64))
  luma, opp = to_gray(rgb), to_opponent(rgb)
  kinds = [
    [
      k
      for k, c in ((0, luma[j]), (1, opp[j, ..., 1:2]), (2, opp[j, ..., 2:3]))
      if np.array_equal(c, mixed[j])
    ]
    for j in range(64)
  ]
  assert all(kinds)  # each crop is the luma or one chroma channel of the RGB crop there
  counts = np.bincount([k[0] for k in kinds], minlength=3)
  assert counts[0] > 16 and counts[1] > 8 and counts[2] > 8, counts
  no_share = crops.RandomCrops(_photos, 16, 64, seed=3, gray=True).batch(2, np.arange(64))
  np.testing.assert_array_equal(no_share, luma)
  with pytest.raises(ConfigError, match="data.chroma=0.5"):
    crops.RandomCrops(_photos, 16, 64, seed=3, chroma=0.5)


def _half_flat_photos():
  rng = np.random.default_rng(2)
  flat = np.full((40, 40, 3), 128, np.uint8)
  return [flat, rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)]


def test_candidates_keep_the_most_detailed_crop_and_one_candidate_changes_nothing():
  assert crops.detail(np.full((8, 8, 3), 9, np.uint8)) == 0.0
  assert crops.detail(np.tile(np.array([0, 255], np.uint8), (8, 4))[..., None]) == 255.0
  photos = _photos()
  weights = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
  weights /= weights.sum()
  one = crops.RandomCrops(_photos, 16, 64, seed=3, rotate=True, candidates=1).batch(4, np.arange(8))
  for j in range(8):  # one candidate: exactly the single draw, same random stream
    rng = np.random.default_rng([3, 4, j])
    np.testing.assert_array_equal(one[j], crops.draw_crop(photos, weights, 16, True, rng))
  flat_share = [
    np.mean(
      [
        crops.detail(c) == 0
        for c in crops.RandomCrops(_half_flat_photos, 16, 64, 3, candidates=k).batch(
          0, np.arange(200)
        )
      ]
    )
    for k in (1, 3)
  ]
  # Half the area is flat: about half the single draws are flat, about 1/8 of the best of 3.
  assert 0.35 < flat_share[0] < 0.65 and flat_share[1] < 0.22, flat_share
  for bad in (0, 1.5, True):
    with pytest.raises(ConfigError, match="data.candidates"):
      crops.RandomCrops(_photos, 16, 64, seed=3, candidates=bad)


@pytest.mark.slow
def test_worker_processes_give_the_same_batches():
  src = crops.RandomCrops(_photos, 16, 64, seed=3)
  inline = stream.take(_batches(src, 8, 2, 8), 6)
  np.testing.assert_array_equal(stream.take(_batches(src, 8, 2, 8, num_workers=2), 6), inline)
  whole = stream.take(_batches(_source(), 8, 0, 9), 9)
  np.testing.assert_array_equal(stream.take(_batches(_source(), 8, 0, 9, 1), 9), whole)


def _cfg(fake, **kw):
  manual_dir, data_dir, _ = fake
  return ml_collections.ConfigDict(
    dict(
      name="fashion_mnist",
      data_dir=data_dir,
      manual_dir=manual_dir,
      download=False,
      train_split="train",
      **kw,
    )
  )


def test_records_decode_as_tfds_does_and_stream_as_held(fake_fashion):
  source = _tfds_source(_cfg(fake_fashion), "train", "fashion_mnist")
  idx = np.random.default_rng(0).permutation(len(source))[:40]
  ex = source.__getitems__(idx.tolist())
  reader = RecordImages(source)
  np.testing.assert_array_equal(reader.read(idx), np.stack([e["image"] for e in ex]))
  np.testing.assert_array_equal(reader.labels(idx), [e["label"] for e in ex])
  held = train_source(_cfg(fake_fashion), 8, KEY)
  streamed = train_source(_cfg(fake_fashion, cache_mb=-1), 8, KEY)
  assert isinstance(held.images, stream.InMemory) and isinstance(streamed.images, RecordImages)
  np.testing.assert_array_equal(
    stream.take(_batches(streamed, 8, 0, 20), 20),
    stream.take(_batches(held, 8, 0, 20), 20),
  )


_CHILD = """
import resource, sys, json
import jax, ml_collections
from ae.data import stream
from ae.data.sources import train_source
cfg = ml_collections.ConfigDict(dict(name=sys.argv[1], data_dir=sys.argv[2], download=False,
                                     train_split="train", cache_mb=int(sys.argv[3])))
src = train_source(cfg, 32, jax.random.PRNGKey(0))
for batch in stream.batches(stream.dataset(src, 32, 0, 60)):
  assert batch.shape == (32, 128, 128, 3)
now = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() // 1024
# VmHWM: this process's own peak (ru_maxrss would carry the forking parent's, e.g. pytest's)
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps([peak, now]))
"""


def _rss_kib(name: str, data_dir: str, cache_mb: int) -> list[int]:
  """[peak, final] resident memory (KiB) of a process that iterates 60 batches."""
  out = subprocess.run(
    [sys.executable, "-c", _CHILD, name, data_dir, str(cache_mb)],
    capture_output=True,
    text=True,
    check=True,
    cwd=ROOT,
  )
  return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_memory_stays_bounded_on_a_data_set_four_times_larger(tmp_path):
  """Peak and final RSS of 60 batches streamed from 750 vs 3,000 synthetic 128x128x3
  records (37 vs 147 MB of pixels): within 10%; holding the sets in memory (the
  control) is not."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

  class AeSyntheticRecords(tfds.core.GeneratorBasedBuilder):
    VERSION = tfds.core.Version("1.0.0")
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name="small"), tfds.core.BuilderConfig(name="large")]

    def _info(self):
      image = tfds.features.Tensor(shape=(128, 128, 3), dtype=np.uint8, encoding="bytes")
      return tfds.core.DatasetInfo(
        builder=self, features=tfds.features.FeaturesDict({"image": image})
      )

    def _split_generators(self, dl_manager):
      return {
        "train": self._generate_examples(750 if self.builder_config.name == "small" else 3000)
      }

    def _generate_examples(self, n):
      rng = np.random.default_rng(0)
      for i in range(n):
        yield i, {"image": rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)}

  for name in ("small", "large"):
    AeSyntheticRecords(
      config=name, data_dir=str(tmp_path), file_format="array_record"
    ).download_and_prepare()
  rss = {
    (n, mb): _rss_kib(f"ae_synthetic_records/{n}", str(tmp_path), mb)
    for n in ("small", "large")
    for mb in (-1, 0)
  }
  for i in (0, 1):  # peak, final
    assert rss["large", -1][i] < 1.1 * rss["small", -1][i], rss
  assert rss["large", 0][0] > 1.1 * rss["small", 0][0], rss  # the control: held in memory
