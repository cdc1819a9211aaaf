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
- `codecs`: the photo codecs of `--codecs` (device_kit.JOB_MODELS: q1, q9),
  each at its own lambda, batches of 16 crops of 256x256 (the CPU runs: 4 of 128x128).
A short calibration run of each measures its step rate, so the main runs fill
`--minutes` of training (less if the whole command would end past `--deadline_s`, which
the device tool's 600 s limit must exceed), at Adam `--lr` and a tenth of it for the
last 15%. It writes to $OUT (default device_out/) the exported models (`NAME.aed` or
`NAME.aec`; the colour denoiser's luma branch is the new gray model), `report.md`, and
`runs.tar.gz` with each run's log and metrics (also when a run fails or the command is
stopped by SIGTERM; the device tool brings back 8 files, so at most 6 runs).
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
import signal
import subprocess
import sys
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import device_kit  # noqa: E402  # the kit, both sides
from device_kit import env_with_kit  # noqa: E402


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
# Per job: batch size, crop size, Adam's rate.
JOB_SIZES = {"denoisers": (64, 128, 1e-4), "codecs": (16, 256, 1e-4)}


def codec_stage(name: str) -> Stage:
  """Continues the shipped codec `name` at its own lambda and widths (read from its file),
  with mixed quantization as the shipped codecs were last trained (docs/compression.md)."""
  sys.path.insert(0, ROOT)
  from ae.store import bundle  # pylint: disable=g-import-not-at-top  # numpy and msgpack only

  path = f"ae/store/codecs/{name}.aec"
  with open(os.path.join(ROOT, path), "rb") as f:
    stored = bundle.unpack(f.read())
  lmbda, model = float(stored["lmbda"]), json.loads(stored["model"])
  flags = (
    f"--config.train.init_from={path}",
    f"--config.rd.lmbda={lmbda!r}",
    f"--config.model.name={model['name']}",
    f"--config.model.n={int(model['n'])}",
    f"--config.model.m={int(model['m'])}",
    "--config.rd.quantization=mixed",
  )
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
  """Training steps (a multiple of `multiple`) that fill 90% of `seconds` at the measured
  rate (runs side by side drift out of step, so the calibration window can be kinder)."""
  return multiple_of(0.9 * images_per_sec / batch * seconds, multiple)


def last_rate(metrics_path: str) -> float:
  """Images per second of the last "train" row of a run's metrics.jsonl."""
  rows = [json.loads(line) for line in open(metrics_path, encoding="utf-8")]
  return float([r for r in rows if r["split"] == "train"][-1]["images_per_sec"])


def train_cmds(stage: Stage, workdir: str, steps: int, args, log_every: int) -> list[str]:
  """The `experiments.train` command of one run: `steps` steps, a tenth of the rate for
  the last 15%, one checkpoint at the end, no figures."""
  drop = steps - multiple_of(steps * 0.15, args.steps_per_call)
  return [
    *(sys.executable, "-m", "experiments.train", f"--config={stage.config}"),
    f"--workdir={workdir}",
    *stage.flags,
    f"--config.train.batch_size={args.batch_size}",
    f"--config.data.crop_size={args.crop_size}",
    f"--config.data.num_workers={args.workers}",
    f"--config.data.crop_seed={args.seed}",
    f"--config.train.learning_rate={args.lr}",
    f"--config.train.num_steps={steps}",
    f"--config.train.lr_drop_step={drop or steps}",
    f"--config.train.steps_per_call={args.steps_per_call}",
    f"--config.train.log_every_steps={log_every}",
    "--config.train.eval_every_steps=0",
    f"--config.train.checkpoint_every_steps={steps}",
    "--config.num_figure_images=0",
    "--config.progress=false",
  ]


def run_side_by_side(cmds: dict[str, list[str]], logs: str, platform: str) -> dict[str, float]:
  """Runs the commands at once, each on its share of the GPU's memory; the seconds each
  took. The first to fail stops the others."""
  t0, procs, logfiles = time.time(), {}, []
  os.makedirs(logs, exist_ok=True)
  env = env_with_kit(0.9 / len(cmds), platform)
  try:
    for name, cmd in cmds.items():
      logfiles.append(open(os.path.join(logs, f"{name}.log"), "a", encoding="utf-8"))
      procs[name] = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=logfiles[-1], stderr=subprocess.STDOUT
      )
    seconds = {}
    while len(seconds) < len(procs):
      for name, p in procs.items():
        if name not in seconds and p.poll() is not None:
          if p.returncode:
            raise SystemExit(f"error: {name} failed (exit {p.returncode}); see its log")
          seconds[name] = time.time() - t0
      time.sleep(1)
    return seconds
  finally:
    for p in procs.values():
      if p.poll() is None:
        p.terminate()
        p.wait()
    for f in logfiles:
      f.close()


def calibrate(stages, workdirs: dict[str, str], args) -> dict[str, float]:
  """Images per second of each stage when they run side by side, from short runs side by
  side (their second logged window: after compilation)."""
  half = args.calibrate_steps // 2
  cmds = {s.name: train_cmds(s, workdirs[s.name], args.calibrate_steps, args, half) for s in stages}
  run_side_by_side(cmds, logs_dir(args), args.platform)
  return {s.name: last_rate(os.path.join(workdirs[s.name], "metrics.jsonl")) for s in stages}


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


MAX_RUNS = 6  # the device tool brings back 8 files: the models, report.md, runs.tar.gz


def job_stages(args) -> tuple[Stage, ...]:
  """The runs of `args.job`: the two denoisers, or the codecs named (or the kit's)."""
  if args.job == "denoisers":
    return (GRAY, RGB)
  names = [n for n in args.codecs.split(",") if n]
  if not names:
    names = list(device_kit.JOB_MODELS["codecs"])
  if len(names) > MAX_RUNS:
    raise SystemExit(f"error: at most {MAX_RUNS} codecs per run (their files must come back)")
  return tuple(codec_stage(n) for n in names)


def parse_args(argv=None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  add = parser.add_argument
  add("--kit", default=os.path.join(ROOT, ".kit"))
  add("--out", default=os.environ.get("OUT") or os.path.join(ROOT, "device_out"))
  add("--workdirs", default="/tmp/ae-device-runs")
  add("--job", choices=sorted(JOB_SIZES), default="denoisers")
  add("--codecs", default="", help="codecs job: names (default: the kit's)")
  add("--minutes", type=float, default=4.0, help="training time of the main runs")
  add("--deadline_s", type=float, default=540.0, help="the whole command ends by then")
  add("--batch_size", type=int, default=0, help="0: the job's (JOB_SIZES)")
  add("--crop_size", type=int, default=0, help="0: the job's")
  add("--lr", type=float, default=0.0, help="0: the job's")
  add("--workers", type=int, default=12, help="Grain worker processes in all")
  add("--steps_per_call", type=int, default=10)
  add("--calibrate_steps", type=int, default=100)
  add("--seed", type=int, default=53, help="crop seed (fresh crops)")
  add("--dry_run", action="store_true", help="tiny sizes on the CPU, to test the kit")
  args = parser.parse_args(argv)
  batch, crop, lr = JOB_SIZES[args.job]
  args.batch_size, args.crop_size = args.batch_size or batch, args.crop_size or crop
  args.lr = args.lr or lr
  args.platform = "cuda"
  if args.dry_run:
    args.minutes, args.batch_size, args.crop_size, args.workers = 0.3, 2, 64, 2
    args.steps_per_call, args.calibrate_steps, args.platform = 2, 8, ""
  args.calibrate_steps = multiple_of(args.calibrate_steps, 2 * args.steps_per_call)
  return args


EXPORT_RESERVE_S = 60.0  # the runs' final evaluations and the exports, after training


def train_job(args, stages, say, t0: float) -> None:
  """Calibrates, trains side by side within the deadline, exports; says what each did."""
  wd = {s.name: os.path.join(args.workdirs, s.name) for s in stages}
  for d in wd.values():  # a fresh start, not a resumed earlier run
    shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(d + "-calibrate", ignore_errors=True)
  rate = calibrate(stages, {n: d + "-calibrate" for n, d in wd.items()}, args)
  start_s = time.time() - t0  # the main runs' start-up is about the calibration's
  seconds = min(args.minutes * 60, args.deadline_s - 2 * start_s - EXPORT_RESERVE_S)
  if seconds < min(30.0, args.minutes * 60):
    raise SystemExit(f"error: {start_s:.0f} s went to setting up; no time left to train")
  steps = {n: steps_for(r, args.batch_size, seconds, args.steps_per_call) for n, r in rate.items()}
  say(
    f"calibrated after {start_s:.0f} s: steps {steps} for {seconds:.0f} s, batch "
    f"{args.batch_size} of {args.crop_size}x{args.crop_size}, Adam {args.lr}"
  )
  logged = {n: multiple_of(k / 10, args.steps_per_call) for n, k in steps.items()}
  cmds = {s.name: train_cmds(s, wd[s.name], steps[s.name], args, logged[s.name]) for s in stages}
  took = run_side_by_side(cmds, logs_dir(args), args.platform)
  for s in stages:  # gray first: the colour model's luma branch is the new gray model
    out = export(s, wd[s.name], args.out)
    results = json.load(open(os.path.join(wd[s.name], "results.json"), encoding="utf-8"))
    say(
      f"- {s.name}: {steps[s.name]} steps in {took[s.name]:.0f} s (with start-up), "
      f"{result_line(results)}; exported {out}"
    )


def _stop(signum, frame):
  del frame
  raise SystemExit(f"error: stopped by signal {signum}")


def main() -> int:
  t0 = time.time()
  args = parse_args()
  signal.signal(signal.SIGTERM, _stop)  # so that the report and logs still come back
  os.makedirs(args.out, exist_ok=True)
  shutil.rmtree(logs_dir(args), ignore_errors=True)
  report = [f"# Device training run ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", ""]

  def say(line: str) -> None:
    report.append(line)
    print(line, flush=True)
    with open(os.path.join(args.out, "report.md"), "w", encoding="utf-8") as f:
      f.write("\n".join(report) + "\n")

  stages = ()
  try:
    device_kit.prepare(args.kit, args.platform, say)
    stages = job_stages(args)
    args.workers = max(1, args.workers // len(stages))
    train_job(args, stages, say, t0)
  except (SystemExit, subprocess.CalledProcessError) as e:
    say(str(e) if isinstance(e, SystemExit) else f"error: {' '.join(e.cmd[:4])}... failed")
    raise
  finally:
    say(f"ended after {time.time() - t0:.0f} s")
    pack_logs(args, stages)
  return 0


if __name__ == "__main__":
  sys.exit(main())
