r"""Regenerates every figure from trained workdirs; PNGs land in each workdir.

  python scripts/make_figures.py --workdirs=workdirs/ae_vs_pca/deep_k2,workdirs/vae_l2 \
      [--study=workdirs/ae_vs_pca]

For each workdir: reconstructions.png and interpolation.png; latent_2d.png for
2-D codes; samples.png for VAEs and manifold.png for 2-D VAEs. With --study,
ae_vs_pca.png is redrawn from that folder's ae_vs_pca.json.
"""

import json
import os
import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_list("workdirs", [], "Workdirs of trained runs.")
flags.DEFINE_string("study", None, "Folder of scripts/ae_vs_pca.py's output.")


def main(argv):
  del argv
  from ae.train import parallel  # pylint: disable=g-import-not-at-top
  from ae.train.restore import load_trained  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top
  from ae.utils.logs import quiet_orbax  # pylint: disable=g-import-not-at-top
  from ae.viz import figures  # pylint: disable=g-import-not-at-top

  quiet_orbax()
  mesh = parallel.make_mesh()
  try:
    for wd in FLAGS.workdirs:
      for path in figures.make_run_figures(load_trained(wd, mesh), wd, mesh):
        print(path)
    if FLAGS.study:
      with open(os.path.join(FLAGS.study, "ae_vs_pca.json"), encoding="utf-8") as f:
        table = json.load(f)
      models = [m for m in table if m not in ("code_sizes", "pca")]
      figures.ae_vs_pca_plot(table, models, os.path.join(FLAGS.study, "ae_vs_pca.png"))
      print(os.path.join(FLAGS.study, "ae_vs_pca.png"))
  except (UserError, FileNotFoundError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  app.run(main)
