"""Automatic answer checks: each kind passes and fails on hand-made answers, and bad specs are refused."""

import pytest

from gui.core.checks import CheckResult, CheckSpecError, run_check, run_checks, validate_check

USER_SCHEMA = {
    "type": "object",
    "required": ["name", "age", "hobbies"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "hobbies": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    },
}


def judged(answer: str, **spec) -> CheckResult:
    return run_check(answer, spec)


def test_a_whole_answer_of_json_passes():
    result = judged('  {"a": [1, 2]}\n', kind="json")
    assert result == CheckResult("json", True, "valid JSON in the whole answer")


def test_json_in_a_fenced_block_is_found_and_named():
    answer = 'Here it is:\n```json\n{"name": "Ann"}\n```\nHope that helps.'
    assert judged(answer, kind="json").detail == "valid JSON in the fenced block 1 (```json)"


def test_the_first_fenced_block_that_parses_is_used():
    answer = "Broken:\n```json\n{'single': 'quotes'}\n```\nFixed:\n```\n[1, 2, 3]\n```"
    assert judged(answer, kind="json").detail == "valid JSON in the fenced block 2 (```)"


def test_no_json_says_why_with_line_and_column():
    result = judged('Sure!\n```json\n{\n  "a": 1,\n}\n```', kind="json")
    assert not result.passed
    assert result.detail.startswith("no JSON in the whole answer and 1 fenced block(s); best try, fenced block 1")
    assert "line 3, column 1" in result.detail


@pytest.mark.parametrize("answer, why", [("", "the answer is empty"), ("NaN", "NaN is not valid JSON")])
def test_an_empty_answer_and_nan_are_not_json(answer, why):
    result = judged(answer, kind="json")
    assert not result.passed and why in result.detail


def test_json_that_matches_the_schema_passes():
    answer = '```json\n{"name": "Ann", "age": 34, "hobbies": ["chess"]}\n```'
    result = judged(answer, kind="json_schema", schema=USER_SCHEMA)
    assert result == CheckResult("json_schema", True, "the JSON in the fenced block 1 (```json) matches the schema")


@pytest.mark.parametrize(
    "answer, wrong",
    [
        ('{"name": "Ann", "age": "34", "hobbies": ["chess"]}', "at $.age: '34' is not of type 'integer'"),
        ('{"name": "Ann", "age": 200, "hobbies": ["chess"]}', "at $.age: 200 is greater than the maximum of 150"),
        ('{"name": "Ann", "age": 3, "hobbies": [7]}', "at $.hobbies[0]: 7 is not of type 'string'"),
        ('{"name": "Ann", "age": 3}', "at $: 'hobbies' is a required property"),
        ('{"name": "A", "age": 3, "hobbies": ["x"], "pet": "cat"}', "('pet' was unexpected)"),
    ],
)
def test_a_schema_failure_names_the_path(answer, wrong):
    result = judged(answer, kind="json_schema", schema=USER_SCHEMA)
    assert not result.passed
    assert result.detail.startswith("the JSON in the whole answer fails the schema ")
    assert wrong in result.detail


def test_a_schema_check_without_json_fails_clearly():
    result = judged("I cannot do that.", kind="json_schema", schema=USER_SCHEMA)
    assert not result.passed and result.detail.startswith("no JSON in the whole answer; best try, whole answer: ")


def test_formats_are_checked():
    result = judged('{"when": "2025-02-30"}', kind="json_schema", schema={"properties": {"when": {"format": "date"}}})
    assert not result.passed and "is not a 'date'" in result.detail


@pytest.mark.parametrize(
    "answer, spec, passed, detail",
    [
        ("def quicksort(xs):", {"pattern": r"def\s+quicksort"}, True, "found 'def quicksort'"),
        ("DEF quicksort", {"pattern": r"def\s+quicksort"}, False, r"no match for /def\s+quicksort/"),
        ("DEF quicksort", {"pattern": r"def\s+quicksort", "flags": "i"}, True, "found 'DEF quicksort'"),
        ("a\nb", {"pattern": "^b$"}, False, "no match for /^b$/"),
        ("a\nb", {"pattern": "^b$", "flags": "m"}, True, "found 'b'"),
        ("a\nb", {"pattern": "a.b", "flags": "s"}, True, "found 'a\\nb'"),
    ],
)
def test_regex(answer, spec, passed, detail):
    assert judged(answer, kind="regex", **spec) == CheckResult("regex", passed, detail)


@pytest.mark.parametrize(
    "kind, answer, spec, passed",
    [
        ("contains", "It is VALID.", {"text": "valid"}, True),
        ("contains", "It is VALID.", {"text": "valid", "ignore_case": False}, False),
        ("contains", "nothing here", {"text": "valid"}, False),
        ("not_contains", "The argument is sound.", {"text": "invalid"}, True),
        ("not_contains", "The argument is Invalid.", {"text": "invalid"}, False),
        ("not_contains", "The argument is Invalid.", {"text": "invalid", "ignore_case": False}, True),
    ],
)
def test_contains_and_not_contains(kind, answer, spec, passed):
    assert judged(answer, kind=kind, **spec).passed is passed


def test_contains_details_say_what_was_looked_for():
    assert judged("x", kind="contains", text="y").detail == "does not contain 'y'"
    assert judged("xy", kind="not_contains", text="y").detail == "contains 'y', which it must not"


@pytest.mark.parametrize(
    "answer, value, passed, detail",
    [
        ("So there are 23 chickens.", 23, True, "last number 23 = 23"),
        ("The answer is 3.", 3, True, "last number 3 = 3"),
        ("We get 22 at first, then 23", 22, False, "last number 23 ≠ 22"),
        ("The population is 1,300,500.", 1300500, True, "last number 1300500 = 1300500"),
        ("It falls to -9.5 °C.", -9.5, True, "last number -9.5 = -9.5"),
        ("It falls to −9.5 °C.", -9.5, True, "last number -9.5 = -9.5"),
        ("Range 3-4 means x-5", 5, True, "last number 5 = 5"),
        ("So $\\boxed{23}$. Check: 23·2 + 12·4 = 94", 23, True, "boxed answer 23 = 23"),
        ("\\boxed{1{,}234}", 1234, True, "boxed answer 1234 = 1234"),
        ("We used Q4_K_M and v1.2.3 to get 17", 17, True, "last number 17 = 17"),
        ("沸点是100摄氏度", 100, True, "last number 100 = 100"),
        ("I do not know.", 7, False, "no number in the answer"),
    ],
)
def test_number_reads_the_final_answer(answer, value, passed, detail):
    assert judged(answer, kind="number", value=value) == CheckResult("number", passed, detail)


def test_number_tolerance_is_absolute():
    assert judged("$7,401.22", kind="number", value=7401.2214, tolerance=0.01).detail == (
        "last number 7401.22 = 7401.2214 ± 0.01"
    )
    assert not judged("$7,401", kind="number", value=7401.2214, tolerance=0.01).passed
    assert not judged("0.1667", kind="number", value=1 / 6).passed


def test_number_where_any_looks_at_every_number():
    answer = "There are 23 chickens and 12 rabbits."
    assert not judged(answer, kind="number", value=23).passed
    assert judged(answer, kind="number", value=23, where="any").detail == "found 23 among 2 number(s)"
    missing = judged(answer, kind="number", value=24, where="any")
    assert not missing.passed and missing.detail == "24 is not among the numbers in the answer (23, 12)"


def test_numbers_lists_the_missing_values():
    spec = {"kind": "numbers", "values": [23, 12]}
    assert run_check("12 rabbits, 23 chickens", spec) == CheckResult("numbers", True, "found all of 23, 12")
    result = run_check("23 chickens and 11 rabbits", spec)
    assert result == CheckResult("numbers", False, "missing 12 (found 23, 11)")
    assert run_check("", spec).detail == "missing 23, 12 (no number in the answer)"


def test_numbers_tolerance():
    assert judged("3776.24 m", kind="numbers", values=[3776], tolerance=1).passed
    assert not judged("3776.24 m", kind="numbers", values=[3776]).passed


@pytest.mark.parametrize(
    "answer, bounds, passed, detail",
    [
        ("  one two three  ", {"min_words": 3, "max_chars": 13}, True, "13 chars, 3 words: within bounds"),
        ("one two", {"min_words": 3}, False, "2 words, min_words is 3"),
        ("one two three", {"max_chars": 5, "max_words": 2}, False, "13 chars, max_chars is 5; 3 words, max_words is 2"),
        ("", {"min_chars": 1}, False, "0 chars, min_chars is 1"),
    ],
)
def test_length(answer, bounds, passed, detail):
    assert judged(answer, kind="length", **bounds) == CheckResult("length", passed, detail)


def test_results_come_one_per_spec_in_order_and_round_trip_as_dicts():
    specs = [{"kind": "json"}, {"kind": "contains", "text": "a"}, {"kind": "length", "max_words": 1}]
    results = run_checks('["a"]', specs)
    assert [result.kind for result in results] == ["json", "contains", "length"]
    assert all(result.passed for result in results)
    for result in results:
        assert result.to_dict() == {"kind": result.kind, "passed": True, "detail": result.detail}
        assert CheckResult(**result.to_dict()) == result


@pytest.mark.parametrize(
    "spec, message",
    [
        ("json", "a check must be a table with a 'kind' (one of json, json_schema, regex"),
        ({"text": "x"}, "a check lacks its 'kind'; the kinds are json, json_schema,"),
        ({"kind": "jsonn"}, "unknown check kind 'jsonn'; the kinds are json, json_schema, regex, contains"),
        ({"kind": "json", "schema": {}}, "check 'json' has unknown field(s) schema; a 'json' check takes no other"),
        ({"kind": "json_schema"}, "check 'json_schema' lacks schema; a 'json_schema' check takes schema"),
        ({"kind": "json_schema", "schema": []}, "field 'schema' must be a JSON Schema object, got []"),
        ({"kind": "json_schema", "schema": {"type": "integr"}}, "field 'schema' is not a valid JSON Schema: at $.type"),
        ({"kind": "json_schema", "schema": {"minItems": -1}}, "field 'schema' is not a valid JSON Schema"),
        ({"kind": "regex", "pattern": "(unclosed"}, "field 'pattern' is not a valid regular expression (missing )"),
        ({"kind": "regex", "pattern": ""}, "field 'pattern' must be a non-empty regular expression string"),
        ({"kind": "regex", "pattern": "a", "flags": "ix"}, "field 'flags' must be a string of letters from \"ims\""),
        ({"kind": "regex", "pattern": "a", "flag": "i"}, "has unknown field(s) flag; a 'regex' check takes pattern"),
        ({"kind": "contains", "text": ""}, "check 'contains': field 'text' must be a non-empty string, got ''"),
        ({"kind": "contains", "text": "a", "ignore_case": "no"}, "field 'ignore_case' must be true or false"),
        ({"kind": "not_contains"}, "check 'not_contains' lacks text; a 'not_contains' check takes text and optionally"),
        ({"kind": "number", "value": "23"}, "check 'number': field 'value' must be a number, got '23'"),
        ({"kind": "number", "value": True}, "field 'value' must be a number, got True"),
        ({"kind": "number", "value": 1, "tolerance": -0.1}, "field 'tolerance' must be a number ≥ 0"),
        (
            {"kind": "number", "value": 1, "where": "first"},
            'field \'where\' must be "last" (the final answer) or "any"',
        ),
        ({"kind": "numbers", "values": []}, "field 'values' must be a non-empty list of numbers, got []"),
        ({"kind": "numbers", "values": [1, "2"]}, "field 'values' must be a non-empty list of numbers"),
        ({"kind": "length"}, "check 'length' needs at least one of min_chars, max_chars, min_words, max_words"),
        ({"kind": "length", "max_words": -1}, "check 'length': field 'max_words' must be an integer ≥ 0, got -1"),
        ({"kind": "length", "min_chars": 1.5}, "field 'min_chars' must be an integer ≥ 0"),
        ({"kind": "length", "min_words": 9, "max_words": 3}, "min_words 9 is more than max_words 3; swap them"),
        ({"kind": "chinese_poem", "form": "sonnet"}, 'field \'form\' must be "jueju" (4 lines), "lushi" (8 lines) or "any"'),
        ({"kind": "chinese_poem", "lines": 4}, "has unknown field(s) lines; a 'chinese_poem' check takes optionally form"),
        ({"kind": "haiku", "syllables": True}, "has unknown field(s) syllables; a 'haiku' check takes no other fields"),
        ({"kind": "not_stated", "text": "x"}, "has unknown field(s) text; a 'not_stated' check takes no other fields"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_field_and_what_it_allows(spec, message):
    with pytest.raises(CheckSpecError) as caught:
        validate_check(spec)
    assert message in str(caught.value)
    with pytest.raises(CheckSpecError):
        run_check("any answer", spec)


JING_YE_SI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
SEVEN_JUEJU = "朝辞白帝彩云间，千里江陵一日还。\n两岸猿声啼不住，轻舟已过万重山。"
LUSHI = """国破山河在，城春草木深。
感时花溅泪，恨别鸟惊心。
烽火连三月，家书抵万金。
白头搔更短，浑欲不胜簪。"""


@pytest.mark.parametrize(
    "answer, form, detail",
    [
        (JING_YE_SI, "any", "a jueju (4 lines) of 5-character lines: 床前明月光…"),
        (JING_YE_SI, "jueju", "a jueju (4 lines) of 5-character lines: 床前明月光…"),
        ("床前明月光\n疑是地上霜\n举头望明月\n低头思故乡", "jueju", "a jueju (4 lines) of 5-character lines: 床前明月光…"),
        ("床前明月光 疑是地上霜 举头望明月 低头思故乡", "jueju", "a jueju (4 lines) of 5-character lines: 床前明月光…"),
        (SEVEN_JUEJU, "jueju", "a jueju (4 lines) of 7-character lines: 朝辞白帝彩云间…"),
        (LUSHI, "lushi", "a lüshi (8 lines) of 5-character lines: 国破山河在…"),
        (LUSHI.replace("\n", "\n\n"), "any", "a lüshi (8 lines) of 5-character lines: 国破山河在…"),
        (
            "《静夜思》\n唐·李白\n\n" + JING_YE_SI + "\n\n这首诗写出了诗人在寂静的月夜里思念家乡的心情。",
            "jueju",
            "a jueju (4 lines) of 5-character lines: 床前明月光…",
        ),
        ("Here is the poem:\n\n静夜思\n" + JING_YE_SI + "\n\nPinyin: chuáng qián míng yuè guāng", "any",
         "a jueju (4 lines) of 5-character lines: 床前明月光…"),
        ("牀前明月光，疑是地上霜。擧頭望明月，低頭思故鄉。", "any", "a jueju (4 lines) of 5-character lines: 牀前明月光…"),
        ("㐀㐁㐂㐃㐄，㐅㐆㐇㐈㐉。㐊㐋㐌㐍㐎，㐏㐐㐑㐒㐓。", "any", "a jueju (4 lines) of 5-character lines: 㐀㐁㐂㐃㐄…"),
    ],
)
def test_a_chinese_poem_is_found_in_its_lines_or_couplets(answer, form, detail):
    assert judged(answer, kind="chinese_poem", form=form) == CheckResult("chinese_poem", True, detail)


@pytest.mark.parametrize(
    "answer, form, detail",
    [
        (JING_YE_SI, "lushi", "the poem has 4 line(s), from 床前明月光; wanted a lüshi (8 lines)"),
        (LUSHI, "jueju", "the poem has 8 line(s), from 国破山河在; wanted a jueju (4 lines)"),
        ("床前明月光，疑是地上霜。举头望明月。", "any",
         "the poem has 3 line(s), from 床前明月光; wanted a jueju (4 lines) or a lüshi (8 lines)"),
        (JING_YE_SI + "\n" + JING_YE_SI + "\n床前明月光，疑是地上霜。", "any", "the poem has 10 line(s), from 床前明月光"),
        ("床前明月光，疑是地上霜。\n举头望明月，低头思故乡啊。", "any",
         "the poem has 2 line(s), from 床前明月光; wanted a jueju (4 lines) or a lüshi (8 lines); lines of other"
         + " lengths: 低头思故乡啊 (6)"),
        ("床前明月光，两岸猿声啼不住。\n举头望明月，低头思故乡。", "any",
         "lines of mixed lengths (5, 7, 5, 5 characters); all 5 or all 7 wanted"),
        ("Before my bed the moonlight glows,\nlike frost upon the ground it shows.", "any",
         "found no verse (lines of 5 or 7 Han characters, punctuation aside); wanted a jueju (4 lines) or a lüshi"),
        ("", "jueju", "found no verse (lines of 5 or 7 Han characters, punctuation aside); wanted a jueju (4 lines)"),
        ("1. 床前明月光\n2. 疑是地上霜\n3. 举头望明月\n4. 低头思故乡", "any", "found no verse"),
        ("春天来了，花开了。", "any", "found no verse (lines of 5 or 7 Han characters, punctuation aside); wanted a "),
    ],
)
def test_a_chinese_poem_of_the_wrong_form_fails_saying_what_was_found(answer, form, detail):
    result = judged(answer, kind="chinese_poem", form=form)
    assert not result.passed and result.kind == "chinese_poem"
    assert detail in result.detail


@pytest.mark.parametrize(
    "answer, detail",
    [
        ("Cold rain on the roof\nthe maple lets go\none leaf at a time", "three lines (block 1 of 1): Cold rain"),
        ("  Cold rain\n  the maple\n  one leaf  \n", "three lines (block 1 of 1): Cold rain / the maple / one leaf"),
        ("Here is a haiku:\n\nCold rain\nthe maple\none leaf\n\nIt uses a seasonal word.", "(block 2 of 3)"),
        ("**Autumn Rain**\nCold rain\nthe maple\none leaf", "three lines (block 1 of 1): Cold rain"),
        ("# Autumn Rain\n\nCold rain\nthe maple\none leaf", "three lines (block 1 of 1): Cold rain"),
        ("古池や\n蛙飛び込む\n水の音", "three lines (block 1 of 1): 古池や / 蛙飛び込む / 水の音"),
    ],
)
def test_a_haiku_is_a_block_of_three_lines(answer, detail):
    result = judged(answer, kind="haiku")
    assert result.passed and detail in result.detail


@pytest.mark.parametrize(
    "answer, detail",
    [
        ("Cold rain / the maple / one leaf", "no block of exactly three lines; the answer's blocks have 1 line(s)"),
        ("Cold rain\nthe maple\n\none leaf", "no block of exactly three lines; the answer's blocks have 2, 1 line(s)"),
        ("Rain\nCold rain\nthe maple\none leaf", "no block of exactly three lines; the answer's blocks have 4 line(s)"),
        ("", "no lines: the answer is empty"),
        ("  \n\n**Title**\n", "no lines: the answer is empty"),
    ],
)
def test_a_haiku_of_other_than_three_lines_fails(answer, detail):
    assert judged(answer, kind="haiku") == CheckResult("haiku", False, detail)


@pytest.mark.parametrize(
    "answer, found",
    [
        ("The passage does not say how much it weighs.", "does not say"),
        ("The notice doesn't mention a sewage charge.", "doesn't mention"),
        ("The minutes don’t record an election.", "don’t record"),
        ("The cost of the repair is not stated in the minutes.", "not stated"),
        ("There is no information about parking.", "no information"),
        ("The manual says nothing about the weight.", "says nothing"),
        ("This cannot be determined from the passage.", "cannot be determined"),
        ("I can't tell from the text who designed it.", "can't tell"),
    ],
)
def test_not_stated_passes_when_the_answer_says_the_source_lacks_it(answer, found):
    result = judged(answer, kind="not_stated")
    assert result == CheckResult("not_stated", True, f"says the source does not give it: {found!r}")


@pytest.mark.parametrize(
    "answer",
    [
        "The drill weighs 1.6 kg.",
        "According to the passage, the sewage charge is £1.20 per cubic metre.",
        "J. Okafor was elected chair; nobody else stood.",
        "The notice says the fee is stated on the bill.",  # "stated" alone is not a denial
        "",
    ],
)
def test_not_stated_fails_on_an_answer_that_gives_a_value(answer):
    result = judged(answer, kind="not_stated")
    assert not result.passed and result.detail.startswith("does not say that the source lacks the answer")
