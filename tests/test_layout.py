"""The package's layout (docs/layout.md): every module imports, imports run one way from
the command line down to plain utilities, the library never imports experiments/, and
module-level imports form no cycle."""

import ast
import importlib
import os
import pkgutil

import pytest

import ae

# Bottom to top: a package may import its own modules and those of lower layers only.
LAYERS = [
  {"ae.utils"},
  {"ae.ops", "ae.layers"},
  {"ae.data"},
  {"ae.compression"},
  {"ae.models"},
  {"ae.store"},
  {"ae.codec"},
  {"ae.baselines"},
  {"ae.rd"},
  {"ae.denoise"},
  {"ae.train"},
  {"ae.viz"},
  {"ae.cli", "ae.commands", "ae.__main__", "ae"},
]
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
ROOT = os.path.dirname(ae.__file__)


def _modules() -> list[str]:
  return ["ae"] + [m.name for m in pkgutil.walk_packages(ae.__path__, "ae.")]


ALL = set(_modules())


def _package(module: str) -> str:
  parts = module.split(".")
  return ".".join(parts[:2]) if len(parts) > 1 else "ae"


def _source(module: str) -> str:
  rel = module.split(".")[1:]
  path = os.path.join(ROOT, *rel)
  path = os.path.join(path, "__init__.py") if os.path.isdir(path) else path + ".py"
  with open(path, encoding="utf-8") as f:
    return f.read()


def _imports(module: str, top_level_only: bool = False) -> set[str]:
  """The ae.* and experiments.* modules `module` imports (at any depth, or at top level)."""
  tree = ast.parse(_source(module))
  nodes = tree.body if top_level_only else ast.walk(tree)
  out = set()
  for node in nodes:
    if isinstance(node, ast.Import):
      out |= {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
      subs = {f"{node.module}.{a.name}" for a in node.names} & ALL
      out |= subs or {node.module}  # `from pkg import module` imports that module
  return {m for m in out if m.split(".")[0] in ("ae", "experiments")}


def test_every_module_is_in_a_layer_and_imports():
  for m in _modules():
    assert _package(m) in RANK, f"{m} belongs to no layer of tests/test_layout.py"
    importlib.import_module(m)


@pytest.mark.parametrize("module", _modules())
def test_imports_run_down_the_layers(module):
  mine = RANK[_package(module)]
  for imported in _imports(module):
    assert not imported.startswith("experiments"), f"{module} imports {imported}"
    pkg = _package(imported)
    if pkg in RANK:
      assert RANK[pkg] <= mine, f"{module} (layer {mine}) imports {imported} (layer {RANK[pkg]})"


def test_module_level_imports_have_no_cycle():
  modules = set(_modules())
  graph = {
    m: {i for i in _imports(m, top_level_only=True) if i in modules and i != m} for m in modules
  }
  state: dict[str, int] = {}

  def visit(m, path):
    state[m] = 1
    for n in graph[m]:
      if state.get(n) == 1:
        raise AssertionError("import cycle: " + " -> ".join(path + [m, n]))
      if not state.get(n):
        visit(n, path + [m])
    state[m] = 2

  for m in sorted(modules):
    if not state.get(m):
      visit(m, [])
