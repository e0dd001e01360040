"""Where the app keeps its data and finds its models."""

import os
import sys
from pathlib import Path

import platformdirs

DATA_ENV = "GGUF_ARENA_DATA"
MODELS_ENV = "GGUF_ARENA_MODELS"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# PyInstaller unpacks the bundled files (resources/) under sys._MEIPASS; from source they sit in the checkout.
RESOURCES_DIR = Path(getattr(sys, "_MEIPASS", PROJECT_ROOT)) / "resources"
RESULTS_FILE = "results.sqlite"  # in the data directory
LOG_FILE = "gguf-arena.log"  # in the data directory, rotated at 1 MiB


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The flag's directory, else $GGUF_ARENA_DATA, else the platform's user data directory; created."""
    chosen = override or os.environ.get(DATA_ENV) or platformdirs.user_data_dir("gguf-arena", appauthor=False)
    path = Path(chosen).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """$GGUF_ARENA_MODELS, else the project's models/ folder where the set-up fetches the default pair.

    A packaged app ships without models: it takes models/ beside its executable, else models/ in
    the working directory, else names the one beside the executable (where to put them).
    """
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    if not getattr(sys, "frozen", False):
        return PROJECT_ROOT / "models"
    beside = Path(sys.executable).resolve().parent / "models"
    here = Path.cwd() / "models"
    return here if here.is_dir() and not beside.is_dir() else beside


def list_models(folder: Path) -> list[str]:
    """The .gguf files in `folder`, sorted by name; none when it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.iterdir() if p.suffix.lower() == ".gguf" and p.is_file())
