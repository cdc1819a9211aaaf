r"""Exports a trained denoising run to a denoiser file.

  python -m experiments.export_denoiser --workdir=workdirs/dae_blind \
      --out=ae/store/denoisers/fmnist-dense-blind.aed

The file's `step` is the total number of training steps behind it: this run's plus
those of the model or run it started from (`train.init_from`), recursively.
"""

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Workdir of a trained denoising run.")
_OUT = flags.DEFINE_string("out", None, "Denoiser file to write.")
_DTYPE = flags.DEFINE_enum(
  "param_dtype",
  "float16",
  ["float16", "float32"],
  "Precision of the stored parameters (float16: half the bytes).",
)
flags.mark_flags_as_required(["workdir", "out"])


def _export() -> None:
  from ae.codec.image_io import write_atomic  # pylint: disable=g-import-not-at-top
  from ae.denoise.registry import export_denoiser  # pylint: disable=g-import-not-at-top
  from ae.train.restore import load_trained, run_prior_steps  # pylint: disable=g-import-not-at-top
  from ae.utils.logs import quiet_orbax  # pylint: disable=g-import-not-at-top

  quiet_orbax()
  run = load_trained(_WORKDIR.value, objective="denoising")
  total = run.step + run_prior_steps(_WORKDIR.value, str(run.config.train.get("init_from", "")))
  data = export_denoiser(run.config, run.params, run.test_set.image_shape, total, _DTYPE.value)
  write_atomic(_OUT.value, data)
  print(f"{_OUT.value}: {len(data):,} bytes, {total:,} training steps in all")


def main(argv):
  del argv
  from ae.utils.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top

  exit_on_user_error(_export)


if __name__ == "__main__":
  app.run(main)
