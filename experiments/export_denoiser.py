r"""Exports a trained denoising run to a denoiser file.

  python -m experiments.export_denoiser --workdir=workdirs/dae_blind \
      --out=ae/store/denoisers/fmnist-dense-blind.aed

The file's `step` is the total number of training steps behind it: this run's plus
those of the model or run it started from (`train.init_from`), recursively.

For an opponent-colour run (`experiments/configs/unet_opponent.py`), `--luma=GRAY.aed`
puts a gray noise-map U-Net in its luma branch (a newer descendant of the one the run
started from, of any widths: the file's `model.widths` become the gray model's and
`model.chroma_widths` the run's); `step` is then the larger of the two branches' totals.
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
_LUMA = flags.DEFINE_string(
  "luma", None, "opponent_unet runs: a gray noise-map denoiser file for the luma branch."
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
  params = run.params
  if _LUMA.value:
    params, total = _with_luma(run.config, params, total, _LUMA.value)
  data = export_denoiser(run.config, params, run.test_set.image_shape, total, _DTYPE.value)
  write_atomic(_OUT.value, data)
  print(f"{_OUT.value}: {len(data):,} bytes, {total:,} training steps in all")


def _with_luma(config, params, total: int, path: str):
  from ae.denoise import registry  # pylint: disable=g-import-not-at-top
  from ae.models.denoise import widths_of  # pylint: disable=g-import-not-at-top
  from ae.models.opponent import with_luma  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top

  if config.model.name != "opponent_unet":
    raise UserError(f"--luma: {_WORKDIR.value} is not an opponent_unet run")
  gray = registry.get(path)
  mc = gray.model_config
  fits = (
    mc.name == "denoise_unet"
    and bool(mc.get("noise_map", False))
    and bool(mc.get("residual", True))
    and gray.channels == 1
  )
  if not fits:
    raise UserError(f"--luma={path}: not a gray noise-map U-Net")
  try:
    swapped = with_luma(params, gray.params)
  except ValueError as e:
    raise UserError(f"--luma={path}: {e}") from e
  luma, chroma = [int(w) for w in mc.widths], widths_of(params["chroma"])
  with config.unlocked():  # the file's config describes the branches it holds
    config.model.widths = tuple(luma)
    config.model.chroma_widths = chroma
  return swapped, max(total, gray.step)


def main(argv):
  del argv
  from ae.utils.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top

  exit_on_user_error(_export)


if __name__ == "__main__":
  app.run(main)
