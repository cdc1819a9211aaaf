r"""Denoising evaluation: PSNR/SSIM of noisy input, TV, wavelet, NL-means, bilateral, BM3D
and the trained denoisers, at sigma 15, 25, 50 (0-255 scale).

  python -m experiments.denoise_eval --workdir=workdirs/denoise \
      [--sets=fashion,photos_gray,photos_rgb] [--fashion_images=100] [--denoisers=a.aed,b.aed]

Writes denoise.json, denoise.md, denoise_records.json and denoise_<set>.png (crops side by side).
"""

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Where results go.")
_SETS = flags.DEFINE_list("sets", ["fashion", "photos_gray", "photos_rgb"], "Image sets.")
_N = flags.DEFINE_integer("fashion_images", 100, "Fashion-MNIST test images to use.")
_EXTRA = flags.DEFINE_list("denoisers", [], "Extra denoiser files or names.")
_SIGMAS = flags.DEFINE_list("sigmas", ["15", "25", "50"], "Noise sigmas, 0-255 scale.")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  from ae.denoise.run import run  # pylint: disable=g-import-not-at-top
  from ae.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top
  exit_on_user_error(run, _WORKDIR.value, _SETS.value, _N.value, _EXTRA.value,
                     tuple(float(s) for s in _SIGMAS.value))
  print(f"wrote {_WORKDIR.value}/denoise.md, denoise.json, denoise_*.png")


if __name__ == "__main__":
  app.run(main)
