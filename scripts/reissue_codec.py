r"""Re-issues a codec file with corrected metadata: the same parameters and tables.

  python scripts/reissue_codec.py --codec=OLD.aec --step=65000 --out=NEW.aec

The new file records `--step` (the training steps behind it) and lists OLD's SHA-256
under "replaces" (ae/store/codec_file.py), so that .ae files made with OLD name a codec
that decodes them: `ae.codec.registry.by_id` finds NEW for them. Nothing that decides a
symbol or a pixel changes; the decoded images are the same (tests/test_golden.py re-issues
a tiny codec and decodes a file of its earlier edition). A retrained codec is not a
re-issue: its parameters differ, and files made with the earlier one name a codec that is
no longer installed (`ae decompress` says so in one line).
"""

from __future__ import annotations

from absl import app, flags

_CODEC = flags.DEFINE_string("codec", None, "The codec file to re-issue.", required=True)
_STEP = flags.DEFINE_integer("step", None, "Training steps behind it.", required=True)
_OUT = flags.DEFINE_string("out", None, "The new codec file.", required=True)


def main(argv):
  del argv
  from ae.codec import export, registry  # pylint: disable=g-import-not-at-top
  from ae.store.codec_file import reissue  # pylint: disable=g-import-not-at-top

  with open(_CODEC.value, "rb") as f:
    data = f.read()
  registry.load(_CODEC.value)  # refuse anything that is not a readable codec
  digest = export.write_once(_OUT.value, reissue(data, _STEP.value))
  new = registry.load(_OUT.value)
  print(
    f"{_OUT.value}: sha256 {digest[:16]}, step {new.exported.meta['step']}, replaces "
    f"{', '.join(h[:16] for h in new.exported.meta['replaces'])}"
  )


if __name__ == "__main__":
  app.run(main)
