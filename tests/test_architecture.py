"""The layer rules of DESIGN.md, checked by parsing every module's imports."""

import ast
from pathlib import Path

import pytest

GUI = Path(__file__).resolve().parents[1] / "gui"
FORBIDDEN = {
    "core": ("PySide6", "matplotlib", "qasync", "gui.bridge", "gui.widgets", "gui.app"),
    "bridge": ("PySide6.QtWidgets", "PySide6.QtGui", "matplotlib", "gui.widgets", "gui.app"),
    "widgets": ("llama_cpp", "sqlite3", "psutil", "gui.bridge", "gui.app"),
}


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


def modules():
    return sorted(GUI.rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_what_they_may(layer):
    broken = {
        f"{path.relative_to(GUI)} imports {name}"
        for path in (GUI / layer).rglob("*.py")
        for name in imports_of(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])
    }
    assert not broken, sorted(broken)


def test_only_the_engine_imports_llama_cpp():
    importers = [
        str(path.relative_to(GUI))
        for path in modules()
        if any(name == "llama_cpp" or name.startswith("llama_cpp.") for name in imports_of(path))
    ]
    assert importers == ["core/engine.py"]


def test_llama_cpp_is_imported_lazily():
    tree = ast.parse((GUI / "core" / "engine.py").read_text())
    top_level = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top_level |= {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert not {name for name in top_level if name and name.startswith("llama_cpp")}


def test_the_rule_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6.QtWidgets import QLabel\n")
    assert "PySide6.QtWidgets" in imports_of(bad)
