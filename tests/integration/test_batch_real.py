"""The headless batch on the real default pair: a killed batch resumes where it stopped, with no round twice."""

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gguf_files import write_gguf
from gui.core.paths import LOG_FILE
from gui.core.store import Store

pytestmark = pytest.mark.integration

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny.toml"


def batch_command(default_pair, suite, db) -> list[str]:
    return [sys.executable, "-m", "gui", "batch", "--left", default_pair[0], "--right", default_pair[1],
            "--suite", str(suite), "--db", str(db), "--repeats", "2", "--controls", "1", "--max-tokens", "8"]


def test_a_batch_killed_midway_resumes_without_repeating_or_losing_a_round(default_pair, tmp_path):
    db = tmp_path / "results.sqlite"
    child = subprocess.Popen(batch_command(default_pair, SUITE, db), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        for line in child.stdout:
            if re.search(r"\]\s+2/7\b", line):
                break
        else:
            pytest.fail("the batch ended before its second round")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    store = Store(db)
    (batch,) = store.batches()
    first = {r.batch_key: r.id for r in store.rounds(batch.id)}
    assert len(first) >= 2 and batch.state == "running" and store.integrity_check() == "ok"

    done = subprocess.run(batch_command(default_pair, SUITE, db), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert f"Resuming batch {batch.id[:8]} at {len(first)} of 7 rounds" in done.stdout
    assert "Finished" in done.stdout
    rounds = store.rounds(batch.id)
    keys = [r.batch_key for r in rounds]
    assert sorted(keys) == sorted(e["key"] for e in batch.plan) and len(set(keys)) == 7
    assert {r.batch_key: r.id for r in rounds if r.batch_key in first} == first  # the first run's rounds stay as they were
    assert store.batch(batch.id).state == "finished"
    add = [r for r in rounds if r.item_id == "add" and not r.control]
    assert all(r.left_checks[0]["kind"] == "number" and r.right_checks for r in add)
    control = next(r for r in rounds if r.control)
    assert control.left_model == control.right_model
    assert all(r.left_metrics["contended"] is False and r.right_metrics["error"] is None for r in rounds)


def test_a_missing_suite_says_which_suites_there_are(default_pair, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "gui", "batch", "--left", default_pair[0], "--right", default_pair[1],
         "--suite", "nonsense", "--db", str(tmp_path / "r.sqlite")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "logic" in done.stderr and "nonsense" in done.stderr


def test_a_model_that_does_not_load_gets_its_reason_and_the_log_file_path(tmp_path):
    tiny = write_gguf(tmp_path / "tiny.gguf")  # a readable header, but llama.cpp refuses it: no embedding length
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "gui", "batch", "--left", str(tiny), "--right", str(tiny), "--suite", str(SUITE),
         "--db", str(tmp_path / "r.sqlite"), "--data-dir", str(data)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "'tiny.gguf' lacks the setting 'llama.embedding_length'" in done.stderr
    assert f"llama.cpp's full log of this load: {data / LOG_FILE}" in done.stderr
    assert "llama.embedding_length" in (data / LOG_FILE).read_text()  # the file named holds llama.cpp's lines
