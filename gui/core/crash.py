"""A native crash is never silent: its stack goes to a file in the data directory, and the next start tells of it.

llama.cpp can end the process from inside (a segfault in a kernel, a GGML_ASSERT) where no Python
exception can be caught. faulthandler writes every thread's stack into this session's file as the
process dies; beside it a small note says what each side was doing with which model and weight
buffers. A clean exit removes both; the next start finds the pair a dead session left.
"""

import faulthandler
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CRASH_DIR = "crashes"
_SESSION = re.compile(r"session-(\d+)\.stack$")
_FATAL = re.compile(r"Fatal Python error: (.+)")
# A frame in llama-cpp-python, or in the engine module, whose ctypes calls into llama.cpp leave no frame of their own.
_LLAMA_FRAME = re.compile(r"llama_cpp[/\\]|gui[/\\]core[/\\]engine\.py")


@dataclass(frozen=True)
class CrashReport:
    """What a dead session left: when, which fault, whether in llama.cpp, what each side was doing."""

    ended_at: str
    fault: str  # "Segmentation fault", "Aborted", …
    in_llama_cpp: bool
    sides: dict[str, dict]  # side name → {"doing", "model", "weights"}
    kept_at: Path  # the file that keeps the stack and the note, for a bug report


class CrashRecorder:
    """Arms faulthandler into this session's file and keeps the note of what the sides are doing."""

    def __init__(self, data: Path):
        self.folder = data / CRASH_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self._stack_path = self.folder / f"session-{os.getpid()}.stack"
        self._note_path = self.folder / f"session-{os.getpid()}.json"
        import psutil  # imported after the window's first paint, where the recorder is armed

        self._started = psutil.Process().create_time()
        self._sides: dict[str, dict] = {}
        self._stack = open(self._stack_path, "w", encoding="utf-8")  # noqa: SIM115 - held open until close()
        self._was_enabled = faulthandler.is_enabled()  # python -X faulthandler, or pytest: to standard error
        faulthandler.enable(self._stack, all_threads=True)
        self._write_note()

    def side_state(self, side: str, doing: str, model: str | None = None, weights: str | None = None) -> None:
        """Note what `side` does now ("loading", "ready", "answering", "closed"), with its model and weight buffers."""
        known = self._sides.get(side, {})
        self._sides[side] = {"doing": doing, "model": model or known.get("model"),
                             "weights": weights or (known.get("weights") if model is None else None)}
        self._write_note()

    def _write_note(self) -> None:
        # Whole or not at all: a crash while writing must not leave half a note to misread.
        partial = self._note_path.with_suffix(".part")
        partial.write_text(json.dumps({"process_started": self._started, "sides": self._sides}), encoding="utf-8")
        os.replace(partial, self._note_path)

    def close(self) -> None:
        """A clean end: disarm faulthandler and remove this session's files."""
        faulthandler.disable()
        if self._was_enabled:
            faulthandler.enable(sys.stderr, all_threads=True)
        self._stack.close()
        _remove_session_files(self._stack_path)


_recorder: CrashRecorder | None = None


def arm(data: Path) -> CrashRecorder:
    """Start recording for this process (once; a second call returns the first recorder)."""
    global _recorder
    if _recorder is None:
        _recorder = CrashRecorder(data)
    return _recorder


def disarm() -> None:
    """A clean end of the process's recording."""
    global _recorder
    if _recorder is not None:
        _recorder.close()
        _recorder = None


def note_side(side: str, doing: str, model: str | None = None, weights: str | None = None) -> None:
    """CrashRecorder.side_state on the process's recorder; nothing where none is armed (tests, helpers)."""
    if _recorder is not None:
        _recorder.side_state(side, doing, model, weights)


def _still_running(pid: int, started: float | None) -> bool:
    """Whether the session that wrote the files lives on (another window of the app, not a reused pid)."""
    import psutil

    try:
        return started is not None and abs(psutil.Process(pid).create_time() - started) < 1
    except psutil.Error:
        return False


def parse_stack(text: str) -> tuple[str, bool]:
    """(the fault's name, whether the thread that faulted was inside llama.cpp) from faulthandler's text."""
    fault = _FATAL.search(text)
    current = text.split("Current thread", 1)[1].split("\n\n", 1)[0] if "Current thread" in text else ""
    return (fault.group(1).strip() if fault else "a fatal error"), bool(_LLAMA_FRAME.search(current))


def _remove_session_files(stack_path: Path) -> None:
    """A dead session's stack, note and any note it died writing."""
    for suffix in (".stack", ".json", ".part"):
        stack_path.with_suffix(suffix).unlink(missing_ok=True)


def take_last_crash(data: Path) -> CrashReport | None:
    """The newest crash a dead session left, kept in one file for a bug report; tidies up after clean-looking ends."""
    folder = data / CRASH_DIR
    reports = []
    for stack_path in sorted(folder.glob("session-*.stack")):
        note_path = stack_path.with_suffix(".json")
        try:
            note = json.loads(note_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            note = {}
        pid = int(_SESSION.search(stack_path.name).group(1))
        if pid == os.getpid() or _still_running(pid, note.get("process_started")):
            continue
        try:
            stack = stack_path.read_text(encoding="utf-8", errors="replace")
            ended = stack_path.stat().st_mtime
        except OSError:
            continue
        if not stack.strip():
            _remove_session_files(stack_path)  # killed without a fault (SIGKILL, power loss): nothing to tell
            continue
        fault, in_llama_cpp = parse_stack(stack)
        ended_at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ended))
        kept = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S', time.localtime(ended))}-{pid}.txt"
        kept.write_text(f"What the sides were doing: {json.dumps(note.get('sides', {}), indent=2)}\n\n{stack}",
                        encoding="utf-8")
        _remove_session_files(stack_path)
        reports.append(CrashReport(ended_at, fault, in_llama_cpp, note.get("sides", {}), kept))
        log.error("The session that ended at %s died of %s%s; its stack is in %s", ended_at, fault,
                  " inside llama.cpp" if in_llama_cpp else "", kept)
    return max(reports, key=lambda report: report.ended_at, default=None)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def describe(report: CrashReport, rounds: int, votes: int, blind: bool) -> tuple[str, bool]:
    """The notice in plain words, and whether turning CPU weight repacking off is a way out worth offering.

    While blind, the models stay unnamed: the rater is about to see them again.
    """
    where = "inside llama.cpp (the engine that runs the models)" if report.in_llama_cpp else "in native code"
    doing = [f"{side}: {state.get('doing', 'idle')}"
             + ("" if blind or not state.get("model") else f" with {state['model']}")
             + (f", {state['weights']} weights" if state.get("weights") else "")
             for side, state in sorted(report.sides.items())]
    while_doing = "; ".join(doing) if doing else "nothing recorded"
    repacked = any(str(state.get("weights")).startswith("repacked") for state in report.sides.values())
    way_out = (
        "Turning CPU weight repacking off (Settings › Loading) loads the weights the plainest way, which "
        "avoids the crashes known so far." if repacked else
        "No weights were repacked, so turning repacking off would change nothing: try fewer threads or "
        "another model, and send the file below with a bug report."
    )
    text = (
        f"The last session ended in a crash ({report.fault}) {where} at {report.ended_at}, "
        f"while {while_doing}. "
        f"Nothing you committed was lost: the results hold {_count(rounds, 'round')} and {_count(votes, 'vote')}; "
        f"only an answer that was still streaming is gone. {way_out} The crash's details are in {report.kept_at}."
    )
    return text, repacked
