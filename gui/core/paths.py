"""Where the app keeps its data and finds its models."""

import os
from pathlib import Path

import platformdirs

DATA_ENV = "GGUF_ARENA_DATA"
MODELS_ENV = "GGUF_ARENA_MODELS"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_FILE = "results.sqlite"  # in the data directory


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The flag's directory, else $GGUF_ARENA_DATA, else the platform's user data directory; created."""
    chosen = override or os.environ.get(DATA_ENV) or platformdirs.user_data_dir("gguf-arena", appauthor=False)
    path = Path(chosen).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """$GGUF_ARENA_MODELS, else the project's models/ folder where the set-up fetches the default pair."""
    return Path(os.environ.get(MODELS_ENV) or PROJECT_ROOT / "models")


def list_models(folder: Path) -> list[str]:
    """The .gguf files in `folder`, sorted by name; none when it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.iterdir() if p.suffix.lower() == ".gguf" and p.is_file())
