"""The built one-folder app (dist/gguf-arena, from `make package`) runs headless on the default pair."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "dist" / "gguf-arena"
APP = APP_DIR / ("gguf-arena.exe" if sys.platform == "win32" else "gguf-arena")
RUN_TIMEOUT_S = 600  # a generous bound: it only proves the app did not hang

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_TIMEOUT_S + 60)]


@pytest.fixture(scope="module")
def app() -> Path:
    if not APP.is_file():
        pytest.skip(f"{APP} is not built: run `make package` (it builds the app, then runs these tests)")
    return APP


def run_app(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The packaged app with `args`, headless, outside any environment that would point it at models or data."""
    env = {k: v for k, v in os.environ.items() if k not in ("GGUF_ARENA_MODELS", "GGUF_ARENA_DATA")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [str(APP), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


def check_smoke(done: subprocess.CompletedProcess, out: Path) -> dict:
    """Exit 0, no traceback, a screenshot, and both sides' figures in metrics.json; returns the report."""
    assert done.returncode == 0, done.stdout + done.stderr
    # A module the bundle lacks can fail on a side thread and leave the exit code alone.
    assert "Traceback" not in done.stderr, done.stderr
    assert (out / "screenshot.png").stat().st_size > 10_000
    report = json.loads((out / "metrics.json").read_text())
    assert [side["side"] for side in report["sides"]] == ["left", "right"]
    for side in report["sides"]:
        assert side["error"] is None, side
        assert side["tokens"] > 0 and side["decode_tps"] > 0 and side["ttft_s"] > 0, side
        assert side["load_s"] > 0 and side["memory_bytes"] > 0, side
        assert side["answer"].strip(), side
    return report


@pytest.fixture(scope="module")
def smoked(app, default_pair, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One smoke run on the default pair named on the command line, from a folder without models/."""
    base = tmp_path_factory.mktemp("packaged")
    left, right = default_pair
    done = run_app(
        "smoke", "--out", str(base / "out"), "--data-dir", str(base / "data"),
        "--left", left, "--right", right, "--mode", "sequential",
        cwd=base,
    )
    return base, done


def test_smoke_on_the_default_pair_given_by_path(smoked, default_pair):
    base, done = smoked
    report = check_smoke(done, base / "out")
    assert [side["model_file"] for side in report["sides"]] == list(default_pair)
    assert (base / "data" / "results.sqlite").is_file()
    assert "llama_model_loader" in (base / "data" / "gguf-arena.log").read_text()  # llama.cpp's log reached ours


def test_smoke_finds_models_in_the_working_directory(app, default_pair, tmp_path):
    done = run_app("smoke", "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "data"), cwd=ROOT)
    report = check_smoke(done, tmp_path / "out")
    found = [Path(side["model_file"]).resolve() for side in report["sides"]]
    assert found == [Path(path).resolve() for path in default_pair]


def test_without_models_anywhere_it_says_where_to_put_them(app, tmp_path):
    done = run_app("smoke", "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert done.returncode == 1
    report = json.loads((tmp_path / "out" / "metrics.json").read_text())
    where = APP.resolve().parent / "models"  # beside the app, where a packaged app looks first
    assert all(side["error"].startswith(f"no model file given: put the default pair in {where} ")
               and "--left and --right" in side["error"] for side in report["sides"])


def test_the_report_draws_its_charts(smoked, tmp_path):
    base, _ = smoked
    done = run_app("report", "--data-dir", str(base / "data"), "--out", str(tmp_path / "report"), cwd=base)
    assert done.returncode == 0, done.stdout + done.stderr
    page = Path(done.stdout.strip().splitlines()[-1])
    assert page.is_file() and "<html" in page.read_text().lower()
    charts = list((tmp_path / "report").rglob("*.png"))
    assert charts and all(chart.stat().st_size > 1000 for chart in charts)


def test_the_leaderboard_matches_the_source_app(app, tmp_path):
    # Two judges on the same battles: the fit (scipy.optimize), position bias (scipy.stats) and
    # agreement (statsmodels) all run, in the frozen app as from source.
    winners = ["model_a", "model_b", "model_a", "tie", "model_a", "model_b", "model_a", "model_a"]
    lines = [
        json.dumps({"question_id": q, "model_a": "small", "model_b": "large", "judge": judge,
                    "winner": winners[(q + offset) % len(winners)]})
        for q in range(8)
        for judge, offset in (("ana", 0), ("ben", 1))
    ]
    votes = tmp_path / "votes.jsonl"
    votes.write_text("\n".join(lines) + "\n")
    frozen = run_app("leaderboard", "--votes", str(votes), cwd=tmp_path)
    source = subprocess.run([sys.executable, "-m", "gui", "leaderboard", "--votes", str(votes)],
                            cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr
    assert source.returncode == 0, source.stdout + source.stderr
    assert "kappa" in frozen.stdout.lower()
    assert frozen.stdout == source.stdout


def test_a_batch_runs_a_shipped_suite(app, default_pair, tmp_path):
    left, right = default_pair
    done = run_app(
        "batch", "--left", left, "--right", right, "--suite", "poetry",
        "--max-tokens", "4", "--threads", "1", "--data-dir", str(tmp_path / "data"), cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shipped = tomllib.loads((ROOT / "resources" / "prompts" / "poetry.toml").read_text())
    assert f"Finished: {len(shipped['prompts'])} rounds" in done.stdout


def test_the_bundle_holds_the_native_library_resources_and_no_models():
    if not APP.is_file():
        pytest.skip(f"{APP} is not built: run `make package`")
    internal = APP_DIR / "_internal"
    assert list((internal / "llama_cpp" / "lib").glob("*llama*"))
    shipped = {p.name for p in (ROOT / "resources" / "prompts").glob("*.toml")}
    assert {p.name for p in (internal / "resources" / "prompts").glob("*.toml")} == shipped
    assert (internal / "resources" / "icons" / "gguf-arena.svg").is_file()
    # Qt draws the SVG window icon through its svg plugins: without them the window has none.
    assert list((internal / "PySide6" / "Qt" / "plugins").rglob("*qsvg*"))
    assert not list(APP_DIR.rglob("*.gguf"))
