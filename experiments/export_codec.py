r"""Exports a trained codec run to an immutable codec file and evaluates it.

  python -m experiments.export_codec --workdir=workdirs/dense_codec_l0.01 \
      --out=workdirs/dense_codec_l0.01/codec.aec

Prints the SHA-256, then the estimated bpp (from the frozen integer tables,
escapes included) and PSNR of the 8-bit output on the test split. A VAE run with the
discretized logistic likelihood (experiments/configs/vae_lossless.py) becomes a
lossless bits-back codec (`ae.codec.lossless`).
"""

import json

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Workdir of a trained codec run.")
_OUT = flags.DEFINE_string("out", None, "Codec file to write.")
_DTYPE = flags.DEFINE_enum(
  "param_dtype",
  "float16",
  ["float16", "float32"],
  "Precision of the stored parameters (float16: half the bytes).",
)
_EVALUATE = flags.DEFINE_bool("evaluate", True, "Evaluate the exported codec on the test split.")
flags.mark_flags_as_required(["workdir", "out"])


def _export() -> None:
  from ae.codec import export, lossless  # pylint: disable=g-import-not-at-top
  from ae.train.restore import (  # pylint: disable=g-import-not-at-top
    load_config,
    load_trained,
    run_prior_steps,
  )
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top
  from ae.utils.logs import quiet_orbax  # pylint: disable=g-import-not-at-top

  quiet_orbax()
  if load_config(_WORKDIR.value).get("objective") not in ("rate_distortion", "vae"):
    raise UserError(f"{_WORKDIR.value} is neither a rate_distortion nor a vae run")
  run = load_trained(_WORKDIR.value)
  total = run.step + run_prior_steps(
    _WORKDIR.value, str(run.config.train.get("init_from", ""))
  )  # every step behind it
  shape = run.test_set.image_shape
  if run.config.objective == "vae":
    data = lossless.export_lossless(run.config, run.params, shape, total, _DTYPE.value)
  else:
    data = export.export_codec(run.config, run.params, shape, total, _DTYPE.value)
  digest = export.write_once(_OUT.value, data)
  print(f"{_OUT.value}: {len(data):,} bytes, sha256 {digest}")
  if _EVALUATE.value and run.config.objective == "vae":
    print("lossless codec: `python -m experiments.lossless_eval` measures it on real files")
  elif _EVALUATE.value:
    result = export.evaluate_codec(export.load_codec(_OUT.value), run.test_set.images)
    print(json.dumps(result, indent=2, sort_keys=True))


def main(argv):
  del argv
  from ae.utils.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top

  exit_on_user_error(_export)


if __name__ == "__main__":
  app.run(main)
