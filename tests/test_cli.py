"""The sub-commands that need no display: the leaderboard of a votes file and the report of a results database."""

import json

import pytest

from gui.cli import main
from gui.core.store import Store
from gui.core.votes import Vote
from gui.core.votes_io import write_jsonl
from test_rating_queue_window import a_round


def test_leaderboard_of_a_votes_file_as_json_best_first(tmp_path, capsys):
    votes = [Vote(f"r{i}", "A", "B", "left" if i % 4 else "right") for i in range(12)]
    write_jsonl(votes, tmp_path / "votes.jsonl")
    assert main(["leaderboard", "--votes", str(tmp_path / "votes.jsonl"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["model"] for row in rows] == ["A", "B"]
    assert set(rows[0]) == {"model", "rating", "ci_low", "ci_high", "wins", "losses", "ties", "votes"}
    assert (rows[0]["wins"], rows[0]["losses"], rows[0]["votes"]) == (9, 3, 12)
    assert rows[0]["ci_low"] <= rows[0]["rating"] <= rows[0]["ci_high"]


def test_leaderboard_of_a_fastchat_file_as_a_table(tmp_path, capsys):
    battles = tmp_path / "battles.jsonl"
    battles.write_text("\n".join(json.dumps({"model_a": "x", "model_b": "y", "winner": w, "question_id": str(i)})
                                 for i, w in enumerate(["model_a", "model_a", "tie (bothbad)", "model_b"])))
    assert main(["leaderboard", "--votes", str(battles)]) == 0
    out = capsys.readouterr().out
    assert out.index(" x ") < out.index(" y ") and "Position bias" in out


def test_leaderboard_of_a_broken_file_says_what_is_wrong(tmp_path, capsys):
    broken = tmp_path / "votes.jsonl"
    broken.write_text("{not json\n")
    assert main(["leaderboard", "--votes", str(broken)]) == 1
    assert "votes.jsonl" in capsys.readouterr().err


def test_report_of_a_results_database(tmp_path, capsys):
    store = Store(tmp_path / "results.sqlite")
    store.add_round(a_round(1))
    store.add_vote(Vote("r1", "Alphamodel-7B.Q5_K_M", "Betamodel-3B.Q8_0", "left", rater="kim"))
    store.close()
    out = tmp_path / "report"
    assert main(["report", "--db", str(tmp_path / "results.sqlite"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.html")
    html = (out / "report.html").read_text()
    assert all(f'id="{section}"' in html for section in ("pair", "metrics", "quality", "charts", "reproducibility"))
    assert (out / "charts").is_dir()



def test_report_of_a_missing_database_names_it_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "nope.sqlite"
    assert main(["report", "--db", str(missing), "--out", str(tmp_path / "report")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{missing}: no such results database.") and "results.sqlite" in err
    assert not missing.exists() and not (tmp_path / "report").exists()


def test_missing_display_libraries_are_named_from_source_but_not_in_a_packaged_app(monkeypatch):
    import ctypes.util
    import sys

    from gui.app import missing_display_libraries

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else f"lib{name}.so")
    assert missing_display_libraries() == ["libxcb-cursor0"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert missing_display_libraries() == []


@pytest.mark.parametrize("levels", ["0,1", "1,65", "two", ""])
def test_a_load_run_refuses_levels_out_of_bounds(levels, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["load", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--levels", levels])
    assert exited.value.code == 2
    assert "from 1 to 64" in capsys.readouterr().err
