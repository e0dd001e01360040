"""Vote interchange files (JSON Lines, CSV), so raters on different machines can merge their work."""

import csv
import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from gui.core.votes import Outcome, Vote

FIELDS = tuple(field.name for field in dataclasses.fields(Vote))
_REQUIRED = ("round_id", "model_left", "model_right", "outcome")
_INTEGERS = ("rubric_left", "rubric_right")
_FLAGS = ("identity_leak", "control")
# FastChat / Chatbot Arena battles: model_a is shown on the Left.
_WINNERS = {
    "model_a": Outcome.LEFT,
    "model_b": Outcome.RIGHT,
    "tie": Outcome.TIE,
    "tie (bothbad)": Outcome.BOTH_BAD,
}
_FIX = "Fix or delete that line, then read the file again."


class VoteFileError(ValueError):
    """A vote file that cannot be read whole; the message names the file, the line and the fix."""


def write_jsonl(votes: Iterable[Vote], path: str | os.PathLike) -> None:
    """Write every field of each vote as one JSON object per line."""
    lines = (json.dumps(_record(vote), ensure_ascii=False) + "\n" for vote in votes)
    _replace(Path(path), "".join(lines))


def write_csv(votes: Iterable[Vote], path: str | os.PathLike) -> None:
    """Write every field of each vote as one CSV row under a header; None becomes an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for vote in votes:
        writer.writerow({name: _csv_cell(value) for name, value in _record(vote).items()})
    _replace(Path(path), buffer.getvalue())


def _record(vote: Vote) -> dict:
    """The vote's fields, the outcome as its string value."""
    return {**dataclasses.asdict(vote), "outcome": vote.outcome.value}


def _csv_cell(value) -> str | int:
    """How one field is spelled in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all, so a crash never leaves half an export."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="")
    os.replace(partial, path)


def read_votes_jsonl(path: str | os.PathLike) -> list[Vote]:
    """Every vote in a JSON Lines file of our own records or FastChat / Chatbot Arena battles.

    Blank lines are skipped; any bad line raises VoteFileError and nothing is returned.
    """
    path = Path(path)
    votes = []
    for number, raw in enumerate(_read_bytes(path).splitlines(), 1):
        if not raw.strip():
            continue
        try:
            votes.append(_vote_from_line(raw))
        except (ValueError, TypeError) as error:
            raise VoteFileError(f"{path}, line {number}: {error}. {_FIX}") from error
    return votes


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, or VoteFileError saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise VoteFileError(
            f"{path}: cannot read the vote file ({error.strerror or error}). Check the file's name and permissions, "
            "or choose another file."
        ) from error


def _vote_from_line(raw: bytes) -> Vote:
    """The vote one JSON line holds, in either format."""
    try:
        record = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError("the line is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise TypeError("each line must hold one JSON object (JSON Lines), not a list or a value")
    if {"model_a", "model_b", "winner"} & record.keys():
        return _fastchat_vote(record, raw)
    return _own_vote(record)


def _own_vote(record: dict) -> Vote:
    """A vote from a record with our own field names."""
    unknown = sorted(record.keys() - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; expected only {', '.join(FIELDS)}")
    _require(record, _REQUIRED)
    return Vote(**record)


def _fastchat_vote(record: dict, raw: bytes) -> Vote:
    """A vote from a FastChat battle record; model_a is Left."""
    _require(record, ("model_a", "model_b", "winner"))
    winner = record["winner"]
    if winner not in _WINNERS:
        allowed = ", ".join(repr(name) for name in _WINNERS)
        raise ValueError(f"unknown winner {winner!r}; a FastChat battle's winner is one of {allowed}")
    question = record.get("question_id")
    # One question is asked of many pairs over several turns (MT-bench): the round is all of them.
    round_id = (
        f"{question}:{record.get('turn', 1)}:{record['model_a']}:{record['model_b']}"
        if question is not None
        # No question_id: the line's own hash, stable however the files are merged.
        else hashlib.sha256(raw.strip()).hexdigest()[:16]
    )
    return Vote(
        round_id=round_id,
        model_left=record["model_a"],
        model_right=record["model_b"],
        outcome=_WINNERS[winner],
        rater=record.get("judge") or "",
        category=record.get("category") or record.get("language") or "",
        cast_at=_iso_time(record.get("tstamp")),
    )


def _require(record: dict, names: Iterable[str]) -> None:
    """Refuse a record that lacks any of `names`."""
    missing = [name for name in names if record.get(name) is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


def _iso_time(tstamp) -> str:
    """A FastChat Unix timestamp as ISO 8601 UTC; a string is taken as already written."""
    if tstamp is None:
        return ""
    if isinstance(tstamp, str):
        return tstamp
    if isinstance(tstamp, bool) or not isinstance(tstamp, (int, float)):
        raise TypeError(f"tstamp must be Unix seconds, got {tstamp!r}")
    try:
        return datetime.fromtimestamp(tstamp, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"tstamp {tstamp!r} is not a time a clock can show") from None


def read_votes_csv(path: str | os.PathLike) -> list[Vote]:
    """Every vote in a CSV file written by write_csv; any bad row raises VoteFileError, nothing is returned."""
    path = Path(path)
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise VoteFileError(f"{path}: not UTF-8 text (byte {error.start}). Save it as UTF-8 CSV.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _check_header(path, reader.fieldnames or [])
    votes = []
    for row in reader:
        try:
            votes.append(_vote_from_row(row))
        except (ValueError, TypeError) as error:
            raise VoteFileError(f"{path}, line {reader.line_num}: {error}. {_FIX}") from error
    return votes


def _check_header(path: Path, names: list[str]) -> None:
    """Refuse a header that lacks a required column or names one a vote does not have."""
    problems = []
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        problems.append(f"the header lacks {', '.join(missing)}")
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if problems:
        raise VoteFileError(
            f"{path}, line 1: {'; '.join(problems)}. Columns are {', '.join(FIELDS)}; write_csv writes them all."
        )


def _vote_from_row(row: dict) -> Vote:
    """A vote from one CSV row (every cell a string)."""
    if None in row:
        raise ValueError("more cells than the header names")
    # A short row leaves its last cells None: they were left empty.
    fields = {name: value for name, value in row.items() if value is not None}
    for name in _INTEGERS:
        fields[name] = _integer_or_none(name, fields.get(name, ""))
    for name in _FLAGS:
        fields[name] = _flag(name, fields.get(name, ""))
    fields["repeat_of"] = fields.get("repeat_of") or None
    return Vote(**fields)


def _integer_or_none(name: str, cell: str) -> int | None:
    """An integer cell; empty means None."""
    if not cell.strip():
        return None
    try:
        return int(cell)
    except ValueError:
        raise ValueError(f"{name} must be an integer 0–3 or empty, got {cell!r}") from None


def _flag(name: str, cell: str) -> bool:
    """A true/false cell; empty means false."""
    spelled = cell.strip().lower()
    if spelled in ("true", "1"):
        return True
    if spelled in ("false", "0", ""):
        return False
    raise ValueError(f"{name} must be true or false, got {cell!r}")
