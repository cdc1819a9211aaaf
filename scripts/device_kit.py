r"""Packs what a lent GPU machine needs to train ae's photo models, and makes it travel.

The device tool copies the working tree (tracked files, untracked files git does not
ignore, and the ignored paths named in `carry`) to the GPU machine, at most 64 MiB in
all. That machine has jax, flax, optax, orbax, chex, numpy, Pillow, scikit-image and
scikit-learn, and nothing from Debian; it has no network. So:

  python scripts/device_kit.py build   # .kit/: wheels of ae's other needs, training photos
  python scripts/device_kit.py slim [--job=codecs]   # moves other model files aside
  # device run: carry [".kit"], command `python3 scripts/device_train.py [--job=codecs]`
  python scripts/device_kit.py unslim  # puts them back (do it before any commit)

`build` writes `.kit/wheels/` (pip download, Python 3.12 manylinux x86-64 by default,
each package at the version installed here: KIT_PACKAGES) and `.kit/root/`, the
training photos that come from Debian packages (`ae.data.photos.manifest()`, train
split), at their absolute paths under it. `slim` is needed because the shipped model
files alone fill the transfer limit: it moves the model files into `.kit-stash/`, all
but those the job starts from (JOB_MODELS), and exits non-zero when what would travel
is still over the limit. Every action prints what would travel. Both folders are
git-ignored.
"""

from __future__ import annotations

import argparse
import filecmp
import glob
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

KIT, STASH = ".kit", ".kit-stash"
LIMIT_BYTES = 64 << 20  # the device tool's limit on what travels
# ae's dependencies (and theirs) that the GPU image lacks (/work/.library/device/KINDS.md).
KIT_PACKAGES = (
  "ml_collections",
  "grain",
  "array_record",
  "dm-tree",
  "tensorflow-datasets",
  "tensorflow-metadata",
  "promise",
  "immutabledict",
  "simple_parsing",
  "docstring_parser",
  "termcolor",
  "toml",
  "importlib_resources",
  "tensorboardX",
  "portpicker",
  "googleapis-common-protos",
  "constriction",
)
SDIST_ONLY = ("promise",)  # published as source only
MODEL_GLOBS = (
  "ae/store/codecs/*.aec",
  "ae/store/denoisers/*.aed",
  "experiments/models/*.aec",
  "experiments/models/*.aed",
)
# The model files each job of scripts/device_train.py starts from: `slim` keeps these.
JOB_MODELS = {
  "denoisers": ("photo-unet-gray", "photo-unet-rgb"),
  # (two: every photo codec is an M=192 file of 8.2 MB, and a third would not fit beside the kit)
  "codecs": tuple(f"photo-mbt-q{q}" for q in (1, 9)),
}
PLATFORMS = ("manylinux_2_17_x86_64", "manylinux_2_24_x86_64", "manylinux_2_27_x86_64",
             "manylinux_2_28_x86_64", "manylinux_2_31_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64", "any")  # fmt: skip


def pinned(name: str) -> str:
  """`name==VERSION` at the version installed here (so the device runs what was tested)."""
  return f"{name}=={importlib.metadata.version(name)}"


def download_wheels(folder: str, python_version: str) -> None:
  """Wheels of KIT_PACKAGES for CPython `python_version` on x86-64 Linux into `folder`;
  a package published only as source (promise) is built into a pure-Python wheel."""
  os.makedirs(folder, exist_ok=True)
  plat = [a for p in PLATFORMS for a in ("--platform", p)]
  base = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
  base += ["--python-version", python_version, "--implementation", "cp", *plat, "-d", folder]
  for name in KIT_PACKAGES:
    if name in SDIST_ONLY:  # pure Python: a wheel built here installs anywhere
      wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", folder]
      subprocess.run([*wheel, pinned(name)], check=True)
    else:
      subprocess.run([*base, pinned(name)], check=True)


def debian_photos() -> list[str]:
  """Absolute paths of the training photos that Debian packages ship (the GPU machine
  has scikit-image's and scikit-learn's own)."""
  from ae.data import photos  # pylint: disable=g-import-not-at-top

  return [e.path for e in photos.manifest() if e.split == "train" and e.path.startswith("/usr/")]


def copy_photos(paths: list[str], root: str) -> None:
  for p in paths:
    dest = os.path.join(root, p.lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(p, dest)


def tree_bytes(repo: str) -> int:
  """Bytes of what the device tool sends without `carry`: tracked files present in the
  working tree and untracked files that git does not ignore."""
  out = subprocess.run(
    ["git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    capture_output=True,
    check=True,
  ).stdout.decode()
  files = {os.path.join(repo, f) for f in out.split("\0") if f}
  return sum(os.path.getsize(f) for f in files if os.path.isfile(f))


def folder_bytes(folder: str) -> int:
  return sum(
    os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs
  )  # fmt: skip


class StashClash(Exception):
  """A stashed file and the file now in its place differ."""


def slim(repo: str, keep: tuple[str, ...]) -> list[str]:
  """Moves the model files of MODEL_GLOBS into STASH (same relative paths), except those
  whose name without suffix is in `keep`, after putting back what an earlier `slim`
  moved; returns the moved ones."""
  unslim(repo)
  moved = []
  for pattern in MODEL_GLOBS:
    for f in sorted(glob.glob(os.path.join(repo, pattern))):
      rel = os.path.relpath(f, repo)
      if os.path.splitext(os.path.basename(f))[0] in keep:
        continue
      dest = os.path.join(repo, STASH, rel)
      os.makedirs(os.path.dirname(dest), exist_ok=True)
      os.replace(f, dest)
      moved.append(rel)
  return moved


def unslim(repo: str) -> list[str]:
  """Moves every stashed file back to its place; returns them. A place that holds a
  different file now is left alone, and so is the stashed copy: UserError naming them."""
  stash, moved, clashes = os.path.join(repo, STASH), [], []
  for d, _, fs in os.walk(stash):
    for f in fs:
      rel = os.path.relpath(os.path.join(d, f), stash)
      src, dest = os.path.join(d, f), os.path.join(repo, rel)
      if os.path.exists(dest) and not filecmp.cmp(src, dest, shallow=False):
        clashes.append(rel)
        continue
      os.makedirs(os.path.dirname(dest), exist_ok=True)
      os.replace(src, dest)
      moved.append(rel)
  if clashes:
    raise StashClash(
      f"{len(clashes)} stashed files differ from the files now in their place, e.g. "
      f"{clashes[0]}: compare them, delete the one not wanted, and run unslim again"
    )
  shutil.rmtree(stash, ignore_errors=True)
  return moved


# The device side: run there by scripts/device_train.py (standard library only).
SITE = "/tmp/ae-site"
NEEDED = ("ml_collections", "grain", "tensorflow_datasets", "array_record", "tensorboardX")
_site_active = False  # whether this run installed the kit into SITE (then it goes on the path)


def env_with_kit(mem_fraction: float, platform: str = "") -> dict:
  """The environment of a child: the checkout (and the kit, once installed) on the path,
  a share of the GPU's memory, JAX held to `platform` when given."""
  env = dict(os.environ, XLA_PYTHON_CLIENT_MEM_FRACTION=f"{mem_fraction:.2f}")
  if platform:
    env["JAX_PLATFORMS"] = platform
  path = [SITE] if _site_active else []
  env["PYTHONPATH"] = os.pathsep.join([*path, ROOT, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
  return env


def install_kit(kit: str) -> str:
  """Installs the kit's wheels into SITE unless everything they bring imports already."""
  global _site_active
  probe = "import " + ", ".join(NEEDED)
  if subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0:
    return "ae's dependencies import already; kit wheels not installed"
  wheels = sorted(os.path.join(kit, "wheels", f) for f in os.listdir(os.path.join(kit, "wheels")))
  cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile"]
  subprocess.run([*cmd, "--no-cache-dir", "--upgrade", "--target", SITE, *wheels], check=True)
  _site_active = True
  return f"installed {len(wheels)} wheels into {SITE}"


def place_photos(kit: str) -> int:
  """Copies the kit's photos (kit/root/usr/...) to their absolute paths where missing
  (the device tool runs commands as root)."""
  root, placed = os.path.join(kit, "root"), 0
  for d, _, files in os.walk(root):
    for f in files:
      dest = "/" + os.path.relpath(os.path.join(d, f), root)
      if not os.path.exists(dest):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.join(d, f), dest)
        placed += 1
  return placed


def _output(code: str, platform: str = "") -> str:
  """What `python -c code` prints, run from the checkout with the kit on the path."""
  env = env_with_kit(0.1, platform)
  kw = dict(cwd=ROOT, env=env, capture_output=True, text=True)
  return subprocess.run([sys.executable, "-c", code], check=True, **kw).stdout.strip()


VERSIONS = (
  "import jax, numpy, google.protobuf as pb, tensorflow_datasets as tfds, grain; "
  "print('jax', jax.__version__, jax.devices(), '/ numpy', numpy.__version__, "
  "'/ protobuf', pb.__version__, '/ tfds', tfds.__version__)"
)


def prepare(kit: str, platform: str, say) -> None:
  """The kit installed, the photos in place, every import and the GPU checked (JAX held
  to `platform`), the photo set prepared (once: the runs would race to prepare it)."""
  if os.path.isdir(kit):
    say(install_kit(kit))
    say(f"placed {place_photos(kit)} photos from {kit}/root")
  say(_output(VERSIONS, platform))
  n = _output("from ae.data import photos_tfds; print(len(photos_tfds.load_photos('train')))")
  say(f"photo set prepared: {n} training photos")


def _mib(n: int) -> str:
  return f"{n / (1 << 20):.1f} MiB"


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("action", choices=["build", "slim", "unslim", "size"])
  parser.add_argument("--python_version", default="3.12", help="the GPU machine's Python")
  parser.add_argument(
    "--job",
    choices=sorted(JOB_MODELS),
    default="denoisers",
    help="slim: keep the model files this job of device_train.py starts from",
  )
  args = parser.parse_args()
  kit = os.path.join(ROOT, KIT)
  if args.action == "build":
    with tempfile.TemporaryDirectory(dir=ROOT, prefix=".kit-new-") as tmp:
      download_wheels(os.path.join(tmp, "wheels"), args.python_version)
      copy_photos(debian_photos(), os.path.join(tmp, "root"))
      shutil.rmtree(kit, ignore_errors=True)
      os.replace(tmp, kit)
      os.makedirs(tmp)  # for TemporaryDirectory's cleanup
  try:
    if args.action == "slim":
      moved = slim(ROOT, JOB_MODELS[args.job])
      print(f"moved {len(moved)} files to {STASH}/ (put back with `unslim`)")
    elif args.action == "unslim":
      print(f"moved {len(unslim(ROOT))} files back from {STASH}/")
  except StashClash as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  tree, carried = tree_bytes(ROOT), folder_bytes(kit) if os.path.isdir(kit) else 0
  total = tree + carried
  print(f"travels: tree {_mib(tree)} + {KIT}/ {_mib(carried)} = {_mib(total)}"
        f" (limit {_mib(LIMIT_BYTES)})")  # fmt: skip
  if total <= LIMIT_BYTES:
    return 0
  over = _mib(total - LIMIT_BYTES)
  if args.action == "slim":
    print(f"error: still over the device tool's limit by {over}", file=sys.stderr)
    return 1
  print(f"over the device tool's limit by {over}: run `slim` before the device run")
  return 0


if __name__ == "__main__":
  sys.exit(main())
