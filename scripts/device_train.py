r"""The prepared training run for a lent GPU: continues shipped photo models there.

On the GPU machine, from the repository root, with `.kit/` carried (scripts/device_kit.py:
`build`, then `slim --job=JOB`; the device tool's `run` with carry [".kit"]):

  python3 scripts/device_train.py [--job=denoisers|codecs] [--minutes=5]

It installs the kit's wheels into /tmp/ae-site (what the GPU image lacks), puts the kit's
Debian photos at their paths, prepares the photo set once, then trains the job's runs
side by side on the one GPU, each with its share of its memory:
- `denoisers`: the gray noise-map U-Net from `photo-unet-gray.aed` and the chroma branch
  of the colour model from `photo-unet-rgb.aed`, on the sigma-weighted loss of
  `scripts/retrain_denoisers.sh`, batches of 64 crops of 128x128 (the CPU runs: 16 or 8
  of 64x64);
- `codecs`: the photo codecs of `--codecs` (device_kit.JOB_MODELS: q1, q3, q5, q7, q9),
  each at its own lambda, batches of 16 crops of 256x256 (the CPU runs: 4 of 128x128).
A short calibration run of each measures its step rate, so the main runs fill
`--minutes` of training, at Adam `--lr` and a tenth of it for the last 15%. It writes to
$OUT (default device_out/) the exported models (`NAME.aed` or `NAME.aec`; the colour
denoiser's luma branch is the new gray model), `report.md`, and `runs.tar.gz` with each
run's log and metrics (also when a run fails; the device tool brings back 8 files).
The models' `step` fields count every step behind them, CPU and GPU, so they ship like
the rest: compare them here (`scripts/compare_denoisers.py`,
`scripts/compare_codecs.py`) and copy the better ones to ae/store/.

`--dry_run` shrinks every size (CPU, a minute) to test the kit here, e.g. in a fresh
venv that has only what the GPU image has.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = "/tmp/ae-site"
NEEDED = ("ml_collections", "grain", "tensorflow_datasets", "array_record", "tensorboardX")


@dataclasses.dataclass(frozen=True)
class Stage:
  name: str  # also the exported file's stem
  config: str
  flags: tuple[str, ...]
  export_flags: tuple[str, ...] = ()
  exporter: str = "experiments.export_denoiser"
  suffix: str = ".aed"


SIGMA_WEIGHTED = "--config.corruption.sigma_weighting=5"
GRAY = Stage(
  "photo-unet-gray",
  "experiments/configs/unet_map.py:gray",
  (
    "--config.train.init_from=ae/store/denoisers/photo-unet-gray.aed",
    "--config.model.widths=(24,48,64,96)",
    SIGMA_WEIGHTED,
  ),
)
RGB = Stage(
  "photo-unet-rgb",
  "experiments/configs/unet_opponent.py",
  ("--config.train.init_from=ae/store/denoisers/photo-unet-rgb.aed", SIGMA_WEIGHTED),
  ("--luma={out}/photo-unet-gray.aed",),
)
READ_LMBDA = (
  "import sys; from ae.store import bundle; "
  "print(float(bundle.unpack(open(sys.argv[1], 'rb').read())['lmbda']))"
)
# Per job: batch size, crop size, Adam's rate.
JOB_SIZES = {"denoisers": (64, 128, 1e-4), "codecs": (16, 256, 1e-4)}


def codec_stage(name: str, lmbda: float) -> Stage:
  """Continues the shipped codec `name` at its own lambda (`lmbda`, from its file)."""
  path = f"ae/store/codecs/{name}.aec"
  flags = (f"--config.train.init_from={path}", f"--config.rd.lmbda={lmbda!r}")
  cfg = "experiments/configs/photo_codec.py"
  return Stage(name, cfg, flags, exporter="experiments.export_codec", suffix=".aec")


def result_line(results: dict) -> str:
  """The run's final test numbers (results.json), in words."""
  if "rate_distortion" in results:
    rd = results["rate_distortion"]
    return f"test crops {rd['bpp']:.4f} bpp (estimated), {rd['psnr']:.2f} dB"
  return f"denoised test crops {results['denoising']['denoised_psnr']:.2f} dB (sigma 0-75)"


def multiple_of(n: float, k: int) -> int:
  """`n` rounded down to a positive multiple of `k` (at least `k`)."""
  return max(k, int(n) // k * k)


def steps_for(images_per_sec: float, batch: int, seconds: float, multiple: int) -> int:
  """Training steps (a multiple of `multiple`) that fill `seconds`."""
  return multiple_of(images_per_sec / batch * seconds, multiple)


def last_rate(metrics_path: str) -> float:
  """Images per second of the last "train" row of a run's metrics.jsonl."""
  rows = [json.loads(line) for line in open(metrics_path, encoding="utf-8")]
  return float([r for r in rows if r["split"] == "train"][-1]["images_per_sec"])


def env_with_kit(mem_fraction: float) -> dict:
  env = dict(os.environ, XLA_PYTHON_CLIENT_MEM_FRACTION=f"{mem_fraction:.2f}")
  path = [p for p in (SITE if os.path.isdir(SITE) else "", ROOT) if p]
  env["PYTHONPATH"] = os.pathsep.join(path + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
  return env


def install_kit(kit: str) -> str:
  """Installs the kit's wheels into SITE unless everything they bring imports already."""
  probe = "import " + ", ".join(NEEDED)
  if subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0:
    return "ae's dependencies import already; kit wheels not installed"
  wheels = sorted(os.path.join(kit, "wheels", f) for f in os.listdir(os.path.join(kit, "wheels")))
  cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile"]
  subprocess.run([*cmd, "--no-cache-dir", "--upgrade", "--target", SITE, *wheels], check=True)
  return f"installed {len(wheels)} wheels into {SITE}"


def place_photos(kit: str) -> int:
  """Copies the kit's photos (kit/root/usr/...) to their absolute paths where missing."""
  root, placed = os.path.join(kit, "root"), 0
  for d, _, files in os.walk(root):
    for f in files:
      dest = "/" + os.path.relpath(os.path.join(d, f), root)
      if not os.path.exists(dest):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.join(d, f), dest)
        placed += 1
  return placed


def train_cmds(stage: Stage, workdir: str, steps: int, args, log_every: int) -> list[str]:
  drop = steps - multiple_of(steps * 0.15, args.steps_per_call)
  return [
    sys.executable,
    "-m",
    "experiments.train",
    f"--config={stage.config}",
    f"--workdir={workdir}",
    *stage.flags,
    f"--config.train.batch_size={args.batch_size}",
    f"--config.data.crop_size={args.crop_size}",
    f"--config.data.num_workers={args.workers}",
    f"--config.data.crop_seed={args.seed}",
    f"--config.train.learning_rate={args.lr}",
    f"--config.train.num_steps={steps}",
    f"--config.train.lr_drop_step={drop}",
    f"--config.train.steps_per_call={args.steps_per_call}",
    f"--config.train.log_every_steps={log_every}",
    "--config.train.eval_every_steps=0",
    f"--config.train.checkpoint_every_steps={steps}",
    "--config.progress=false",
  ]


def run_side_by_side(cmds: dict[str, list[str]], logs: str) -> dict[str, float]:
  """Runs the commands at once, each on its share of the GPU's memory; their seconds."""
  procs, t0 = {}, time.time()
  os.makedirs(logs, exist_ok=True)
  for name, cmd in cmds.items():
    log = open(os.path.join(logs, f"{name}.log"), "a", encoding="utf-8")
    procs[name] = (
      subprocess.Popen(
        cmd, cwd=ROOT, env=env_with_kit(0.9 / len(cmds)), stdout=log, stderr=subprocess.STDOUT
      ),
      log,
    )
  seconds = {}
  for name, (p, log) in procs.items():
    if p.wait():
      raise SystemExit(f"error: {name} failed (exit {p.returncode}); see its log")
    log.close()
    seconds[name] = time.time() - t0
  return seconds


def _output(code: str, *argv: str) -> str:
  """What `python -c code ARGV...` prints, run from the checkout with the kit on the path."""
  run = [sys.executable, "-c", code, *argv]
  kw = dict(cwd=ROOT, env=env_with_kit(0.1), capture_output=True, text=True)
  return subprocess.run(run, check=True, **kw).stdout.strip()


def prepare(args, say) -> None:
  """The kit installed, the photos in place, the photo set prepared (once: the two runs
  would race to prepare it)."""
  if os.path.isdir(args.kit):
    say(install_kit(args.kit))
    say(f"placed {place_photos(args.kit)} photos from {args.kit}/root")
  say("jax " + _output("import jax; print(jax.__version__, jax.devices())"))
  n = _output("from ae.data import photos_tfds; print(len(photos_tfds.load_photos('train')))")
  say(f"photo set prepared: {n} training photos")


def calibrate(stages, workdirs: dict[str, str], args) -> dict[str, int]:
  """Steps of each stage that fill `args.minutes` when they run side by side, from short
  runs side by side (their second logged window: after compilation)."""
  half = multiple_of(args.calibrate_steps / 2, args.steps_per_call)
  cmds = {s.name: train_cmds(s, workdirs[s.name], args.calibrate_steps, args, half) for s in stages}
  run_side_by_side(cmds, logs_dir(args))
  rate = {s.name: last_rate(os.path.join(workdirs[s.name], "metrics.jsonl")) for s in stages}
  return {
    name: steps_for(r, args.batch_size, args.minutes * 60, args.steps_per_call)
    for name, r in rate.items()
  }


def export(stage: Stage, workdir: str, out_dir: str) -> str:
  """Exports the run to OUT/NAME.aed or .aec; the file."""
  out = os.path.join(out_dir, stage.name + stage.suffix)
  cmd = [sys.executable, "-m", stage.exporter, f"--workdir={workdir}", f"--out={out}"]
  cmd += [f.format(out=out_dir) for f in stage.export_flags]
  subprocess.run(cmd, cwd=ROOT, env=env_with_kit(0.1), check=True)
  return out


def logs_dir(args) -> str:
  return os.path.join(args.workdirs, "logs")


def pack_logs(args, stages) -> None:
  """OUT/runs.tar.gz: the runs' logs and metrics.jsonl files."""
  with tarfile.open(os.path.join(args.out, "runs.tar.gz"), "w:gz") as tar:
    if os.path.isdir(logs_dir(args)):
      tar.add(logs_dir(args), "logs")
    for s in stages:
      for run in (s.name, s.name + "-calibrate"):
        path = os.path.join(args.workdirs, run, "metrics.jsonl")
        if os.path.isfile(path):
          tar.add(path, f"{run}.jsonl")


def job_stages(args) -> tuple[Stage, ...]:
  """The runs of `args.job`: the two denoisers, or the codecs named (or the kit's)."""
  if args.job == "denoisers":
    return (GRAY, RGB)
  names = [n for n in args.codecs.split(",") if n]
  if not names:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import device_kit  # pylint: disable=g-import-not-at-top

    names = list(device_kit.JOB_MODELS["codecs"])
  lmbdas = {n: float(_output(READ_LMBDA, f"ae/store/codecs/{n}.aec")) for n in names}
  return tuple(codec_stage(n, lmbdas[n]) for n in names)


def parse_args(argv=None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--kit", default=os.path.join(ROOT, ".kit"))
  parser.add_argument("--out", default=os.environ.get("OUT") or os.path.join(ROOT, "device_out"))
  parser.add_argument("--workdirs", default="/tmp/ae-device-runs")
  parser.add_argument("--job", choices=sorted(JOB_SIZES), default="denoisers")
  parser.add_argument("--codecs", default="", help="codecs job: names (default: the kit's)")
  parser.add_argument("--minutes", type=float, default=5.0, help="training time of the main runs")
  parser.add_argument("--batch_size", type=int, default=0, help="0: the job's (JOB_SIZES)")
  parser.add_argument("--crop_size", type=int, default=0, help="0: the job's")
  parser.add_argument("--lr", type=float, default=0.0, help="0: the job's")
  parser.add_argument("--workers", type=int, default=12, help="Grain worker processes in all")
  parser.add_argument("--steps_per_call", type=int, default=10)
  parser.add_argument("--calibrate_steps", type=int, default=100)
  parser.add_argument("--seed", type=int, default=53, help="crop seed (fresh crops)")
  parser.add_argument("--dry_run", action="store_true", help="tiny sizes, to test the kit")
  args = parser.parse_args(argv)
  batch, crop, lr = JOB_SIZES[args.job]
  args.batch_size, args.crop_size, args.lr = (
    args.batch_size or batch,
    args.crop_size or crop,
    args.lr or lr,
  )
  if args.dry_run:
    args.minutes, args.batch_size, args.crop_size, args.workers = 0.3, 2, 64, 0
    args.steps_per_call, args.calibrate_steps = 2, 8
  return args


def train_job(args, stages, say) -> None:
  """Calibrates, trains side by side, exports; says what each run did."""
  wd = {s.name: os.path.join(args.workdirs, s.name) for s in stages}
  for d in wd.values():  # a fresh start, not a resumed earlier run
    shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(d + "-calibrate", ignore_errors=True)
  steps = calibrate(stages, {n: d + "-calibrate" for n, d in wd.items()}, args)
  say(
    f"calibrated: steps {steps} for {args.minutes} min, batch {args.batch_size} of "
    f"{args.crop_size}x{args.crop_size}, Adam {args.lr}"
  )
  logged = {n: multiple_of(k / 10, args.steps_per_call) for n, k in steps.items()}
  cmds = {s.name: train_cmds(s, wd[s.name], steps[s.name], args, logged[s.name]) for s in stages}
  seconds = run_side_by_side(cmds, logs_dir(args))
  for s in stages:  # gray first: the colour model's luma branch is the new gray model
    out = export(s, wd[s.name], args.out)
    results = json.load(open(os.path.join(wd[s.name], "results.json"), encoding="utf-8"))
    say(
      f"- {s.name}: {steps[s.name]} steps in {seconds[s.name]:.0f} s (with start-up), "
      f"{result_line(results)}; exported {out}"
    )


def main() -> int:
  args = parse_args()
  os.makedirs(args.out, exist_ok=True)
  shutil.rmtree(logs_dir(args), ignore_errors=True)
  report = [f"# Device training run ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", ""]
  say = lambda line: (report.append(line), print(line, flush=True))
  stages = ()
  try:
    prepare(args, say)
    stages = job_stages(args)
    args.workers = args.workers // len(stages)
    train_job(args, stages, say)
  finally:
    pack_logs(args, stages)
    with open(os.path.join(args.out, "report.md"), "w", encoding="utf-8") as f:
      f.write("\n".join(report) + "\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
