"""The one store of trained models: search path, old paths of shipped models, step history."""

import os

import pytest

from ae.store import bundle, catalog
from ae.train import restore


def test_catalog_searches_the_variable_first_and_names_what_is_installed(tmp_path, monkeypatch):
  (tmp_path / "mine.aed").write_bytes(b"x")
  (tmp_path / "photo-unet-gray.aed").write_bytes(b"y")
  monkeypatch.setenv("AE_DENOISER_PATH", str(tmp_path))
  found = catalog.files(catalog.DENOISERS)
  assert found["mine"] == str(tmp_path / "mine.aed")
  assert found["photo-unet-gray"] == str(tmp_path / "photo-unet-gray.aed")  # shadows shipped
  assert "photo-unet-gray-blind" in found  # shipped, from ae/store/denoisers/
  with pytest.raises(catalog.ModelNotFoundError, match="no denoiser named 'nope'.*mine"):
    catalog.find(catalog.DENOISERS, "nope")


def test_unknown_names_list_the_installed_models_in_number_order(tmp_path, monkeypatch):
  for q in (10, 2, 1):
    (tmp_path / f"m-q{q}.aed").write_bytes(b"")
  monkeypatch.setenv("AE_DENOISER_PATH", str(tmp_path))
  with pytest.raises(catalog.ModelNotFoundError, match="m-q1, m-q2, m-q10"):
    catalog.find(catalog.DENOISERS, "nope")
  with pytest.raises(catalog.ModelNotFoundError, match="no such denoiser file"):
    catalog.find(catalog.DENOISERS, str(tmp_path / "missing.aed"))


def test_old_shipped_model_paths_map_into_the_store(monkeypatch):
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  monkeypatch.chdir(root)
  assert restore.moved_model_path("ae/denoisers/photo-unet-gray.aed") == (
    "ae/store/denoisers/photo-unet-gray.aed"
  )
  assert restore.moved_model_path("ae/codecs/nope.aec") == "ae/codecs/nope.aec"
  with pytest.raises(Exception, match="no such model file or workdir"):
    restore.prior_steps("no/such/place")
  assert not os.path.exists("no/such/place")  # nothing created for a wrong path


def test_steps_behind_a_run_are_recorded_when_it_starts(tmp_path):
  model = tmp_path / "m.aed"
  model.write_bytes(bundle.pack({"format": "ae-denoiser", "step": 700}))
  wd = tmp_path / "run"
  wd.mkdir()
  restore.record_init_steps(str(wd), str(model))
  model.write_bytes(bundle.pack({"format": "ae-denoiser", "step": 9999}))  # replaced later
  assert restore.run_prior_steps(str(wd), str(model)) == 700
