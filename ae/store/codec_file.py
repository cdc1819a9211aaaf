"""Reading a codec file (.aec) with numpy alone: what decoding needs, no jax or flax.

The file is the msgpack bundle (`ae.store.bundle`) of
  {"format": "ae-codec", "version": 1, "model": <config.model as JSON>,
   "image_shape": [H, W, C], "trained_on": str, "lmbda": float, "step": int,
   "params": <parameters>, "tables": {<latent>: <tables.to_stored of its tables>}}
written by `ae.codec.export`, and optionally "replaces": [SHA-256 hex of earlier files
with the same parameters and tables, whose .ae files this codec decodes], written by
`reissue` (scripts/reissue_codec.py); its identity
is the SHA-256 of its bytes. A lossless
codec (a VAE coded by bits-back, `ae.codec.bitsback`) has "kind": "lossless", empty
"tables" and its integer tables under "bitsback" (`ae.codec.bitsback_tables`); a file
without "kind" is a lossy codec.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

import numpy as np

from ae.compression import tables as tbl
from ae.store import bundle as bundle_lib
from ae.store import params as stored_params
from ae.utils.errors import UserError

FORMAT, VERSION = "ae-codec", 1
KINDS = ("lossy", "lossless")


@dataclasses.dataclass(frozen=True)
class ExportedCodec:
  """A loaded codec file: model spec, float32 parameters, integer tables, metadata."""

  model_spec: dict  # config.model of the run, as stored
  params: dict
  tables: dict
  meta: dict
  sha256: str

  @property
  def lossless(self) -> bool:
    return self.meta["kind"] == "lossless"

  @property
  def model_name(self) -> str:
    return str(self.model_spec["name"])

  @functools.cached_property
  def model_config(self):
    """config.model as an ml_collections ConfigDict (imported on first use)."""
    import ml_collections  # pylint: disable=g-import-not-at-top  # 0.1-0.2 s of start-up

    return ml_collections.ConfigDict(self.model_spec)

  @functools.cached_property
  def model(self):
    """The linen module (for encoder-side refinement and evaluation). Built on first use:
    importing flax costs seconds, and decoding never needs it."""
    from ae.models import build_model  # pylint: disable=g-import-not-at-top  # flax only when the module is used

    return build_model(self.model_config, tuple(self.meta["image_shape"]))


def load_codec(path: str) -> ExportedCodec:
  """Reads and checks a codec file; UserError with one line if it is not one."""
  try:
    with open(path, "rb") as f:
      data = f.read()
  except OSError as e:
    raise UserError(f"{path} is not a readable codec file ({e.strerror or e})") from e
  try:
    bundle = bundle_lib.unpack(data)
  except bundle_lib.BundleError as e:
    raise UserError(f"{path} is not a readable codec file ({e})") from e
  if bundle.get("format") != FORMAT:
    raise UserError(f"{path} is not an ae codec file")
  if bundle.get("version") != VERSION:
    raise UserError(
      f"{path} is codec format version {bundle.get('version')}; this ae reads {VERSION}"
    )
  try:
    spec = json.loads(bundle["model"])
    if not isinstance(spec, dict) or "name" not in spec:
      raise ValueError("no model name")
    meta = {k: bundle[k] for k in ("image_shape", "trained_on", "lmbda", "step")}
    meta["kind"] = str(bundle.get("kind", "lossy"))
    # SHA-256s of earlier files with the same parameters and tables (only metadata
    # changed): files made with those decode with this one.
    meta["replaces"] = [str(h) for h in bundle.get("replaces", [])]
    if not all(len(h) == 64 and set(h) <= set("0123456789abcdef") for h in meta["replaces"]):
      raise ValueError("'replaces' must list SHA-256 hex digests")
    if meta["kind"] not in KINDS:
      raise ValueError(f"unknown codec kind '{meta['kind']}'")
    tables = {k: tbl.from_stored(t) for k, t in bundle["tables"].items()}
    if meta["kind"] == "lossless":
      tables = {k: np.asarray(v) for k, v in bundle["bitsback"].items()}
    params = stored_params.widen(bundle["params"])
  except (KeyError, ValueError, TypeError, AttributeError) as e:
    raise UserError(f"{path} has damaged contents ({type(e).__name__}: {e})") from e
  return ExportedCodec(spec, params, tables, meta, hashlib.sha256(data).hexdigest())


def reissue(data: bytes, step: int) -> bytes:
  """A codec file's bytes re-issued with corrected metadata: the same parameters and
  tables, "step" set to `step` and the old file's SHA-256 added to "replaces"."""
  tree = bundle_lib.unpack(data)
  tree["step"] = int(step)
  tree["replaces"] = [*tree.get("replaces", []), hashlib.sha256(data).hexdigest()]
  return bundle_lib.pack(tree)
