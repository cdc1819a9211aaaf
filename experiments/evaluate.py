r"""Rate-distortion evaluation of codecs on an image set, in real file bytes.

  python -m experiments.evaluate --images=photos --workdir=workdirs/rd_photos
  python -m experiments.evaluate --images=fashion_mnist --max_images=1000 \
      --workdir=workdirs/rd_fmnist
  python -m experiments.evaluate --images=kodak:/data/kodak --codecs=jpeg420,webp,learned \
      --workdir=workdirs/rd_kodak
  python -m experiments.evaluate --images=photos --refine_steps=500 \
      --workdir=workdirs/rd_photos

Writes records.json (per image), rd.json (per-setting averages and the BD-rate
of every codec against every other), rd.md and rd.png into the workdir. Also
`ae eval` with the same flags.
"""

from absl import app, flags

_IMAGES = flags.DEFINE_string(
  "images",
  "photos",
  "A data spec (ae.data.specs): photos | photos:gray | fashion_mnist | folder:PATH | "
  "kodak:PATH | tfds:NAME",
)
_CODECS = flags.DEFINE_string(
  "codecs", "all", "Comma-separated codecs or groups (all, classical, learned)."
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Where results go.")
_MAX = flags.DEFINE_integer("max_images", 0, "Use only the first N images (0: all).")
_REFINE = flags.DEFINE_integer(
  "refine_steps",
  0,
  "Also evaluate every convolutional learned codec "
  "with its latents refined for each image for N steps (0: no).",
)
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  from ae.rd.run import run_evaluation  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top

  exit_on_user_error(
    run_evaluation, _IMAGES.value, _CODECS.value, _WORKDIR.value, _MAX.value, _REFINE.value
  )
  print(f"wrote {_WORKDIR.value}/rd.md, rd.json, records.json, rd.png")


if __name__ == "__main__":
  app.run(main)
