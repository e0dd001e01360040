"""The results database: committed at once, survives SIGKILL, migrates old files, refuses what it cannot read."""

import dataclasses
import shutil
import signal
import sqlite3
import textwrap
from pathlib import Path

import pytest

from processes import kill_after
from gui.core.history import HistoryRow
from gui.core.store import SCHEMA_VERSION, BatchRecord, RoundRecord, Store, StoreError
from gui.core.votes import Outcome, Vote

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def a_round(round_id="r1", swapped=False) -> RoundRecord:
    model = lambda label: {"label": label, "path": f"/m/{label}.gguf", "fingerprint": "sampled-sha256:1"}  # noqa: E731
    return RoundRecord(
        id=round_id, created_at="2026-11-23T10:00:00+00:00", chat_id="c1", turn=1, prompt="2 + 2?",
        category="math", mode="parallel", params={"seed": 42}, swapped=swapped,
        left_model=model("A"), right_model=model("B"), left_output="4", right_output="5",
        left_metrics={"tokens": 1}, right_metrics=None, environment={"cores": 2},
    )


def a_vote(round_id="r1", **changes) -> Vote:
    fields = dict(round_id=round_id, model_left="A", model_right="B", outcome=Outcome.LEFT, rater="ann",
                  category="math", rubric_left=3, rubric_right=0, cast_at="2026-11-23T10:01:00+00:00")
    return Vote(**{**fields, **changes})


def test_a_round_and_its_vote_are_readable_by_another_connection_at_once(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    store.add_round(a_round(swapped=True))
    store.add_vote(a_vote())
    other = Store(tmp_path / "results.sqlite")
    assert other.votes() == [a_vote()]
    assert other.round("r1") == a_round(swapped=True)
    (row,) = map(HistoryRow._make, other.history())
    assert row.outcome == "left" and row.left_model == "A" and row.rater == "ann"
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_same_vote_imported_twice_is_kept_once(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    assert store.add_votes([a_vote(), a_vote(round_id="r2")]) == 2
    assert store.add_votes([a_vote(), a_vote(round_id="r3")]) == 1
    assert len(store.votes()) == 3


def test_an_import_that_fails_midway_adds_nothing(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    bad = a_vote(round_id="r9")
    object.__setattr__(bad, "rubric_left", 7)  # past Vote's own check: the database must refuse it too
    with pytest.raises(sqlite3.IntegrityError):
        store.add_votes([a_vote(round_id="r8"), bad])
    assert store.votes() == []


def test_a_database_from_the_first_version_opens_and_keeps_its_rounds(tmp_path):
    old = tmp_path / "results.sqlite"
    shutil.copyfile(FIXTURES / "results-v1.sqlite", old)
    store = Store(old)
    assert store.version == SCHEMA_VERSION > 1
    record = store.round("r-v1")
    assert record.prompt == "What is 2 + 2?" and record.category == "" and record.swapped is False
    store.add_vote(a_vote(round_id="r-v1"))
    assert store.integrity_check() == "ok"


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "results.sqlite"
    Store(path).close()
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer GGUF Arena"):
        Store(path)


def test_a_file_that_is_no_database_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="Move it aside"):
        Store(path)


def test_a_vote_survives_sigkill_right_after_it_is_cast(tmp_path):
    path = tmp_path / "results.sqlite"
    script = textwrap.dedent(
        f"""
        import sys, time
        from gui.core.store import Store
        from gui.core.votes import Vote
        store = Store({str(path)!r})
        store.add_vote(Vote(round_id="r1", model_left="A", model_right="B", outcome="right", rater="bo",
                            cast_at="2026-11-23T10:00:00+00:00"))
        print("voted", flush=True)
        time.sleep(60)
        """
    )
    assert kill_after(script, "voted") == -signal.SIGKILL
    store = Store(path)
    assert [(v.round_id, v.outcome) for v in store.votes()] == [("r1", Outcome.RIGHT)]
    assert store.integrity_check() == "ok"


def test_batch_rounds_keep_their_checks_and_a_planned_round_is_stored_once(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    checks = [{"kind": "number", "passed": True, "detail": "last number 4 = 4"}]
    record = dataclasses.replace(a_round(), batch_id="b1", batch_key="m1#0", item_id="m1", left_checks=checks)
    store.add_round(record)
    assert store.rounds() == [record] and store.rounds("b1") == [record] and store.rounds("other") == []
    assert store.batch_keys_done("b1") == {"m1#0"}
    with pytest.raises(sqlite3.IntegrityError):
        store.add_round(dataclasses.replace(record, id="r2"))
    # Chat rounds carry no batch key: any number of them.
    store.add_round(a_round("c1"))
    store.add_round(a_round("c2"))
    assert len(store.rounds()) == 3


def test_a_repeat_and_its_vote_land_together_or_not_at_all(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    store.add_round(a_round())
    repeat = dataclasses.replace(a_round("r1-again"), repeat_of="r1")
    bad_vote = a_vote("r1-again", repeat_of="r1")
    object.__setattr__(bad_vote, "rubric_left", 9)
    with pytest.raises(sqlite3.IntegrityError):
        store.add_repeat(repeat, bad_vote)
    assert store.round("r1-again") is None and store.votes() == []
    store.add_repeat(repeat, a_vote("r1-again", repeat_of="r1"))
    assert store.round("r1-again").repeat_of == "r1" and store.votes()[0].repeat_of == "r1"


def test_batches_keep_their_plan_settings_and_state(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    batch = BatchRecord("b1", "2026-11-23T10:00:00+00:00", "math", [{"key": "m1#0"}], {"repeats": 1}, "paused")
    store.add_batch(batch)
    store.set_batch_state("b1", "running")
    assert store.batch("b1") == dataclasses.replace(batch, state="running")
    assert store.batches() == [store.batch("b1")] and store.batch("nope") is None
    with pytest.raises(ValueError, match="unknown batch state"):
        store.set_batch_state("b1", "exploded")
