"""Plain-words reasons for a failed model load, read from llama.cpp's log."""

import re
from pathlib import Path

_UNKNOWN_ARCH = re.compile(r"(?:unknown|unsupported) model architecture: '([^']*)'")
# (what llama.cpp logs, what it means, what to do); the first rule that matches wins.
_RULES = [
    (
        re.compile(r"not within the file bounds|failed to read tensor data"),
        "is truncated: the file is incomplete",
        "Download it again.",
    ),
    (
        re.compile(
            r"GGUFv1 is no longer supported|only supports up to version|version \d+ is extremely large"
        ),
        "uses a GGUF version this llama.cpp build cannot read",
        "Update llama-cpp-python or re-convert the file.",
    ),
    (
        re.compile(r"invalid magic characters|failed to read (?:magic|header|key-value pairs|tensor info)"),
        "is not a readable GGUF file: its header is missing or damaged",
        "Download it again or pick another file.",
    ),
    (
        re.compile(r"has invalid ggml type"),
        "stores its weights in a type this llama.cpp build does not know",
        "Update llama-cpp-python or pick another file.",
    ),
    (
        re.compile(
            r"out of memory|failed to allocate|unable to allocate|cannot allocate memory|bad_alloc",
            re.IGNORECASE,
        ),
        "is too big for the free memory: llama.cpp could not allocate its buffers",
        "Close other programs, lower the context size, or pick a smaller file.",
    ),
]
_ERROR_LOOKING = re.compile(
    r"error|fail|invalid|unable|cannot|can't|not found|unsupported|corrupt|abort|exception", re.IGNORECASE
)
# llama.cpp's closing summary names no cause; the line before it does.
_SUMMARY = re.compile(r"failed to load model\s*$")
# "llama_model_load: error loading model: " says where, not why.
_PREFIX = re.compile(r"^(?:\w+: )+(?:error loading model: )?")
_MAX_QUOTE = 200


def explain_load_failure(path: str, log_lines: list[str]) -> str:
    """One sentence of cause and one of what to do, for a load of `path` that failed with `log_lines`."""
    name = Path(path).name
    text = "\n".join(log_lines)
    arch = _UNKNOWN_ARCH.search(text)
    if arch:
        return (
            f"'{name}' uses the architecture '{arch.group(1)}', which this llama.cpp build does not know. "
            "Update llama-cpp-python or pick another file."
        )
    for pattern, cause, advice in _RULES:
        if pattern.search(text):
            return f"'{name}' {cause}. {advice}"
    line = _last_error_line(text)
    if line is None:
        return f"'{name}' did not load, and llama.cpp gave no reason. The full log is in the app's log."
    return f"'{name}' did not load: llama.cpp said \"{line}\". The full log is in the app's log."


def _last_error_line(text: str) -> str | None:
    """The last log line that reads like a cause, without llama.cpp's function-name prefix."""
    for raw in reversed(text.splitlines()):
        line = raw.strip()
        if _ERROR_LOOKING.search(line) and not _SUMMARY.search(line):
            line = _PREFIX.sub("", line)
            return line if len(line) <= _MAX_QUOTE else line[: _MAX_QUOTE - 1] + "…"
    return None
