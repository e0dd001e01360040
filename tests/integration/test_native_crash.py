"""A native crash mid-answer kills the app; the next start says so in plain words and offers the safe path."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gui.core.crash import CRASH_DIR
from gui.core.store import Store
from processes import ROOT

pytestmark = pytest.mark.integration


def smoke(data: Path, out: Path, pair, **popen) -> subprocess.Popen:
    """The real app's headless self-check: both models load, then one Race round with a long answer to cut."""
    return subprocess.Popen(
        [sys.executable, "-m", "gui", "smoke", "--out", str(out), "--data-dir", str(data),
         "--left", pair[0], "--right", pair[1], "--prompt", "Count from one to five hundred in words."],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
    )


def wait_until_answering(child: subprocess.Popen, data: Path, timeout_s: float = 120) -> None:
    """Until the crash recorder's note says a side is answering."""
    note = data / CRASH_DIR / f"session-{child.pid}.json"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert child.poll() is None, f"the app ended before it answered: {child.communicate()[1][-2000:]}"
        try:
            sides = json.loads(note.read_text())["sides"]
        except (OSError, ValueError, KeyError):
            sides = {}
        if any(state["doing"] == "answering" for state in sides.values()):
            return
        time.sleep(0.01)
    pytest.fail("no side began answering")


def cpu_ticks(pid: int, tid: int) -> tuple[str, int]:
    """A thread's state letter and the CPU time it has used, in clock ticks (/proc/PID/task/TID/stat)."""
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], int(fields[11]) + int(fields[12])


def wait_until_decoding(pid: int, tid: int, timeout_s: float = 60) -> None:
    """Until the thread has run 50 ms of CPU since now and is running: inside llama.cpp's decode, not idle."""
    _, start = cpu_ticks(pid, tid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state, ticks = cpu_ticks(pid, tid)
        if state == "R" and ticks - start >= os.sysconf("SC_CLK_TCK") // 20:
            return
        time.sleep(0.002)
    pytest.fail("the engine thread never got busy")


def engine_thread(pid: int) -> int:
    """The thread id of side A's worker (Qt names the OS thread after the QThread: engine-a)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        if (task / "comm").read_text().strip() == "engine-a":
            return int(task.name)
    pytest.fail("no engine-a thread in the app")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the engine thread through /proc")
def test_a_segfault_mid_answer_is_told_at_the_next_start(tmp_path, default_pair):
    data = tmp_path / "data"
    first = smoke(data, tmp_path / "first", default_pair)
    try:
        wait_until_answering(first, data)
        thread = engine_thread(first.pid)
        wait_until_decoding(first.pid, thread)
        # The fault arrives on the engine's thread while it decodes, as a kernel bug's would.
        ctypes.CDLL(None, use_errno=True).tgkill(first.pid, thread, signal.SIGSEGV)
        _, stderr = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == -signal.SIGSEGV, stderr[-2000:]

    second = smoke(data, tmp_path / "second", default_pair)
    _, stderr = second.communicate(timeout=240)
    assert second.returncode == 0, stderr[-2000:] + (tmp_path / "second" / "metrics.json").read_text()
    assert "The last session ended in a crash (Segmentation fault) inside llama.cpp" in stderr
    assert "model A: answering with SmolLM2-135M-Instruct.Q4_1.gguf" in stderr
    assert "weights" in stderr and ("repacked (" in stderr or "plain (" in stderr)
    # The first session stored nothing before it died; the second stored its round after telling.
    assert "the results hold 0 rounds and 0 votes" in stderr
    kept = list((data / CRASH_DIR).glob("crash-*.txt"))
    assert len(kept) == 1 and str(kept[0]) in stderr
    assert "llama_cpp" in kept[0].read_text()
    store = Store(data / "results.sqlite")
    try:
        assert store.counts()[0] >= 1  # the next start works as before
    finally:
        store.close()
    # Told once: a third start has nothing to say.
    assert not list((data / CRASH_DIR).glob("session-*"))
