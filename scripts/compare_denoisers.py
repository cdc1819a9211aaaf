r"""Candidate denoisers side by side on the held-out test photos, without the baselines.

  taskset -c 0 python scripts/compare_denoisers.py --denoisers=A.aed,B.aed[,NAME...] \
      [--sets=photos:gray,photos] [--sigmas=15,25,50] [--ensemble] [--json=PATH]

The noise and scores are `experiments.denoise_eval`'s (`ae.denoise.evaluate`: the same
seeds, unclipped Gaussian noise, PSNR of the 8-bit output, noise-conditioned models told
the true sigma), so a row here equals that denoiser's row in the full evaluation; only
the baselines (BM3D's minutes) are left out. Use it to choose between training runs
(export each with `python -m experiments.export_denoiser`), then run the full evaluation.
"""

from __future__ import annotations

from absl import app, flags

_DENOISERS = flags.DEFINE_list("denoisers", None, "Denoiser names or .aed paths.", required=True)
_SETS = flags.DEFINE_list("sets", ["photos:gray", "photos"], "Data specs (ae.data.specs).")
_SIGMAS = flags.DEFINE_list("sigmas", ["15", "25", "50"], "Noise sigmas, 0-255 scale.")
_ENSEMBLE = flags.DEFINE_bool(
  "ensemble", False, "Also score noise-conditioned models' 8-fold self-ensemble ('NAME x8')."
)
_JSON = flags.DEFINE_string("json", None, "Write the summary rows as JSON here.")


def main(argv):
  del argv
  from ae.denoise import evaluate as ev  # pylint: disable=g-import-not-at-top
  from ae.denoise import registry  # pylint: disable=g-import-not-at-top
  from ae.denoise.run import load_set  # pylint: disable=g-import-not-at-top
  from ae.utils import files  # pylint: disable=g-import-not-at-top

  models = [registry.get(d) for d in _DENOISERS.value]
  if any(d.corruption.kind not in ev.GAUSSIAN_KINDS for d in models):
    raise app.UsageError("only denoisers of Gaussian noise are compared here")
  rows = []
  for name in _SETS.value:
    clean, _ = load_set(name, 0)
    for sigma in (float(s) for s in _SIGMAS.value):
      fns = ev.denoiser_methods(sigma, models, _ENSEMBLE.value)
      corrupt = lambda x, i, sigma=sigma: ev.add_noise(x, sigma, ev.noise_seed(sigma, i))
      records = ev.score(name, f"gaussian {sigma:g}", clean, corrupt, fns, print)
      rows += ev.summarize(records)
  if _JSON.value:
    files.write_json(_JSON.value, rows, indent=1)


if __name__ == "__main__":
  app.run(main)
