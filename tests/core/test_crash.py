"""The crash file a dead session leaves, what the next start reads from it, and the notice it gives."""

import json
import os
import signal
import subprocess
import sys

from gui.core import crash
from gui.core.crash import CrashReport, CrashRecorder, describe, parse_stack, take_last_crash
from processes import ROOT

# A child that notes what its sides do, then dies the way it is told (a real fault, or SIGKILL).
CHILD = """
import faulthandler, os, signal, sys
from pathlib import Path
from gui.core import crash
crash.arm(Path(sys.argv[1]))
crash.note_side("model A", "loading", "SmolLM2.gguf")
crash.note_side("model A", "ready", "SmolLM2.gguf", "repacked (CPU_Mapped, CPU_REPACK)")
crash.note_side("model A", "answering")
crash.note_side("model B", "ready", "gemma.gguf", "plain (CPU_Mapped)")
if sys.argv[2] == "segfault":
    faulthandler._sigsegv()
elif sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
else:
    crash.disarm()
"""

LLAMA_STACK = """Fatal Python error: Segmentation fault

Thread 0x00007f0000000001 (most recent call first):
  File "/app/gui/app.py", line 300 in run_app

Current thread 0x00007f0000000002 (most recent call first):
  File "/venv/lib/python3.11/site-packages/llama_cpp/_internals.py", line 330 in decode
  File "/venv/lib/python3.11/site-packages/llama_cpp/llama.py", line 650 in eval

Extension modules: numpy.core._multiarray_umath (total: 1)
"""


def run_child(data, how: str) -> int:
    done = subprocess.run([sys.executable, "-c", CHILD, str(data), how], cwd=ROOT, capture_output=True, timeout=60)
    return done.returncode


def test_a_segfault_leaves_its_stack_and_what_each_side_was_doing(tmp_path):
    assert run_child(tmp_path, "segfault") == -signal.SIGSEGV
    report = take_last_crash(tmp_path)
    assert report.fault == "Segmentation fault"
    assert not report.in_llama_cpp  # the fault was in the main thread's own call
    assert report.sides == {
        "model A": {"doing": "answering", "model": "SmolLM2.gguf", "weights": "repacked (CPU_Mapped, CPU_REPACK)"},
        "model B": {"doing": "ready", "model": "gemma.gguf", "weights": "plain (CPU_Mapped)"},
    }
    kept = report.kept_at.read_text()
    assert "Fatal Python error: Segmentation fault" in kept and '"answering"' in kept
    # Told once: the session's files are gone, the kept file stays for a bug report.
    assert sorted(p.name for p in (tmp_path / crash.CRASH_DIR).iterdir()) == [report.kept_at.name]
    assert take_last_crash(tmp_path) is None


def test_a_clean_end_leaves_nothing_to_tell(tmp_path):
    assert run_child(tmp_path, "clean") == 0
    assert list((tmp_path / crash.CRASH_DIR).iterdir()) == []
    assert take_last_crash(tmp_path) is None


def test_a_kill_without_a_fault_is_tidied_away_silently(tmp_path):
    assert run_child(tmp_path, "kill") == -signal.SIGKILL
    assert take_last_crash(tmp_path) is None
    assert list((tmp_path / crash.CRASH_DIR).iterdir()) == []


def test_a_session_still_running_is_not_told_of(tmp_path):
    recorder = CrashRecorder(tmp_path)
    try:
        # Another window of the app, as the next start sees it: its stack file has text but it lives.
        folder = tmp_path / crash.CRASH_DIR
        (folder / f"session-{os.getppid()}.stack").write_text(LLAMA_STACK)
        (folder / f"session-{os.getppid()}.json").write_text(
            json.dumps({"process_started": __import__("psutil").Process(os.getppid()).create_time(), "sides": {}}))
        assert take_last_crash(tmp_path) is None
    finally:
        recorder.close()


def test_the_faulting_thread_decides_whether_it_was_inside_llama_cpp():
    assert parse_stack(LLAMA_STACK) == ("Segmentation fault", True)
    other = LLAMA_STACK.replace("Current thread 0x00007f0000000002", "Thread 0x00007f0000000002").replace(
        "Thread 0x00007f0000000001", "Current thread 0x00007f0000000001")
    assert parse_stack(other) == ("Segmentation fault", False)
    assert parse_stack("Fatal Python error: Aborted\n\n") == ("Aborted", False)


def report(tmp_path, weights: str) -> CrashReport:
    return CrashReport("2026-12-06 10:00:00", "Segmentation fault", True,
                       {"model A": {"doing": "answering", "model": "SmolLM2.gguf", "weights": weights},
                        "model B": {"doing": "answering", "model": "gemma.gguf", "weights": weights}},
                       tmp_path / "crash-1.txt")


def test_the_notice_says_where_what_with_which_model_and_what_was_kept(tmp_path):
    text, offer = describe(report(tmp_path, "repacked (CPU_Mapped, CPU_REPACK)"), rounds=12, votes=7, blind=False)
    assert offer
    assert "crash (Segmentation fault) inside llama.cpp" in text
    assert "model A: answering with SmolLM2.gguf, repacked (CPU_Mapped, CPU_REPACK) weights" in text
    assert "12 rounds and 7 votes" in text
    assert "Turning CPU weight repacking off" in text and str(tmp_path / "crash-1.txt") in text


def test_the_notice_names_no_model_while_blind(tmp_path):
    text, _ = describe(report(tmp_path, "plain (CPU_Mapped)"), rounds=1, votes=1, blind=True)
    assert "1 round and 1 vote;" in text
    assert "SmolLM2" not in text and "gemma" not in text
    assert "model A: answering, plain (CPU_Mapped) weights" in text


def test_no_way_out_is_offered_that_was_already_taken(tmp_path):
    text, offer = describe(report(tmp_path, "plain (CPU_Mapped)"), rounds=0, votes=0, blind=False)
    assert not offer
    assert "No weights were repacked" in text


def test_a_fault_in_the_engine_module_is_inside_llama_cpp():
    # The engine's own ctypes calls (llama_set_n_threads, llama_perf_context) leave no frame of their own.
    stack = ('Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n'
             '  File "/app/gui/core/engine.py", line 420 in generate\n  File "/app/gui/bridge/worker.py", line 150\n\n')
    assert parse_stack(stack) == ("Segmentation fault", True)
    assert parse_stack(stack.replace("core/engine.py", "core/store.py")) == ("Segmentation fault", False)
