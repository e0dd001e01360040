"""Prompt suites written by hand (TOML, JSON Lines, CSV): loaded and checked whole, listed, found and imported."""

import csv
import io
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gui.core.checks import CheckSpecError, validate_check
from gui.core.paths import RESOURCES_DIR

SHIPPED_DIR = RESOURCES_DIR / "prompts"
_REQUIRED = ("id", "category", "prompt")
_KEYS = (*_REQUIRED, "system", "reference", "rubric", "checks")
_TOP_KEYS = ("title", "description", "prompts")
_FIX = "Fix it in the file, then load the suite again."
_EMPTY = {
    ".toml": "Add [[prompts]] tables with id, category and prompt.",
    ".jsonl": "Add one JSON object per line with id, category and prompt.",
    ".csv": "Add rows under a header naming id, category and prompt.",
}


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file, the place and the fix."""


@dataclass(frozen=True)
class SuiteItem:
    """One prompt of a suite, with its optional system prompt, reference answer, rubric note and automatic checks."""

    id: str
    category: str
    prompt: str
    system: str = ""
    reference: str = ""
    rubric: str = ""  # what earns 0, 1, 2 and 3 on the rubric, shown to raters beside the reference
    checks: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Suite:
    """A named list of prompts from one file."""

    name: str
    title: str
    path: str
    items: tuple[SuiteItem, ...]
    description: str = ""

    @property
    def categories(self) -> tuple[str, ...]:
        """The items' categories, sorted, each once."""
        return tuple(sorted({item.category for item in self.items}))


def user_suites_dir(data_dir: Path) -> Path:
    """Where imported suites live."""
    return Path(data_dir) / "suites"


def load_suite(path: str | os.PathLike) -> Suite:
    """The suite in a .toml, .jsonl or .csv file, checked whole; SuiteError says what to fix."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise SuiteError(f"{path}: not a suite file. Write the suite as .toml, .jsonl or .csv and name it so.")
    header, records = reader(path, _read_text(path))
    items = _items(path, records)
    if not items:
        raise SuiteError(f"{path}: the suite has no prompts. {_EMPTY[path.suffix.lower()]}")
    return Suite(
        name=path.stem,
        title=header.get("title", "").strip() or path.stem,
        path=str(path),
        items=items,
        description=header.get("description", "").strip(),
    )


def _read_text(path: Path) -> str:
    """The file as UTF-8 text, or SuiteError saying why it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise SuiteError(
            f"{path}: cannot read the suite file ({error.strerror or error}). Check the file's name and "
            "permissions, or choose another suite."
        ) from error
    except UnicodeDecodeError as error:
        raise SuiteError(f"{path}: not UTF-8 text (byte {error.start}). Save the file as UTF-8.") from None


def _read_toml(path: Path, text: str) -> tuple[dict, list[tuple[str, dict]]]:
    """The header (title, description) and the [[prompts]] tables, each with where it is."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"{path}: not valid TOML: {error}. Fix that line, then load the suite again.") from None
    unknown = sorted(data.keys() - set(_TOP_KEYS))
    if unknown:
        raise SuiteError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}; the allowed keys are {', '.join(_TOP_KEYS)}"
            f" (each prompt is a [[prompts]] table). {_FIX}"
        )
    for key in ("title", "description"):
        if not isinstance(data.get(key, ""), str):
            raise SuiteError(f"{path}: {key} must be a string, got {data[key]!r}. {_FIX}")
    prompts = data.get("prompts", [])
    if not isinstance(prompts, list) or not all(isinstance(table, dict) for table in prompts):
        raise SuiteError(f"{path}: prompts must be [[prompts]] tables, got {prompts!r}. {_FIX}")
    return data, [(f"prompt {number}", table) for number, table in enumerate(prompts, 1)]


def _read_jsonl(path: Path, text: str) -> tuple[dict, list[tuple[str, dict]]]:
    """One prompt per non-blank line, each with its line number; the title is the file's stem."""
    records = []
    # Split on newlines only: str.splitlines also splits at U+2028, which JSON strings may hold.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SuiteError(
                f"{path}, line {number}: not valid JSON ({error.msg} at column {error.colno}). "
                "Fix that line, then load the suite again."
            ) from None
        if not isinstance(record, dict):
            raise SuiteError(f"{path}, line {number}: each line must hold one JSON object, not {record!r}. {_FIX}")
        records.append((f"line {number}", record))
    return {}, records


def _read_csv(path: Path, text: str) -> tuple[dict, list[tuple[str, dict]]]:
    """One prompt per row under a header, each with its line number; checks is a JSON array in its cell."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    names = reader.fieldnames or []
    missing = [name for name in _REQUIRED if names and name not in names]
    unknown = [name for name in names if name not in _KEYS]
    if missing or unknown:
        problems = [f"the header lacks {', '.join(missing)}"] if missing else []
        problems += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        raise SuiteError(f"{path}, line 1: {'; '.join(problems)}. The columns are {', '.join(_KEYS)}. {_FIX}")
    records = []
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            raise SuiteError(f"{path}, {where}: more cells than the header names. {_FIX}")
        # An empty (or missing) cell is a key left out.
        record = {name: cell for name, cell in row.items() if cell}
        if "checks" in record:
            try:
                record["checks"] = json.loads(record["checks"])
            except json.JSONDecodeError as error:
                raise SuiteError(
                    f"{path}, {where}: the checks cell is not JSON ({error.msg} at column {error.colno}); "
                    'write a JSON array such as [{"kind": "contains", "text": "42"}]. ' + _FIX
                ) from None
        records.append((where, record))
    return {}, records


_READERS = {".toml": _read_toml, ".jsonl": _read_jsonl, ".csv": _read_csv}


def _items(path: Path, records: list[tuple[str, dict]]) -> tuple[SuiteItem, ...]:
    """Every record as an item; SuiteError names the file, the place and the id of the first bad one."""
    items, first_seen = [], {}
    for where, record in records:
        named = f"{where} (id {record['id']!r})" if isinstance(record.get("id"), str) else where
        try:
            item = _item(record)
        except (ValueError, TypeError) as error:
            raise SuiteError(f"{path}, {named}: {error}. {_FIX}") from None
        if item.id in first_seen:
            raise SuiteError(
                f"{path}, {named}: duplicate id {item.id!r}, first used at {first_seen[item.id]}. "
                "Give each prompt its own id."
            )
        first_seen[item.id] = where
        items.append(item)
    return tuple(items)


def _item(record: dict) -> SuiteItem:
    """One item from its record; ValueError or TypeError says what is wrong."""
    unknown = sorted(record.keys() - set(_KEYS))
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; the allowed keys are {', '.join(_KEYS)}")
    for key in _REQUIRED:
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ValueError(f"{key} is missing or blank; every prompt needs a non-blank {key}")
    for key in ("system", "reference", "rubric"):
        if not isinstance(record.get(key, ""), str):
            raise TypeError(f"{key} must be a string, got {record[key]!r}")
    checks = record.get("checks", [])
    if not isinstance(checks, list):
        raise TypeError(f"checks must be a list of check tables, got {checks!r}")
    for number, spec in enumerate(checks, 1):
        try:
            validate_check(spec)
        except CheckSpecError as error:
            raise CheckSpecError(f"check {number}: {error}") from None
    return SuiteItem(
        id=record["id"].strip(),
        category=record["category"].strip(),
        prompt=record["prompt"].strip(),
        system=record.get("system", "").strip(),
        reference=record.get("reference", "").strip(),
        rubric=record.get("rubric", "").strip(),
        checks=tuple(checks),
    )


def _suite_files(folder: Path) -> list[Path]:
    """The suite files in `folder`, sorted by name; none when it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(
        (path for path in folder.iterdir() if path.suffix.lower() in _READERS and path.is_file()),
        key=lambda path: (path.stem, path.suffix),
    )


def available_suites(data_dir: Path) -> tuple[list[Suite], list[str]]:
    """The shipped suites, then the user's, each sorted by name; and why any user file was left out.

    A broken shipped suite is a bug and raises; a broken user file is reported and hides nothing else.
    """
    shipped = [load_suite(path) for path in _suite_files(SHIPPED_DIR)]
    taken = {suite.name: suite.path for suite in shipped}
    users, errors = [], []
    for path in _suite_files(user_suites_dir(data_dir)):
        if path.stem in taken:
            errors.append(f"{path}: the name {path.stem!r} is taken by {taken[path.stem]}; rename the file.")
            continue
        try:
            suite = load_suite(path)
        except SuiteError as error:
            errors.append(str(error))
            continue
        taken[suite.name] = suite.path
        users.append(suite)
    return shipped + users, errors


def find_suite(name_or_path: str, data_dir: Path) -> Suite:
    """The suite in the file at `name_or_path`, else the available suite of that name."""
    if Path(name_or_path).is_file():
        return load_suite(name_or_path)
    suites, _ = available_suites(data_dir)
    for suite in suites:
        if suite.name == name_or_path:
            return suite
    # A broken user file of that name: its own error says more than "not found".
    for path in _suite_files(user_suites_dir(data_dir)):
        if path.stem == name_or_path:
            load_suite(path)
    names = ", ".join(suite.name for suite in suites)
    raise SuiteError(
        f"no suite called {name_or_path!r} and no such file; the suites are {names}. "
        "Give one of these names or the path of a .toml, .jsonl or .csv file."
    )


def import_suite(path: str | os.PathLike, data_dir: Path) -> Suite:
    """Check a suite file, then copy it as is into the user's suites; the copy is returned loaded."""
    source = Path(path)
    suite = load_suite(source)
    if suite.name in {shipped.stem for shipped in _suite_files(SHIPPED_DIR)}:
        raise SuiteError(
            f"{source}: a shipped suite is already called {suite.name!r}. Rename the file, then import it again."
        )
    folder = user_suites_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    content = source.read_bytes()
    for existing in _suite_files(folder):
        if existing.stem == suite.name and (existing.name != source.name or existing.read_bytes() != content):
            raise SuiteError(
                f"{source}: a different suite called {suite.name!r} is already imported ({existing}). "
                "Rename the file, then import it again."
            )
    target = folder / source.name
    # Write whole or not at all, so a crash never leaves half a suite to break the next start.
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, target)
    return load_suite(target)
