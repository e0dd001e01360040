"""Where models are found: from source, from a packaged (frozen) app, or where the environment says."""

import sys

import pytest

from gui.core import paths
from gui.core.paths import MODELS_ENV, PROJECT_ROOT, models_dir


@pytest.fixture
def frozen_app(tmp_path, monkeypatch):
    """A packaged app's executable in tmp/app, run from tmp/work, as PyInstaller sets sys up."""
    app = tmp_path / "app"
    work = tmp_path / "work"
    app.mkdir()
    work.mkdir()
    monkeypatch.delenv(MODELS_ENV, raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "gguf-arena"))
    monkeypatch.chdir(work)
    return app, work


def test_from_source_the_checkout_models_folder(monkeypatch):
    monkeypatch.delenv(MODELS_ENV, raising=False)
    assert models_dir() == PROJECT_ROOT / "models"


def test_the_environment_wins(tmp_path, monkeypatch, frozen_app):
    monkeypatch.setenv(MODELS_ENV, str(tmp_path / "elsewhere"))
    assert models_dir() == tmp_path / "elsewhere"


def test_frozen_takes_models_beside_the_executable_first(frozen_app):
    app, work = frozen_app
    (app / "models").mkdir()
    (work / "models").mkdir()
    assert models_dir() == app / "models"


def test_frozen_takes_models_in_the_working_directory(frozen_app):
    app, work = frozen_app
    (work / "models").mkdir()
    assert models_dir() == work / "models"


def test_frozen_without_any_names_the_folder_beside_the_executable(frozen_app):
    app, _ = frozen_app
    assert models_dir() == app / "models"


def test_resources_come_from_the_checkout_when_not_frozen():
    assert not hasattr(sys, "_MEIPASS")
    assert paths.RESOURCES_DIR == PROJECT_ROOT / "resources"
    assert (paths.RESOURCES_DIR / "prompts" / "logic.toml").is_file()
