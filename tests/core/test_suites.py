"""Prompt suites: the shipped ones load and their references pass their own checks; user files load, fail clearly, import."""

import json

import pytest

from gui.core.checks import run_check, run_checks
from gui.core.suites import (
    SHIPPED_DIR,
    Suite,
    SuiteError,
    SuiteItem,
    available_suites,
    find_suite,
    import_suite,
    load_suite,
    user_suites_dir,
)

SHIPPED = sorted(SHIPPED_DIR.glob("*.toml"))
GOOD_TOML = """\
title = "Mine"
description = "Two prompts."

[[prompts]]
id = "a-1"
category = "math"
prompt = "What is 6 × 7?"
reference = "42"
checks = [{ kind = "number", value = 42 }]

[[prompts]]
id = "a-2"
category = "chat"
system = "Be brief."
prompt = "Say hello."
"""
ONE = json.dumps({"id": "1", "category": "c", "prompt": "p"}) + "\n"  # a one-prompt JSON Lines suite


def shipped_items():
    return [(suite, item) for suite in map(load_suite, SHIPPED) for item in suite.items]


def checked_pairs():
    return [
        pytest.param(item, check, id=f"{suite.name}/{item.id}/{number}")
        for suite, item in shipped_items()
        for number, check in enumerate(item.checks, 1)
    ]


def wrong_answer(item: SuiteItem, check: dict) -> str:
    """An answer `check` must refuse.

    An empty answer holds no JSON, no match, no text and no number, and is shorter than any
    minimum; a forbidden text is refused once added to the reference; an answer longer than
    every maximum is refused by a length check that sets no minimum.
    """
    if check["kind"] == "not_contains":
        return f"{item.reference} {check['text']}"
    if check["kind"] == "length" and not check.get("min_chars") and not check.get("min_words"):
        return "word " * (max(check.get("max_chars", 0), check.get("max_words", 0)) + 1)
    return ""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refused(path) -> str:
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    return str(caught.value)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_suite_loads_with_a_title_and_categories(path):
    suite = load_suite(path)
    assert suite.name == path.stem and suite.path == str(path)
    assert suite.title != suite.name and suite.description
    assert all(item.category for item in suite.items)


def test_the_shipped_suites_are_the_seven_promised_with_125_prompts_or_more():
    counts = {suite.name: len(suite.items) for suite in map(load_suite, SHIPPED)}
    assert sorted(counts) == ["code", "json", "logic", "math", "multilingual", "poetry", "rag"]
    assert sum(counts.values()) >= 125
    assert counts["logic"] == 48 and counts["json"] >= 10 and counts["math"] >= 10 and counts["rag"] >= 12
    assert min(counts["poetry"], counts["code"], counts["multilingual"]) >= 8


def test_the_logic_suite_has_twelve_prompts_in_each_of_its_four_categories():
    suite = load_suite(SHIPPED_DIR / "logic.toml")
    assert suite.categories == ("causal", "paradox", "proof", "symbolic")
    assert {category: sum(item.category == category for item in suite.items) for category in suite.categories} == (
        dict.fromkeys(suite.categories, 12)
    )


def test_every_logic_item_has_a_reference_and_a_rubric_saying_what_earns_each_score():
    for item in load_suite(SHIPPED_DIR / "logic.toml").items:
        assert item.reference, item.id
        # "3: …", "2: …", "1: …", "0: …", each score once, best first as raters read them.
        places = [item.rubric.find(f"{score}: ") for score in (3, 2, 1, 0)]
        assert -1 not in places and places == sorted(places), (item.id, item.rubric)
        assert all(item.rubric.count(f"{score}: ") == 1 for score in (3, 2, 1, 0)), item.id


def test_every_checked_item_has_a_reference():
    assert [item.id for _, item in shipped_items() if item.checks and not item.reference] == []
    assert sum(bool(item.checks) for _, item in shipped_items()) >= 60


@pytest.mark.parametrize("item, check", checked_pairs())
def test_every_check_passes_on_its_reference_and_fails_on_a_wrong_answer(item, check):
    passed = run_check(item.reference, check)
    assert passed.passed, passed.detail
    failed = run_check(wrong_answer(item, check), check)
    assert not failed.passed, failed.detail


def rag_items(category: str) -> list[SuiteItem]:
    return [item for item in load_suite(SHIPPED_DIR / "rag.toml").items if item.category == category]


def test_the_rag_suite_asks_about_its_passage_and_at_least_four_times_for_what_it_lacks():
    suite = load_suite(SHIPPED_DIR / "rag.toml")
    assert suite.categories == ("in-passage", "not-in-passage")
    assert len(rag_items("not-in-passage")) >= 4 and len(rag_items("in-passage")) >= 8
    for item in suite.items:
        assert item.prompt.startswith("Passage:\n") and "\n\nQuestion: " in item.prompt, item.id
        assert item.system and item.reference and item.rubric and item.checks, item.id


@pytest.mark.parametrize("item", rag_items("in-passage"), ids=lambda item: item.id)
def test_a_rag_answer_in_the_passage_fails_when_it_says_the_passage_lacks_it(item):
    assert not all(result.passed for result in run_checks("The passage does not say.", list(item.checks)))


@pytest.mark.parametrize("item", rag_items("not-in-passage"), ids=lambda item: item.id)
def test_a_rag_answer_not_in_the_passage_must_say_so_and_invent_nothing(item):
    kinds = [check["kind"] for check in item.checks]
    assert kinds == ["not_stated", "not_contains"], item.id
    invented = f"According to the passage, {item.checks[1]['text']} 12."
    assert [result.passed for result in run_checks(invented, list(item.checks))] == [False, False]
    # Saying the passage lacks it, then inventing the value anyway, still fails.
    hedged = f"{item.reference} Still, {item.checks[1]['text']} 12."
    assert [result.passed for result in run_checks(hedged, list(item.checks))] == [True, False]


def test_the_classical_chinese_and_a_haiku_prompt_check_their_form():
    poetry = {item.id: item for item in load_suite(SHIPPED_DIR / "poetry.toml").items}
    forms = {item.id: [check.get("form") for check in item.checks if check["kind"] == "chinese_poem"]
             for item in poetry.values() if item.category == "classical-chinese"}
    assert forms == {"jueju-01": ["jueju"], "jueju-02": ["jueju"], "lushi-01": ["lushi"]}
    assert {"kind": "haiku"} in poetry["haiku-03"].checks


def test_the_json_references_are_json_and_every_json_item_checks_a_schema():
    for item in load_suite(SHIPPED_DIR / "json.toml").items:
        assert {check["kind"] for check in item.checks} == {"json", "json_schema"}, item.id


def test_a_toml_suite_loads_with_its_title_and_defaults(tmp_path):
    suite = load_suite(write(tmp_path / "mine.toml", GOOD_TOML))
    assert (suite.name, suite.title, suite.description) == ("mine", "Mine", "Two prompts.")
    assert suite.items == (
        SuiteItem("a-1", "math", "What is 6 × 7?", reference="42", checks=({"kind": "number", "value": 42},)),
        SuiteItem("a-2", "chat", "Say hello.", system="Be brief."),
    )
    assert suite.categories == ("chat", "math")


def test_a_jsonl_suite_is_titled_by_its_file_and_skips_blank_lines(tmp_path):
    lines = [
        json.dumps({"id": "q1", "category": "geo", "prompt": "Capital of Peru?", "reference": "Lima",
                    "rubric": "3: Lima. 0: any other city."}),
        "",
        json.dumps({"id": "q2", "category": "geo", "prompt": "Longest river?", "checks": [{"kind": "json"}]}),
    ]
    suite = load_suite(write(tmp_path / "quiz.jsonl", "\n".join(lines) + "\n"))
    assert suite.title == "quiz"
    assert [item.id for item in suite.items] == ["q1", "q2"]
    assert (suite.items[0].rubric, suite.items[1].rubric) == ("3: Lima. 0: any other city.", "")
    assert suite.items[1].checks == ({"kind": "json"},)


def test_a_csv_suite_reads_checks_from_a_json_cell(tmp_path):
    text = (
        "id,category,prompt,reference,checks\n"
        'c1,math,"Add 2 and 2, then say it.",4,"[{""kind"": ""number"", ""value"": 4}]"\n'
        "c2,chat,Hello,,\n"
    )
    suite = load_suite(write(tmp_path / "sheet.csv", text))
    assert suite.items == (
        SuiteItem("c1", "math", "Add 2 and 2, then say it.", reference="4", checks=({"kind": "number", "value": 4},)),
        SuiteItem("c2", "chat", "Hello"),
    )


@pytest.mark.parametrize(
    "name, text, wrong",
    [
        ("bad.toml", 'title = "x"\n\n[[prompts]]\nid = "a\ncategory = "b"\n', "not valid TOML: "),
        ("bad.toml", GOOD_TOML + 'answer = "x"\n', "prompt 2 (id 'a-2'): unknown key(s) answer; the allowed keys"),
        ("bad.toml", 'name = "x"\n' + GOOD_TOML, "unknown top-level key(s) name; the allowed keys are title, desc"),
        ("bad.toml", GOOD_TOML.replace('"a-2"', '"a-1"'), "prompt 2 (id 'a-1'): duplicate id 'a-1', first used at"),
        ("bad.toml", GOOD_TOML.replace("value = 42", "value = '42'"), "prompt 1 (id 'a-1'): check 1: check 'number'"),
        ("bad.toml", GOOD_TOML.replace('category = "chat"\n', ""), "prompt 2 (id 'a-2'): category is missing or blank"),
        ("bad.toml", GOOD_TOML.replace('"Say hello."', '"  "'), "prompt is missing or blank"),
        ("empty.toml", 'title = "Nothing yet"\n', "the suite has no prompts. Add [[prompts]] tables"),
        ("empty.jsonl", "\n\n", "the suite has no prompts. Add one JSON object per line"),
        ("empty.csv", "id,category,prompt\n", "the suite has no prompts. Add rows under a header"),
        ("bad.jsonl", '{"id": "a", "category": "b", "prompt": "c"}\n{"id": "b",\n', "line 2: not valid JSON"),
        ("bad.jsonl", '["a", "b", "c"]\n', "line 1: each line must hold one JSON object"),
        ("bad.csv", "id,prompt,answer\n1,hi,x\n", "line 1: the header lacks category; unknown column(s) answer"),
        ("bad.csv", 'id,category,prompt,checks\n1,a,hi,"[{""kind"": ""jsn""}]"\n', "line 2 (id '1'): check 1:"),
        ("bad.csv", "id,category,prompt,checks\n1,a,hi,[oops]\n", "line 2: the checks cell is not JSON"),
        ("bad.txt", "id,category,prompt\n", "not a suite file. Write the suite as .toml, .jsonl or .csv"),
    ],
)
def test_a_bad_suite_names_the_file_the_place_and_the_fix(tmp_path, name, text, wrong):
    path = write(tmp_path / name, text)
    message = refused(path)
    assert message.startswith(str(path))
    assert wrong in message
    assert any(fix in message for fix in ("load the suite again", "Add ", "Write the suite", "its own id"))


def test_a_toml_syntax_error_gives_its_line(tmp_path):
    assert "(at line 4, column 8)" in refused(write(tmp_path / "bad.toml", 'title = "x"\n\n[[prompts]]\nid = "a\n'))


def test_a_bad_check_names_the_item_and_what_the_check_allows(tmp_path):
    text = GOOD_TOML.replace('{ kind = "number", value = 42 }', '{ kind = "regex", pattern = "(" }')
    message = refused(write(tmp_path / "mine.toml", text))
    assert "prompt 1 (id 'a-1'): check 1: check 'regex': field 'pattern' is not a valid regular expression" in message


def test_an_unreadable_suite_is_a_suite_error(tmp_path):
    assert refused(tmp_path / "absent.toml") == (
        f"{tmp_path / 'absent.toml'}: cannot read the suite file (No such file or directory). "
        "Check the file's name and permissions, or choose another suite."
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,category,prompt\n1,café,p\n".encode("latin-1"))
    assert "not UTF-8 text (byte 24). Save the file as UTF-8." in refused(latin)


def test_available_suites_lists_shipped_then_user_suites_and_reports_a_broken_file(data_dir):
    folder = user_suites_dir(data_dir)
    write(folder / "zeta.toml", GOOD_TOML)
    write(folder / "alpha.jsonl", ONE)
    broken = write(folder / "broken.csv", "id,category,prompt\n1,,p\n")
    write(folder / "logic.jsonl", ONE)
    write(folder / "notes.txt", "not a suite")
    suites, errors = available_suites(data_dir)
    assert [suite.name for suite in suites] == [path.stem for path in SHIPPED] + ["alpha", "zeta"]
    assert len(errors) == 2
    assert errors[0].startswith(f"{broken}, line 2 (id '1'): category is missing or blank")
    assert errors[1].startswith(f"{folder / 'logic.jsonl'}: the name 'logic' is taken by ")
    assert "rename the file" in errors[1]


def test_no_user_folder_means_only_the_shipped_suites(data_dir):
    suites, errors = available_suites(data_dir)
    assert [suite.name for suite in suites] == [path.stem for path in SHIPPED] and errors == []


def test_find_suite_by_path_or_by_name(tmp_path, data_dir):
    path = write(tmp_path / "mine.toml", GOOD_TOML)
    assert find_suite(str(path), data_dir).path == str(path)
    assert find_suite("math", data_dir).path == str(SHIPPED_DIR / "math.toml")
    import_suite(path, data_dir)
    assert find_suite("mine", data_dir).path == str(user_suites_dir(data_dir) / "mine.toml")


def test_find_suite_lists_the_names_when_none_matches(data_dir):
    with pytest.raises(SuiteError) as caught:
        find_suite("maths", data_dir)
    message = str(caught.value)
    assert "no suite called 'maths' and no such file; the suites are code, json, logic, math," in message
    assert "multilingual, poetry, rag." in message
    assert "Give one of these names or the path" in message


def test_find_suite_gives_a_broken_user_file_its_own_error(data_dir):
    write(user_suites_dir(data_dir) / "mine.toml", "title = \n")
    with pytest.raises(SuiteError, match="mine.toml: not valid TOML"):
        find_suite("mine", data_dir)


def test_import_copies_the_file_as_is_and_returns_the_copy(tmp_path, data_dir):
    source = tmp_path / "mine.toml"
    source.write_bytes(GOOD_TOML.replace("\n", "\r\n").encode())
    suite = import_suite(source, data_dir)
    copy = user_suites_dir(data_dir) / "mine.toml"
    assert copy.read_bytes() == source.read_bytes()
    assert isinstance(suite, Suite) and suite.path == str(copy) and len(suite.items) == 2
    assert import_suite(source, data_dir) == suite  # the identical file again is fine
    assert [path.name for path in user_suites_dir(data_dir).iterdir()] == ["mine.toml"]


def test_import_refuses_a_shipped_name(tmp_path, data_dir):
    with pytest.raises(SuiteError) as caught:
        import_suite(write(tmp_path / "logic.toml", GOOD_TOML), data_dir)
    assert "a shipped suite is already called 'logic'. Rename the file" in str(caught.value)
    assert not user_suites_dir(data_dir).exists()


@pytest.mark.parametrize("existing, text", [("mine.toml", GOOD_TOML.replace("Mine", "Theirs")), ("mine.jsonl", ONE)])
def test_import_refuses_a_different_file_of_the_same_name(tmp_path, data_dir, existing, text):
    write(user_suites_dir(data_dir) / existing, text)
    with pytest.raises(SuiteError) as caught:
        import_suite(write(tmp_path / "mine.toml", GOOD_TOML), data_dir)
    assert "a different suite called 'mine' is already imported" in str(caught.value)
    assert "Rename the file, then import it again." in str(caught.value)
    assert (user_suites_dir(data_dir) / existing).read_text(encoding="utf-8") == text


def test_import_refuses_a_broken_file_and_copies_nothing(tmp_path, data_dir):
    with pytest.raises(SuiteError, match="duplicate id"):
        import_suite(write(tmp_path / "mine.toml", GOOD_TOML.replace('"a-2"', '"a-1"')), data_dir)
    assert not (user_suites_dir(data_dir) / "mine.toml").exists()
