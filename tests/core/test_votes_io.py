"""The vote record's checks and the interchange files: round trips, FastChat battles, bad lines."""

import json
import shutil

import pytest

from gui.core.leaderboard import compute_leaderboard
from gui.core.records import vote_on
from gui.core.store import RoundRecord, Store
from gui.core.votes import Outcome, Vote
from gui.core.votes_io import (
    FIELDS,
    VoteFileError,
    read_votes_csv,
    read_votes_jsonl,
    write_csv,
    write_jsonl,
)

VOTES = [
    Vote(
        "r1",
        "SmolLM2-135M-Instruct.Q4_1",
        "gemma-3-270m-q4_k_m",
        Outcome.LEFT,
        rater="ann",
        category="math",
        rubric_left=3,
        rubric_right=0,
        comment='clear, "rigorous"\nsecond line; ünïcode ✓',
        cast_at="2025-01-02T03:04:05+00:00",
    ),
    Vote("r2", "gemma-3-270m-q4_k_m", "SmolLM2-135M-Instruct.Q4_1", "right", repeat_of="r1", identity_leak=True),
    Vote("r3", "SmolLM2-135M-Instruct.Q4_1", "SmolLM2-135M-Instruct.Q4_1", Outcome.BOTH_BAD, control=True),
    Vote("r4", "a", "b", Outcome.TIE, rubric_left=2),
]


def write_lines(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_outcome_is_coerced_from_its_value():
    assert Vote("r", "a", "b", "both_bad").outcome is Outcome.BOTH_BAD


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"outcome": "draw"}, "outcome must be one of left, right, tie, both_bad; got 'draw'"),
        ({"model_left": " "}, "model_left must not be empty"),
        ({"round_id": ""}, "round_id must not be empty"),
        ({"rubric_left": 4}, "rubric_left must be an integer 0–3 or None, got 4"),
        ({"rubric_right": True}, "rubric_right must be an integer 0–3 or None, got True"),
        ({"control": True}, "a control vote has the same model on both sides"),
        ({"identity_leak": "no"}, "identity_leak must be true or false"),
        ({"rater": None}, "rater must be a string"),
    ],
)
def test_a_vote_that_cannot_be_rated_is_refused(fields, message):
    with pytest.raises((ValueError, TypeError)) as caught:
        Vote(**{"round_id": "r", "model_left": "a", "model_right": "b", "outcome": "left", **fields})
    assert message in str(caught.value)


def test_jsonl_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "votes.jsonl"
    write_jsonl(VOTES, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(VOTES)
    first = json.loads(lines[0])
    assert tuple(first) == FIELDS and first["outcome"] == "left" and first["repeat_of"] is None
    assert read_votes_jsonl(path) == VOTES


def test_csv_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "votes.csv"
    write_csv(VOTES, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(",".join(FIELDS) + "\n")
    assert "\nr4,a,b,tie,,,2,,,false,,false,\n" in text  # None is an empty cell
    assert read_votes_csv(path) == VOTES


def test_fastchat_battles_read_with_model_a_on_the_left(tmp_path):
    battle = {"model_a": "m1", "model_b": "m2", "judge": "expert_3", "language": "English", "tstamp": 0}
    path = write_lines(
        tmp_path / "battles.jsonl",
        json.dumps({**battle, "question_id": "q1", "winner": "model_a", "turn": 1}),
        json.dumps({**battle, "question_id": 7, "winner": "model_b", "category": "code"}),
        "",
        json.dumps({"model_a": "m2", "model_b": "m1", "winner": "tie"}),
        json.dumps({"model_a": "m2", "model_b": "m1", "winner": "tie (bothbad)"}),
        json.dumps({"round_id": "own", "model_left": "m1", "model_right": "m2", "outcome": "left"}),
    )
    votes = read_votes_jsonl(path)
    assert [vote.outcome for vote in votes] == [
        Outcome.LEFT,
        Outcome.RIGHT,
        Outcome.TIE,
        Outcome.BOTH_BAD,
        Outcome.LEFT,
    ]
    first, second, tie, both_bad, own = votes
    # a question's round is one turn of one pair: MT-bench asks each question of many pairs
    assert (first.round_id, first.model_left, first.model_right) == ("q1:1:m1:m2", "m1", "m2")
    assert (first.rater, first.category, first.cast_at) == ("expert_3", "English", "1970-01-01T00:00:00+00:00")
    assert (second.round_id, second.category) == ("7:1:m1:m2", "code")
    # no question_id: each line's hash, different lines apart, the same line the same in any file
    assert tie.round_id != both_bad.round_id and len(tie.round_id) == 16
    assert read_votes_jsonl(write_lines(tmp_path / "again.jsonl", path.read_text().splitlines()[3]))[0] == tie
    assert own.round_id == "own"


@pytest.mark.parametrize(
    "bad_line, wrong",
    [
        ('{"model_a": "m1", "model_b": "m2", "winner": ', "not valid JSON"),
        ('{"model_a": "m1", "model_b": "m2", "winner": "draw"}', "unknown winner 'draw'"),
        ('{"model_a": "m1", "winner": "tie"}', "missing model_b"),
        ('{"round_id": "r", "model_right": "m2", "outcome": "tie"}', "missing model_left"),
        ('{"round_id": "r", "model_left": "m", "model_right": "n", "outcome": "tie", "rubric": 2}', "unknown field"),
        (
            '{"round_id": "r", "model_left": "m", "model_right": "n", "outcome": "left", "rubric_left": 5}',
            "rubric_left",
        ),
        ('["m1", "m2", "model_a"]', "one JSON object"),
    ],
)
def test_a_bad_line_names_the_file_the_line_and_the_fix(tmp_path, bad_line, wrong):
    good = '{"model_a": "m1", "model_b": "m2", "winner": "tie"}'
    path = write_lines(tmp_path / "votes.jsonl", good, "", bad_line, good)
    with pytest.raises(VoteFileError) as caught:
        read_votes_jsonl(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 3: ")
    assert wrong in message and "Fix or delete that line" in message


def test_a_missing_file_is_a_vote_file_error(tmp_path):
    with pytest.raises(VoteFileError) as refused:
        read_votes_jsonl(tmp_path / "absent.jsonl")
    assert str(refused.value) == (
        f"{tmp_path / 'absent.jsonl'}: cannot read the vote file (No such file or directory). "
        "Check the file's name and permissions, or choose another file."
    )


def test_a_bad_csv_row_names_its_line(tmp_path):
    path = tmp_path / "votes.csv"
    write_csv(VOTES[3:], path)
    with path.open("a", encoding="utf-8") as file:
        file.write("r5,a,b,left,,,seven,,,false,,false,\n")
    with pytest.raises(VoteFileError, match=r"votes\.csv, line 3: rubric_left must be an integer"):
        read_votes_csv(path)


def test_a_csv_with_a_foreign_header_is_refused(tmp_path):
    path = write_lines(tmp_path / "votes.csv", "round_id,model_left,model_right,winner", "r,a,b,left")
    with pytest.raises(VoteFileError, match="line 1: the header lacks outcome; unknown column"):
        read_votes_csv(path)


def test_two_raters_exports_merged_into_a_third_store_give_one_round_with_two_votes(tmp_path):
    # The rounds travel as a copy of the results database that ran them, so every rater's votes name the same ids.
    model = {"label": "A"}, {"label": "B"}
    shown = RoundRecord(
        id="3f2a", created_at="2026-11-23T10:00:00+00:00", chat_id="c", turn=1, prompt="Prove it.", category="proof",
        mode="sequential", params={}, swapped=False, left_model=model[0], right_model=model[1],
        left_output="proof a", right_output="proof b", left_metrics={}, right_metrics={}, environment={},
    )
    ran = Store(tmp_path / "ran.sqlite")
    ran.add_round(shown)
    ran.close()
    exports = []
    for rater, outcome, scores, write in (("kim", "left", (3, 1), write_jsonl), ("lee", "tie", (2, 2), write_csv)):
        copy = tmp_path / f"{rater}.sqlite"
        shutil.copyfile(tmp_path / "ran.sqlite", copy)
        store = Store(copy)
        (record,) = store.rounds()
        store.add_vote(vote_on(record, outcome, rater, *scores, ""))
        exports.append(tmp_path / f"{rater}.{'jsonl' if write is write_jsonl else 'csv'}")
        write(store.votes(), exports[-1])
        store.close()
    shutil.copyfile(tmp_path / "ran.sqlite", tmp_path / "third.sqlite")
    third = Store(tmp_path / "third.sqlite")
    assert third.add_votes(read_votes_jsonl(exports[0]) + read_votes_csv(exports[1])) == 2
    assert third.add_votes(read_votes_jsonl(exports[0])) == 0  # importing again adds nothing
    assert [r.id for r in third.rounds()] == ["3f2a"]
    assert [(v.round_id, v.rater, v.rubric_left) for v in third.votes()] == [("3f2a", "kim", 3), ("3f2a", "lee", 2)]
    board = compute_leaderboard(third.votes(), bootstrap_rounds=10)
    assert (board.agreement.rounds, board.agreement.raters) == (1, 2)
    assert (board.rubric_agreement.overall.answers, board.rubric_agreement.overall.raters) == (2, 2)
    third.close()
