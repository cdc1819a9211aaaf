r"""The photo codecs with a context for y, from photo_codec.py's mbt2018-mean transforms and
hyperprior (N=64, M=96):
- `ms2020` (the default; Minnen and Singh 2020): y in 4 slices of 24 channels, each
  slice's mean and scale predicted from the hyper-synthesis features and the slices
  before it, plus latent residual prediction;
- `he2021` (He et al. 2021): y's checkerboard anchors coded first, the other half with
  means and scales corrected from the decoded anchors (`:he2021`);
- `mbt`: mbt2018-mean itself, trained on the same crops (the comparisons' baseline).

It starts from a shipped mean-scale codec (`train.init_partial`: g_a, g_s, h_a, h_s and
the z entropy model are taken, the slice or context networks start fresh) and trains on the same
crops as photo_codec.py. The comparison at equal steps, 4,000 steps each (docs/compression.md, "The
channel-conditional entropy model") trains both from photo-mbt-q6 on the same crops:

  python -m experiments.train --config=experiments/configs/photo_channel.py \
      --workdir=workdirs/cc_ms2020
  python -m experiments.train --config=experiments/configs/photo_channel.py:mbt \
      --workdir=workdirs/cc_mbt
  python -m experiments.export_codec --workdir=workdirs/cc_ms2020 \
      --out=workdirs/cc_ms2020/codec.aec
"""

from experiments.configs import photo_codec


def get_config(arg: str = "ms2020"):
  config = photo_codec.get_config()
  config.model.name = arg if arg != "mbt" else "mbt2018_mean"
  if config.model.name == "ms2020":
    config.model.slices = 4
  config.rd.lmbda = 0.013
  config.train.init_from = "ae/store/codecs/photo-mbt-q6.aec"
  config.train.init_partial = config.model.name in ("ms2020", "he2021")
  config.data.crop_seed = 2
  config.train.num_steps = 4000  # the comparison's run: 4,000 steps at a constant rate
  config.train.lr_drop_step = 0
  return config
