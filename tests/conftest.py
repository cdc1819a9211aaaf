"""Test setup: 4 fake CPU devices (set before JAX is imported) and tiny fake data.

XLA compiles the tests' tiny programs without LLVM optimization (level 0): compiling
dominates their run time, and level 0 compiles a codec's train step ten times faster
(15.8 s -> 1.7 s for the hyperprior's init). Results stay what the tests assert:
determinism is compared within one setting, and the integer decoder runs in numpy.
"""

import gzip
import os

os.environ["XLA_FLAGS"] = (
  os.environ.get("XLA_FLAGS", "")
  + " --xla_force_host_platform_device_count=4 --xla_backend_optimization_level=0"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ae.data.idx import encode_idx  # noqa: E402
from experiments.configs import seed  # noqa: E402

NUM_TRAIN, NUM_TEST = 96, 24


@pytest.fixture(scope="session", autouse=True)
def decoded_cache(tmp_path_factory):
  """The decoded-split cache (ae.data.decoded) of this session, not the user's; processes
  the tests start inherit it."""
  folder = str(tmp_path_factory.mktemp("decoded_cache"))
  previous = os.environ.get("AE_DECODED_CACHE")
  os.environ["AE_DECODED_CACHE"] = folder
  yield folder
  if previous is None:
    del os.environ["AE_DECODED_CACHE"]
  else:
    os.environ["AE_DECODED_CACHE"] = previous


def fake_images(n: int, seed_: int) -> tuple[np.ndarray, np.ndarray]:
  """Structured 28x28 uint8 images (a few smooth prototypes plus noise) and labels."""
  rng = np.random.default_rng(seed_)
  yy, xx = np.mgrid[0:28, 0:28] / 27.0
  protos = np.stack([np.sin(np.pi * (k + 1) * xx) * np.cos(np.pi * k * yy) for k in range(10)])
  labels = rng.integers(0, 10, n)
  imgs = 0.5 + 0.4 * protos[labels] + 0.05 * rng.standard_normal((n, 28, 28))
  return np.clip(imgs * 255, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def write_fake_fashion(folder: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """Writes the four IDX .gz files of a tiny Fashion-MNIST look-alike."""
  os.makedirs(folder, exist_ok=True)
  data = {"train": fake_images(NUM_TRAIN, 1), "test": fake_images(NUM_TEST, 2)}
  names = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
  }
  for split, (images, labels) in data.items():
    for name, arr in zip(names[split], (images, labels)):
      with gzip.open(os.path.join(folder, name), "wb") as f:
        f.write(encode_idx(arr))
  return data


@pytest.fixture(scope="session")
def fake_fashion(tmp_path_factory):
  """(manual_dir, data_dir, arrays) of a tiny fake Fashion-MNIST, shared by the session."""
  root = tmp_path_factory.mktemp("fake_fashion")
  arrays = write_fake_fashion(str(root / "idx"))
  return str(root / "idx"), str(root / "tfds"), arrays


def make_test_config(fake, **overrides) -> ml_collections.ConfigDict:
  """The seed config shrunk to a tiny model on the fake data; `a__b=v` sets config.a.b."""
  manual_dir, data_dir, _ = fake
  config = seed.get_config()
  config.data.manual_dir, config.data.data_dir, config.data.download = manual_dir, data_dir, False
  config.model.code_size = 8
  config.train.batch_size = 8
  config.train.num_steps = 8
  config.train.steps_per_call = 2
  config.train.log_every_steps = 2
  config.train.eval_every_steps = 4
  config.train.checkpoint_every_steps = 4
  config.eval_batch_size = 16
  config.num_figure_images = 4
  config.tensorboard = False
  config.progress = False
  return set_fields(config, **overrides)


def set_fields(config, **fields):
  """Sets config fields named with "__" for dots (`train__num_steps=4`); returns config."""
  for key, value in fields.items():
    node = config
    *parents, leaf = key.split("__")
    for p in parents:
      node = node[p]
    node[leaf] = value
  return config


def export_untrained_codec(
  name: str,
  shape: tuple[int, int, int],
  path: str,
  seed_: int = 0,
  widths: tuple[int, int] = (8, 12),
) -> str:
  """Exports a codec with freshly initialized parameters (valid, untrained) to `path`."""
  from ae.codec import export  # pylint: disable=g-import-not-at-top
  from experiments.configs import dense_codec, hyperprior  # pylint: disable=g-import-not-at-top

  config = (dense_codec if name == "dense_codec" else hyperprior).get_config()
  config.model.name = name
  if name == "dense_codec":
    config.model.hidden_sizes, config.model.latent_size = (32,), 8
  else:
    config.model.n, config.model.m = widths
  export.write_once(path, export.export_untrained(config, shape, seed_))
  return path


TINY_CODECS = {
  "dense_codec": (28, 28, 1),
  "bls2017": (32, 32, 3),
  "bmshj2018": (32, 32, 3),
  "mbt2018_mean": (32, 32, 3),
  "ms2020": (32, 32, 3),
  "he2021": (32, 32, 3),
}


@pytest.fixture(scope="session")
def tiny_codecs(tmp_path_factory):
  """A folder with one untrained tiny codec per model, named after the model."""
  folder = tmp_path_factory.mktemp("codecs")
  for name, shape in TINY_CODECS.items():
    export_untrained_codec(name, shape, str(folder / f"{name}.aec"))
  return str(folder)


# Tests that train models, build codecs or run whole jobs: `pytest -m "not slow"` leaves
# them out for a fast inner loop (CI runs everything).
SLOW_MODULES = {
  "test_codecs",
  "test_mixed_quantization",
  "test_multiprocess",
  "test_refine",
  "test_study",
  "test_entrypoint",
  "test_family",
  "test_codec_files",
  "test_fuzz",
  "test_robustness",
  "test_layers",
  "test_compression",
  "test_denoise",
  "test_ffdnet",
  "test_opponent",
  "test_train",
}
SLOW_FIXTURES = {
  "tiny_codecs",
  "fake_fashion",
  "tiny_denoiser",
  "tiny_ffdnet",
  "hostile",
  "codec_dir",
}


def pytest_collection_modifyitems(config, items):
  del config
  for item in items:
    module = item.module.__name__.rsplit(".", 1)[-1]
    if (
      module in SLOW_MODULES
      or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
      or item.get_closest_marker("slow")
    ):
      item.add_marker(pytest.mark.slow)
