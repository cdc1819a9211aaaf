r"""The study: autoencoders against exact PCA at several code sizes on Fashion-MNIST.

  python scripts/ae_vs_pca.py --workdir=workdirs/ae_vs_pca [--code_sizes=2,8,16,32,64] \
      [--models=deep,conv] [--set=train.num_epochs=20 ...]

Trains each model at each code size with its config (`experiments/configs/<model>.py`,
`model.code_size=k`) in `WORKDIR/<model>_k<k>` (rerunning resumes or just
re-evaluates), fits PCA once, and writes `ae_vs_pca.json`, `ae_vs_pca.md` and
`ae_vs_pca.png` (test MSE per pixel against k, log scale) into WORKDIR.
"""

import os as _os
import sys as _sys

# experiments/ is not installed: scripts run from a checkout and import it from its root.
_ROOT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
_sys.path.insert(0, _ROOT) if _ROOT not in _sys.path else None
import importlib
import os
import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Root folder of the study.")
flags.DEFINE_list("code_sizes", ["2", "8", "16", "32", "64"], "Code sizes k.")
flags.DEFINE_list("models", ["deep", "conv"], "Config names under experiments/configs/.")
flags.DEFINE_multi_string("set", [], "Overrides key=value applied to every model's config.")
flags.mark_flag_as_required("workdir")


def run_study(workdir: str, code_sizes: list[int], models: list[str], overrides: list[str]) -> dict:
  """Runs the sweep; returns {"code_sizes", "pca": {k: ...}, "<model>": {k: ...}}."""
  import numpy as np  # pylint: disable=g-import-not-at-top

  from ae.baselines import pca as pca_lib  # pylint: disable=g-import-not-at-top
  from ae.data.sources import load_split  # pylint: disable=g-import-not-at-top
  from ae.train.runner import train_and_evaluate  # pylint: disable=g-import-not-at-top
  from ae.utils.config_utils import apply_overrides  # pylint: disable=g-import-not-at-top

  configs = {}
  for name in models:  # every override is checked before anything is written
    for k in code_sizes:
      config = importlib.import_module(f"experiments.configs.{name}").get_config()
      config.model.code_size = k
      config.pca_baseline = False
      configs[name, k] = apply_overrides(config, overrides)
  os.makedirs(workdir, exist_ok=True)
  table = {"code_sizes": code_sizes}
  for (name, k), config in configs.items():
    results = train_and_evaluate(config, os.path.join(workdir, f"{name}_k{k}"))
    table.setdefault(name, {})[str(k)] = results["test"]
  data_config = apply_overrides(
    importlib.import_module(f"experiments.configs.{models[0]}").get_config(), overrides
  ).data
  x_train = load_split(data_config, data_config.train_split).images.astype(np.float32) / 255
  x_test = load_split(data_config, data_config.eval_split).images.astype(np.float32) / 255
  pca = pca_lib.fit_pca(x_train, max(code_sizes))
  table["pca"] = {}
  for k in code_sizes:
    sub = pca_lib.PCA(pca.mean, pca.components[:k], pca.variances[:k])
    mse, clipped = (pca_lib.reconstruction_mse(sub, x_test, clip=c) for c in (False, True))
    table["pca"][str(k)] = {
      "mse": mse,
      "mse_clipped": clipped,
      "psnr": float(10 * np.log10(1 / mse)),
    }
  return table


def markdown(table: dict, models: list[str]) -> str:
  """Rows k; columns PCA, PCA clipped, each model's MSE and its ratio to PCA's."""
  head = "| k | PCA | PCA clipped | " + " | ".join(f"{m} | {m} / PCA" for m in models) + " |"
  lines = [head, "|" + "---|" * (3 + 2 * len(models))]
  for k in (str(k) for k in table["code_sizes"]):
    p = table["pca"][k]["mse"]
    cells = [f"{table[m][k]['mse']:.4f} | {table[m][k]['mse'] / p:.2f}" for m in models]
    lines.append(
      f"| {k} | {p:.4f} | {table['pca'][k]['mse_clipped']:.4f} | " + " | ".join(cells) + " |"
    )
  return "\n".join(lines) + "\n"


def main(argv):
  del argv
  from ae.utils.logs import quiet_orbax  # pylint: disable=g-import-not-at-top

  quiet_orbax()
  from ae.train.workdir import write_json_atomic  # pylint: disable=g-import-not-at-top
  from ae.utils.errors import UserError  # pylint: disable=g-import-not-at-top

  ks, models = [int(k) for k in FLAGS.code_sizes], list(FLAGS.models)
  try:
    table = run_study(FLAGS.workdir, ks, models, FLAGS.set)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  write_json_atomic(os.path.join(FLAGS.workdir, "ae_vs_pca.json"), table)
  md = markdown(table, models)
  with open(os.path.join(FLAGS.workdir, "ae_vs_pca.md"), "w", encoding="utf-8") as f:
    f.write(md)
  from ae.viz.figures import ae_vs_pca_plot  # pylint: disable=g-import-not-at-top

  ae_vs_pca_plot(table, models, os.path.join(FLAGS.workdir, "ae_vs_pca.png"))
  print(md)


if __name__ == "__main__":
  app.run(main)
