"""The headless self-check with fake engines: what it reports when a side has no file."""

import json

import pytest

from fakes import FakeEngine
from gui.core.paths import MODELS_ENV
from gui.commands.smoke import run_smoke


@pytest.fixture
def arena(make_arena):
    return make_arena((FakeEngine(), FakeEngine()), blind=False)


def test_without_model_files_it_says_where_they_belong_and_fails(arena, event_loop, tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_ENV, str(tmp_path / "models"))
    out = tmp_path / "out"
    assert event_loop.run_until_complete(run_smoke(arena, None, None, "hi", out)) == 1
    sides = json.loads((out / "metrics.json").read_text())["sides"]
    assert [side["error"] for side in sides] == [
        f"no model file given: put the default pair in {tmp_path / 'models'} (`make models` in a source checkout "
        "fetches it), or name the files with --left and --right"
    ] * 2
    assert (out / "screenshot.png").is_file()
