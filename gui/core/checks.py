"""Automatic checks on one answer (JSON, JSON Schema, patterns, text, numbers, length, poem forms), each from a plain spec."""

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import NamedTuple

from jsonschema import exceptions, validators

# A fenced code block: ``` or ```json, its info word kept to say which block held the JSON.
_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)```", re.DOTALL)
# Integers, decimals, a sign (ASCII or Unicode minus), thousands separators ("1,234,567").
# Not after an ASCII letter or digit ("x2", "Q4_K_M" are names), nor after "." ("1.2.3" is one
# version); a final "." without digits after it ends a sentence, not a decimal.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?")
# \boxed{...} with one level of braces inside, as in \boxed{\frac{7}{2}} or \boxed{1{,}234}.
_BOXED = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_LENGTHS = ("min_chars", "max_chars", "min_words", "max_words")
# Han characters: CJK Unified Ideographs, Extension A, the compatibility block, Extensions B to G.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# What ends a line of classical verse besides a newline: models write a couplet as
# "床前明月光，疑是地上霜。" on one line, or separate the halves with a space.
_VERSE_BREAK = re.compile(r"[，。！？；、,.!?;\s]+")
_HAN_ONLY = re.compile(f"[{_HAN}]+")
_POEM_FORMS = {"jueju": (4,), "lushi": (8,), "any": (4, 8)}
_FORM_NAMES = {4: "a jueju (4 lines)", 8: "a lüshi (8 lines)"}
# How an answer says its source does not hold the answer: "the passage does not say", "it is not
# mentioned", "no information", "the notice says nothing about", "this cannot be determined".
_NOT_STATED = re.compile(
    r"\b(?:does|do|did)(?:\s+not|n['’]t)\s+(?:say|mention|state|specify|give|include|list|contain|provide|record|tell"
    r"|indicate|cover)"
    r"|\bnot\s+(?:mentioned|stated|specified|given|included|provided|recorded|listed|covered|indicated|said)\b"
    r"|\bno\s+(?:information|mention|indication|details?|record)\b"
    r"|\b(?:says|states|mentions|gives|records)\s+nothing\b"
    r"|\b(?:cannot|can['’]t|can\s+not)\s+(?:be\s+)?(?:determined|answered|found|tell|know|say)\b",
    re.IGNORECASE,
)
# A title set apart by Markdown, "# Autumn" or "**Autumn**", is not a line of the poem.
_MARKDOWN_TITLE = re.compile(r"\s*(#+\s.*|\*\*[^*]+\*\*|__[^_]+__)\s*")
_CLIP = 160


class CheckSpecError(ValueError):
    """A check spec that cannot be used; the message names the field and what it allows."""


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one answer, stored as JSON beside the answer."""

    kind: str
    passed: bool
    detail: str

    def to_dict(self) -> dict:
        """The result as a plain dict; CheckResult(**d) reads it back."""
        return asdict(self)


class _NoJSON(Exception):
    """No candidate in the answer parsed as JSON; the message says why."""


def _clip(text: str) -> str:
    """`text` cut short enough for one line of a detail."""
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"


def _show(number: float) -> str:
    """A number as a person writes it: 23, not 23.0."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _refuse_constant(name: str):
    """Refuse NaN and Infinity, which Python's json accepts but JSON does not."""
    raise ValueError(f"{name} is not valid JSON")


def _parse(text: str):
    """The JSON value `text` holds, strictly."""
    return json.loads(text, parse_constant=_refuse_constant)


def _locate_json(answer: str) -> tuple[object, str]:
    """The JSON value in the answer and where it was: the whole answer, else the first fenced block that parses."""
    if not answer.strip():
        raise _NoJSON("no JSON: the answer is empty")
    candidates = [("whole answer", answer.strip())]
    candidates += [
        (f"fenced block {number} (```{match.group(1)})", match.group(2).strip())
        for number, match in enumerate(_FENCE.finditer(answer), 1)
    ]
    failures = []
    for where, text in candidates:
        try:
            return _parse(text), where
        except json.JSONDecodeError as error:
            failures.append((error.pos, f"{where}: {error.msg} at line {error.lineno}, column {error.colno}"))
        except ValueError as error:
            failures.append((0, f"{where}: {error}"))
    # The candidate that parsed furthest is the one the model meant as its JSON.
    best = max(failures, key=lambda failure: failure[0])[1]
    tried = "the whole answer" + (f" and {len(candidates) - 1} fenced block(s)" if len(candidates) > 1 else "")
    raise _NoJSON(f"no JSON in {tried}; best try, {best}")


def _json(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the answer, or one of its fenced blocks, is JSON."""
    try:
        _, where = _locate_json(answer)
    except _NoJSON as missing:
        return False, str(missing)
    return True, f"valid JSON in the {where}"


def _json_schema(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the answer's JSON matches the schema; else name the first failing path."""
    try:
        value, where = _locate_json(answer)
    except _NoJSON as missing:
        return False, str(missing)
    schema = spec["schema"]
    validator_class = validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    error = exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return True, f"the JSON in the {where} matches the schema"
    return False, _clip(f"the JSON in the {where} fails the schema at {error.json_path}: {error.message}")


def _regex(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the pattern is found anywhere in the answer."""
    flags = 0
    for letter in spec["flags"]:
        flags |= _REGEX_FLAGS[letter]
    match = re.search(spec["pattern"], answer, flags)
    if match is None:
        return False, _clip(f"no match for /{spec['pattern']}/{spec['flags']}")
    return True, _clip(f"found {match.group(0)!r}")


def _holds(answer: str, spec: dict) -> bool:
    """Whether the answer holds the spec's text (case-blind unless ignore_case is false)."""
    if spec["ignore_case"]:
        return spec["text"].casefold() in answer.casefold()
    return spec["text"] in answer


def _contains(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the text is in the answer."""
    if _holds(answer, spec):
        return True, _clip(f"contains {spec['text']!r}")
    return False, _clip(f"does not contain {spec['text']!r}")


def _not_contains(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the text is not in the answer."""
    if _holds(answer, spec):
        return False, _clip(f"contains {spec['text']!r}, which it must not")
    return True, _clip(f"does not contain {spec['text']!r}")


def _numbers_in(text: str) -> list[float]:
    """Every number written in `text`, in order: 1,234 is one number, "3." at a sentence end is 3."""
    text = text.replace("{,}", ",")  # LaTeX spells a thousands comma 1{,}234
    return [float(token.replace(",", "").replace("−", "-")) for token in _NUMBER.findall(text)]


def _final_number(answer: str) -> tuple[float, str] | None:
    """The answer's final number and how it was picked: the last in the last \\boxed{}, else the last one."""
    boxed = _BOXED.findall(answer)
    for source, label in ((boxed[-1] if boxed else "", "boxed answer"), (answer, "last number")):
        found = _numbers_in(source)
        if found:
            return found[-1], label
    return None


def _close(found: float, wanted: float, tolerance: float) -> bool:
    """Whether `found` is within the absolute tolerance of `wanted`."""
    return math.isclose(found, wanted, rel_tol=0, abs_tol=tolerance)


def _number(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the final number (or, with where "any", any number) equals the value within the tolerance."""
    wanted, tolerance = spec["value"], spec["tolerance"]
    target = _show(wanted) + (f" ± {_show(tolerance)}" if tolerance else "")
    if spec["where"] == "any":
        found = _numbers_in(answer)
        if not found:
            return False, "no number in the answer"
        if any(_close(number, wanted, tolerance) for number in found):
            return True, f"found {target} among {len(found)} number(s)"
        return False, _clip(f"{target} is not among the numbers in the answer ({', '.join(map(_show, found))})")
    final = _final_number(answer)
    if final is None:
        return False, "no number in the answer"
    number, label = final
    if _close(number, wanted, tolerance):
        return True, f"{label} {_show(number)} = {target}"
    return False, f"{label} {_show(number)} ≠ {target}"


def _numbers(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when every value appears among the answer's numbers."""
    found = _numbers_in(answer)
    missing = [value for value in spec["values"] if not any(_close(n, value, spec["tolerance"]) for n in found)]
    if not missing:
        return True, f"found all of {', '.join(map(_show, spec['values']))}"
    seen = f"found {', '.join(map(_show, found))}" if found else "no number in the answer"
    return False, _clip(f"missing {', '.join(map(_show, missing))} ({seen})")


def _length(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the answer's characters and words (ends stripped) are within the given bounds."""
    text = answer.strip()
    measured = {"chars": len(text), "words": len(text.split())}
    broken = []
    for name in _LENGTHS:
        bound = spec[name]
        side, unit = name.split("_")
        if bound is not None and (measured[unit] < bound if side == "min" else measured[unit] > bound):
            broken.append(f"{measured[unit]} {unit}, {name} is {bound}")
    if broken:
        return False, "; ".join(broken)
    return True, f"{measured['chars']} chars, {measured['words']} words: within bounds"


def _verse_lines(line: str) -> list[str] | None:
    """The verse lines in one line of the answer, or None unless each is 5 or 7 Han characters and nothing else."""
    pieces = [piece for piece in _VERSE_BREAK.split(line) if piece]
    if pieces and all(_HAN_ONLY.fullmatch(piece) and len(piece) in (5, 7) for piece in pieces):
        return pieces
    return None


def _find_poem(answer: str) -> list[str]:
    """The lines of the longest run of verse in the answer (the first of equals); blank lines do not break a run.

    The answer is read line by line, each line cut again at 。，！？；、 (and , . ! ? ;) and
    whitespace, so a couplet on one line is two verse lines. A line of the answer is verse when
    every piece is 5 or 7 Han characters and nothing else; a title (静夜思, 《静夜思》), a byline,
    pinyin or a sentence of commentary is not, and so ends the run. A line that carries anything
    else (numbered "1. 床前明月光", or in **bold**) is not verse either, so such a poem is not
    found. Only a title of exactly 5 or 7 bare Han characters next to the poem is taken for a line.
    """
    best, run = [], []
    for line in answer.splitlines():
        if not line.strip():
            continue
        pieces = _verse_lines(line)
        if pieces is None:
            run = []
            continue
        run = run + pieces
        if len(run) > len(best):
            best = run
    return best


def _odd_lines(answer: str) -> str:
    """A note naming the Han-only lines of other lengths than 5 or 7, which a failed form check may be about."""
    odd = [
        f"{piece} ({len(piece)})"
        for line in answer.splitlines()
        for piece in _VERSE_BREAK.split(line)
        if _HAN_ONLY.fullmatch(piece) and len(piece) not in (5, 7)
    ]
    return f"; lines of other lengths: {', '.join(odd[:3])}" + ("…" if len(odd) > 3 else "") if odd else ""


def _chinese_poem(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the answer holds a jueju (4 lines) or lüshi (8 lines) whose lines are all 5 or all 7 Han characters."""
    counts = _POEM_FORMS[spec["form"]]
    wanted = " or ".join(_FORM_NAMES[count] for count in counts)
    lines = _find_poem(answer)
    if not lines:
        found = "found no verse (lines of 5 or 7 Han characters, punctuation aside)"
        return False, _clip(f"{found}; wanted {wanted}{_odd_lines(answer)}")
    if len(lines) not in counts:
        return False, _clip(f"the poem has {len(lines)} line(s), from {lines[0]}; wanted {wanted}{_odd_lines(answer)}")
    if len({len(line) for line in lines}) > 1:
        shown = ", ".join(str(len(line)) for line in lines)
        return False, f"lines of mixed lengths ({shown} characters); all 5 or all 7 wanted"
    return True, f"{_FORM_NAMES[len(lines)]} of {len(lines[0])}-character lines: {lines[0]}…"


def _haiku(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when a block of the answer (non-blank lines between blank ones) has exactly three lines.

    The haiku is the first such block, so a one-line preamble ("Here is a haiku:") or a note
    after it is allowed, and a Markdown title line ("# Rain", "**Rain**") is set aside. Syllables
    are not counted: English syllable counting by rule is wrong too often to fail an answer on.
    """
    blocks, block = [], []
    for line in [*answer.splitlines(), ""]:
        if line.strip() and not _MARKDOWN_TITLE.fullmatch(line):
            block.append(line.strip())
        elif block:
            blocks.append(block)
            block = []
    for number, lines in enumerate(blocks, 1):
        if len(lines) == 3:
            return True, _clip(f"three lines (block {number} of {len(blocks)}): {' / '.join(lines)}")
    if not blocks:
        return False, "no lines: the answer is empty"
    sizes = ", ".join(str(len(lines)) for lines in blocks)
    return False, f"no block of exactly three lines; the answer's blocks have {sizes} line(s)"


def _not_stated(answer: str, spec: dict) -> tuple[bool, str]:
    """Pass when the answer says its source (a passage, a notice) does not give what was asked."""
    match = _NOT_STATED.search(answer)
    if match is None:
        return False, (
            "does not say that the source lacks the answer (no phrase such as 'does not say', 'not mentioned', "
            "'no information')"
        )
    return True, _clip(f"says the source does not give it: {match.group(0)!r}")


def _is_number(value) -> bool:
    """A finite int or float; True is not a number here."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _expect(test: Callable[[object], bool], wanted: str) -> Callable[[object], None]:
    """A field validator that refuses a value failing `test`, saying what is wanted."""

    def validate(value) -> None:
        """Raise ValueError saying what the field must be."""
        if not test(value):
            raise ValueError(f"must be {wanted}, got {value!r}")

    return validate


def _valid_pattern(value) -> None:
    """A non-empty regular expression that compiles."""
    _expect(lambda v: isinstance(v, str) and v != "", "a non-empty regular expression string")(value)
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"is not a valid regular expression ({error}); got {value!r}") from None


def _valid_schema(value) -> None:
    """A JSON Schema object its own metaschema accepts."""
    _expect(lambda v: isinstance(v, dict), "a JSON Schema object")(value)
    try:
        validators.validator_for(value).check_schema(value)
    except exceptions.SchemaError as error:
        raise ValueError(f"is not a valid JSON Schema: at {error.json_path}, {error.message}") from None


_FIELDS: dict[str, Callable[[object], None]] = {
    "schema": _valid_schema,
    "pattern": _valid_pattern,
    "flags": _expect(lambda v: isinstance(v, str) and set(v) <= set(_REGEX_FLAGS), 'a string of letters from "ims"'),
    "text": _expect(lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "ignore_case": _expect(lambda v: isinstance(v, bool), "true or false"),
    "value": _expect(_is_number, "a number"),
    "values": _expect(lambda v: isinstance(v, list) and v and all(map(_is_number, v)), "a non-empty list of numbers"),
    "tolerance": _expect(lambda v: _is_number(v) and v >= 0, "a number ≥ 0 (an absolute difference)"),
    "where": _expect(lambda v: v in ("last", "any"), '"last" (the final answer) or "any"'),
    **dict.fromkeys(_LENGTHS, _expect(lambda v: type(v) is int and v >= 0, "an integer ≥ 0")),
    "form": _expect(lambda v: v in _POEM_FORMS, '"jueju" (4 lines), "lushi" (8 lines) or "any"'),
}


def _no_rule(spec: dict) -> None:
    """Most kinds need nothing beyond valid fields."""


def _length_rule(spec: dict) -> None:
    """A length check needs a bound, and a minimum no larger than its maximum."""
    if not any(name in spec for name in _LENGTHS):
        raise CheckSpecError(f"check 'length' needs at least one of {', '.join(_LENGTHS)}")
    for unit in ("chars", "words"):
        low, high = spec.get(f"min_{unit}"), spec.get(f"max_{unit}")
        if low is not None and high is not None and low > high:
            raise CheckSpecError(f"check 'length': min_{unit} {low} is more than max_{unit} {high}; swap them")


class _Kind(NamedTuple):
    """What one kind of check takes and how it judges an answer."""

    required: tuple[str, ...]
    optional: dict[str, object]  # field → default
    judge: Callable[[str, dict], tuple[bool, str]]
    rule: Callable[[dict], None] = _no_rule


_KINDS = {
    "json": _Kind((), {}, _json),
    "json_schema": _Kind(("schema",), {}, _json_schema),
    "regex": _Kind(("pattern",), {"flags": ""}, _regex),
    "contains": _Kind(("text",), {"ignore_case": True}, _contains),
    "not_contains": _Kind(("text",), {"ignore_case": True}, _not_contains),
    "number": _Kind(("value",), {"tolerance": 0, "where": "last"}, _number),
    "numbers": _Kind(("values",), {"tolerance": 0}, _numbers),
    "length": _Kind((), dict.fromkeys(_LENGTHS), _length, _length_rule),
    "chinese_poem": _Kind((), {"form": "any"}, _chinese_poem),
    "haiku": _Kind((), {}, _haiku),
    "not_stated": _Kind((), {}, _not_stated),
}


def _takes(kind: str) -> str:
    """What a kind's spec may hold, for an error message."""
    required, optional = _KINDS[kind].required, _KINDS[kind].optional
    if not required and not optional:
        return f"a {kind!r} check takes no other fields"
    parts = [", ".join(required)] if required else []
    if optional:
        parts.append(f"optionally {', '.join(optional)}")
    return f"a {kind!r} check takes {' and '.join(parts)}"


def validate_check(spec: dict) -> None:
    """Raise CheckSpecError unless `spec` is a check run_check can use."""
    kinds = ", ".join(_KINDS)
    if not isinstance(spec, dict):
        raise CheckSpecError(f"a check must be a table with a 'kind' (one of {kinds}), got {spec!r}")
    kind = spec.get("kind")
    if kind not in _KINDS:
        got = f"unknown check kind {kind!r}" if "kind" in spec else "a check lacks its 'kind'"
        raise CheckSpecError(f"{got}; the kinds are {kinds}")
    fields = spec.keys() - {"kind"}
    known = set(_KINDS[kind].required) | set(_KINDS[kind].optional)
    missing = [name for name in _KINDS[kind].required if name not in fields]
    if missing:
        raise CheckSpecError(f"check {kind!r} lacks {', '.join(missing)}; {_takes(kind)}")
    unknown = sorted(fields - known)
    if unknown:
        raise CheckSpecError(f"check {kind!r} has unknown field(s) {', '.join(unknown)}; {_takes(kind)}")
    for name in sorted(fields):
        try:
            _FIELDS[name](spec[name])
        except ValueError as error:
            raise CheckSpecError(f"check {kind!r}: field {name!r} {error}") from None
    _KINDS[kind].rule(spec)


def run_check(answer: str, spec: dict) -> CheckResult:
    """Judge one answer by one check spec; CheckSpecError when the spec is unusable."""
    validate_check(spec)
    kind = _KINDS[spec["kind"]]
    passed, detail = kind.judge(answer, {**kind.optional, **spec})
    return CheckResult(spec["kind"], passed, detail)


def run_checks(answer: str, specs: list[dict]) -> list[CheckResult]:
    """Judge one answer by every spec, one result per spec in the same order."""
    return [run_check(answer, spec) for spec in specs]
