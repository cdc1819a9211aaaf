r"""Denoising evaluation: PSNR/SSIM of noisy input, TV, wavelet, NL-means, bilateral, BM3D
and the trained denoisers, at Gaussian sigma 15, 25, 50 (0-255 scale); and under
salt-and-pepper (10% of pixels) and masking (25%): 3x3 median, inpainting and the
denoisers trained on them.

  python -m experiments.denoise_eval --workdir=workdirs/denoise \
      [--sets=fashion_mnist,photos:gray,photos] [--fashion_images=100] [--denoisers=a.aed,b.aed] \
      [--sigmas=15,25,50] [--impulse=salt_pepper:0.1,masking:0.25] [--noensemble]

Sets are data specs (`ae.data.specs`: fashion_mnist, photos, photos:gray, folder:PATH,
kodak:PATH, tfds:NAME). Writes denoise.json, denoise.md, denoise_records.json and
denoise_<set>.png (crops side by side; <set> the spec's file-name form, e.g. photos_gray).
"""

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Where results go.")
_SETS = flags.DEFINE_list(
  "sets", ["fashion_mnist", "photos:gray", "photos"], "Data specs (ae.data.specs)."
)
_N = flags.DEFINE_integer("fashion_images", 100, "Fashion-MNIST test images to use.")
_EXTRA = flags.DEFINE_list("denoisers", [], "Extra denoiser files or names.")
_SIGMAS = flags.DEFINE_list("sigmas", ["15", "25", "50"], "Noise sigmas, 0-255 scale.")
_IMPULSE = flags.DEFINE_list(
  "impulse",
  ["salt_pepper:0.1", "masking:0.25"],
  "Impulse noises KIND:AMOUNT (fraction of pixels); empty for none.",
)
_ENSEMBLE = flags.DEFINE_bool(
  "ensemble", True, "Also score noise-conditioned denoisers' 8-fold self-ensemble ('NAME x8')."
)
flags.mark_flags_as_required(["workdir"])


def _impulse(items: list[str]) -> tuple[tuple[str, float], ...]:
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top

  out = []
  for item in items:
    kind, _, amount = item.partition(":")
    try:
      value = float(amount)
    except ValueError:
      value = -1.0
    if kind not in ("salt_pepper", "masking") or not 0 <= value <= 1:
      raise UserError(
        f"--impulse: '{item}' is not salt_pepper:AMOUNT or masking:AMOUNT, AMOUNT in [0, 1]"
      )
    out.append((kind, value))
  return tuple(out)


def main(argv):
  del argv
  from ae.denoise.run import run  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top

  impulse = exit_on_user_error(_impulse, _IMPULSE.value)
  exit_on_user_error(
    run,
    _WORKDIR.value,
    _SETS.value,
    _N.value,
    _EXTRA.value,
    tuple(float(s) for s in _SIGMAS.value),
    impulse,
    _ENSEMBLE.value,
  )
  print(f"wrote {_WORKDIR.value}/denoise.md, denoise.json, denoise_*.png")


if __name__ == "__main__":
  app.run(main)
