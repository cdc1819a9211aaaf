"""The end of a run: test metrics, the objective's own evaluation, the PCA baseline at the
model's code size (fitted in a thread while the run trains) and `reconstructions.png`."""

from __future__ import annotations

import concurrent.futures
import os

import jax

from ae.baselines import pca as pca_lib
from ae.models import registry
from ae.train import evaluation, objectives
from ae.utils import grids

PCA_EXAMPLES = 100_000  # the PCA baseline's fit: the first examples, stored order


def pca_baseline(config, train_set, test_set) -> concurrent.futures.Future | None:
  """The PCA baseline at the model's code size, fitted in a thread while the run trains
  (`ae.baselines.pca.baseline_in_background`), or None where the config has none."""
  code_size = registry.code_size(config.model)
  if not (config.get("pca_baseline", True) and code_size):
    return None
  return pca_lib.baseline_in_background(
    train_set.sample(PCA_EXAMPLES), test_set.images, int(code_size)
  )


def final_evaluation(
  config, workdir, params, evaluate_test, reconstruct_fn, pca, test_set, mesh, model
) -> dict:
  """Test metrics, the PCA baseline (`pca`: its future, or None), `reconstructions.png`."""
  results = {"test": evaluate_test(params)}
  objective = config.get("objective", "reconstruction")
  evaluate = objectives.get(config).evaluate
  if evaluate is not None:
    results[objective] = evaluate(model, config, params, test_set, mesh)
  if pca is not None:
    results["pca"] = pca.result()
  n = min(int(config.get("num_figure_images", 16)), len(test_set))
  if n:  # Every process takes part in the sharded computation; process 0 writes.
    rec = evaluation.reconstruct_split(reconstruct_fn, params, test_set.images[:n], n, mesh)
    if jax.process_index() == 0:
      grids.save_png(
        grids.image_grid([test_set.images[:n], rec]), os.path.join(workdir, "reconstructions.png")
      )
  return results
