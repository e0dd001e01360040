"""Plain-words reasons for a failed model load, read from llama.cpp's log."""

import re
from pathlib import Path

from gui.core.paths import LOG_FILE

# Neutral on purpose: these messages reach the window and the batch command alike (which prints the path).
LOG_HINT = f"llama.cpp's full log is in {LOG_FILE} in the data folder (View › Log in the app)."

# (what llama.cpp logs, what it means, what to do); the first rule that matches wins, and the
# meaning is filled in with what the pattern caught ({0}, {1} …).
_RULES = [
    (
        re.compile(r"(?:unknown|unsupported) model architecture: '([^']*)'"),
        "uses the architecture '{0}', which this llama.cpp build does not know",
        "Update llama-cpp-python or pick another file.",
    ),
    (
        re.compile(r"unknown tokenizer: '([^']*)'"),
        "uses the tokenizer '{0}', which this llama.cpp build does not know",
        "Update llama-cpp-python or pick another file.",
    ),
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
        re.compile(r"key not found in model: (\S+)"),
        "lacks the setting '{0}' that llama.cpp needs to build the model: it was converted incompletely",
        "Re-convert it or pick another file.",
    ),
    (
        re.compile(r"key (\S+) has wrong type (\S+) but expected type (\S+)"),
        "stores the setting '{0}' as {1}, where llama.cpp needs {2}: it was converted wrongly",
        "Re-convert it or pick another file.",
    ),
    *(
        (
            re.compile(pattern),
            "lacks the weights '{0}' that its architecture needs: it is incomplete or was converted wrongly",
            "Download or re-convert it, or pick another file.",
        )
        for pattern in (r"missing tensor '([^']*)'", r"tensor '([^']*)' not found")
    ),
    (
        re.compile(r"tensor '([^']*)' has wrong shape; expected ([\d, ]+?), got ([\d, ]+?)\s*$", re.MULTILINE),
        "holds the weights '{0}' in the shape {2} where its architecture needs {1}: it was converted wrongly",
        "Re-convert it or pick another file.",
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
_SHAPE = re.compile(r"[\d, ]*\d,[\d, ]*")


def explain_load_failure(path: str, log_lines: list[str]) -> str:
    """One sentence of cause and one of what to do, for a load of `path` that failed with `log_lines`."""
    name = Path(path).name
    # Lines as logged end with their own newline; joined, each cause ends at a line end.
    text = "\n".join(line.rstrip("\n") for line in log_lines)
    for pattern, cause, advice in _RULES:
        match = pattern.search(text)
        if match:
            return f"'{name}' {cause.format(*(_tidy(group) for group in match.groups()))}. {advice}"
    line = _last_error_line(text)
    if line is None:
        return (
            f"'{name}' did not load, and llama.cpp gave no reason. Load it again; if it fails again, "
            f"download it again or pick another file. {LOG_HINT}"
        )
    return (
        f"'{name}' did not load: llama.cpp said \"{line}\". Update llama-cpp-python, re-convert the file "
        f"or pick another one. {LOG_HINT}"
    )


def _tidy(caught: str) -> str:
    """A caught shape without llama.cpp's column padding ("   576,   1536" -> "576 × 1536"); other text as it is."""
    if not _SHAPE.fullmatch(caught):
        return caught
    parts = [part.strip() for part in caught.split(",") if part.strip()]
    # llama.cpp pads a shape to four dimensions with 1s, which say nothing.
    while len(parts) > 1 and parts[-1] == "1":
        parts.pop()
    return " × ".join(parts)


def _last_error_line(text: str) -> str | None:
    """The last log line that reads like a cause, without llama.cpp's function-name prefix."""
    for raw in reversed(text.splitlines()):
        line = raw.strip()
        if _ERROR_LOOKING.search(line) and not _SUMMARY.search(line):
            line = _PREFIX.sub("", line)
            return line if len(line) <= _MAX_QUOTE else line[: _MAX_QUOTE - 1] + "…"
    return None
