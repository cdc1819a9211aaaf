r"""Lossless coding of Fashion-MNIST in real bytes: the bits-back VAE codec against its
model's negative ELBO and IWAE NLL, and against PNG, WebP lossless and JPEG 2000
lossless through Pillow, in bits per dimension (ae.rd.lossless).

  python -m experiments.lossless_eval --workdir=workdirs/lossless \
      [--codec=fmnist-vae-lossless] [--max_images=0] [--batch=1000] [--iwae_samples=1000] \
      [--iwae_images=1000] [--single_images=100]

Every file is decoded and compared with its images. Writes lossless.json and
lossless.md into WORKDIR; the second table codes the first `single_images` images one
per file, where bits-back pays its initial bits on every image.
"""

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Where results go.")
_CODEC = flags.DEFINE_string("codec", "fmnist-vae-lossless", "Lossless codec name or file.")
_MAX = flags.DEFINE_integer("max_images", 0, "First N test images (0: all 10,000).")
_BATCH = flags.DEFINE_integer("batch", 1000, "Images per file.")
_IWAE_K = flags.DEFINE_integer("iwae_samples", 1000, "IWAE samples (a multiple of 100).")
_IWAE_N = flags.DEFINE_integer("iwae_images", 1000, "Test images for the IWAE bound.")
_SINGLE = flags.DEFINE_integer("single_images", 100, "Images coded one per file.")
flags.mark_flags_as_required(["workdir"])


def _table(rows: list[dict]) -> str:
  lines = ["| method | bits / dim |", "|---|---|"]
  lines += [f"| {r['method']} | {r['bits_per_dim']:.3f} |" for r in rows]
  return "\n".join(lines) + "\n"


def _run() -> None:
  import json  # pylint: disable=g-import-not-at-top
  import os  # pylint: disable=g-import-not-at-top

  import numpy as np  # pylint: disable=g-import-not-at-top

  from ae.codec import registry  # pylint: disable=g-import-not-at-top
  from ae.data.sources import eval_images  # pylint: disable=g-import-not-at-top
  from ae.data.specs import training_spec  # pylint: disable=g-import-not-at-top
  from ae.rd import lossless as lossless_rd  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top

  codec = registry.get(_CODEC.value)
  if not codec.lossless:
    raise UserError(f"--codec={_CODEC.value} is not a lossless codec")
  if _BATCH.value < 1 or _SINGLE.value < 0 or _IWAE_K.value < 100:
    raise UserError("--batch must be >= 1, --single_images >= 0, --iwae_samples >= 100")
  images = np.stack(eval_images(training_spec("fashion_mnist"), "test", _MAX.value))
  bounds = lossless_rd.model_bounds(images, codec, _IWAE_K.value, _IWAE_N.value)
  rows = [
    lossless_rd.codec_row(images, codec, _BATCH.value),
    {"method": "the model's negative ELBO", "bits_per_dim": bounds["neg_elbo_bits_per_dim"]},
    {
      "method": f"the model's IWAE NLL bound ({bounds['iwae_samples']} samples, first "
      f"{bounds['iwae_images']} images)",
      "bits_per_dim": bounds["iwae_bits_per_dim"],
    },
    *lossless_rd.classical_rows(images, _BATCH.value),
  ]
  single = images[: _SINGLE.value]
  single_rows = (
    [lossless_rd.codec_row(single, codec, 1), *lossless_rd.classical_rows(single, 1)[::2]]
    if len(single)
    else []
  )
  result = {
    "images": len(images),
    "codec": codec.name,
    "sha256": codec.sha256,
    "rows": rows,
    "bounds": bounds,
    "single_images": len(single),
    "single_rows": single_rows,
  }
  os.makedirs(_WORKDIR.value, exist_ok=True)
  with open(os.path.join(_WORKDIR.value, "lossless.json"), "w") as f:
    json.dump(result, f, indent=2)
  md = (
    f"Fashion-MNIST test split, {len(images):,} images ({images[0].shape[1]}x"
    f"{images[0].shape[0]} gray), bits per dimension of real files:\n\n{_table(rows)}\n"
    f"IWAE NLL bound ({bounds['iwae_samples']} samples, first {bounds['iwae_images']} "
    f"images): {bounds['iwae_bits_per_dim']:.3f} bits/dim (negative ELBO on those images "
    f"{bounds['neg_elbo_on_iwae_images_bits_per_dim']:.3f}).\n"
  )
  if single_rows:
    md += f"\nOne file per image, first {len(single)} images:\n\n{_table(single_rows)}"
  with open(os.path.join(_WORKDIR.value, "lossless.md"), "w") as f:
    f.write(md)
  print(md)


def main(argv):
  del argv
  from ae.utils.errors import exit_on_user_error  # pylint: disable=g-import-not-at-top

  exit_on_user_error(_run)


if __name__ == "__main__":
  app.run(main)
