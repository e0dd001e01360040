"""The house's rules: import-linter's contracts in pyproject.toml, and what they cannot say (Qt's submodules, laziness)."""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUI = ROOT / "gui"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess:
    # No cache: it would leave a folder in the checkout.
    return subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(cwd)})


def test_every_import_contract_is_kept():
    done = lint_imports(ROOT / "pyproject.toml", ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_module_stands_in_a_layer():
    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    rooms = {room.strip() for layer in layers for room in layer.split("|")}
    modules = {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in GUI.rglob("*.py")}
    homeless = {m for m in modules - {"gui.__init__"} if not any(m == r or m.startswith(r + ".") for r in rooms)}
    assert not homeless, f"place these in a layer of [tool.importlinter]: {sorted(homeless)}"


def test_a_layer_that_imports_upward_breaks_the_contract(tmp_path):
    house = tmp_path / "house"
    house.mkdir()
    (house / "__init__.py").write_text("")
    (house / "top.py").write_text("")
    (house / "low.py").write_text("def late():\n    from house import top\n")  # lazy imports count too
    config = tmp_path / "contracts.toml"
    config.write_text('[tool.importlinter]\nroot_package = "house"\n\n[[tool.importlinter.contracts]]\n'
                      'name = "layers"\ntype = "layers"\nlayers = ["house.top", "house.low"]\n')
    done = lint_imports(config, tmp_path)
    assert done.returncode == 1 and "house.low -> house.top" in done.stdout


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_bridge_uses_qt_core_alone():
    # import-linter names an external package only whole, so PySide6's submodules are checked here.
    broken = sorted(
        f"{path.relative_to(GUI)} imports {name}"
        for path in (GUI / "bridge").rglob("*.py")
        for name in imports_of(path)
        if name.startswith(("PySide6.QtWidgets", "PySide6.QtGui"))
    )
    assert not broken


def test_llama_cpp_is_imported_lazily():
    tree = ast.parse((GUI / "core" / "engine.py").read_text())
    top_level = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top_level |= {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert not {name for name in top_level if name and name.startswith("llama_cpp")}


def test_the_submodule_check_sees_a_lazy_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6.QtWidgets import QLabel\n")
    assert "PySide6.QtWidgets" in imports_of(bad)
