"""The rating queue: unrated rounds oldest first, rated pairs back later with sides swapped, each at most once."""

import dataclasses
import random

import pytest

from gui.core.rating_queue import MIN_GAP, RatingQueue
from gui.core.records import earlier_turns, swapped_copy
from gui.core.store import RoundRecord
from gui.core.votes import Vote


def a_round(number: int, **changes) -> RoundRecord:
    fields = dict(
        id=f"r{number}", created_at=f"2026-11-23T10:{number:02d}:00+00:00", chat_id=f"c{number}", turn=1,
        prompt=f"prompt {number}", category="math", mode="sequential",
        params={"left": {"sampling": {"seed": 1}}, "right": {"sampling": {"seed": 2}}}, swapped=False,
        left_model={"label": "A"}, right_model={"label": "B"}, left_output=f"a{number}", right_output=f"b{number}",
        left_metrics={"tokens": 1}, right_metrics={"tokens": 2}, environment={},
        left_checks=[{"kind": "json", "passed": True, "detail": "whole answer"}], right_checks=None,
    )
    return RoundRecord(**{**fields, **changes})


def a_vote(round_id: str, rater="ann", **changes) -> Vote:
    return Vote(round_id=round_id, model_left="A", model_right="B", outcome="left", rater=rater, **changes)


def shown_ids(queue: RatingQueue, rate_votes=True) -> list[str]:
    """Walk the whole queue, voting on everything; a repeat shows as 'repeat:<original>'."""
    shown = []
    while (record := queue.next()) is not None:
        shown.append(f"repeat:{record.repeat_of}" if record.repeat_of else record.id)
        if rate_votes:
            queue.rated(record)
    return shown


def test_fresh_rounds_come_oldest_first_without_those_the_rater_already_rated():
    rounds = [a_round(n) for n in range(1, 5)]
    queue = RatingQueue(rounds, [a_vote("r2"), a_vote("r3", rater="bob")], "ann")
    assert shown_ids(queue) == ["r1", "r3", "r4"]


def test_one_sided_rounds_excluded_rounds_and_stored_repeats_are_not_offered():
    rounds = [a_round(1, right_metrics=None), a_round(2), a_round(3, repeat_of="r2"), a_round(4)]
    assert shown_ids(RatingQueue(rounds, [], "ann", exclude=["r4"])) == ["r2"]


def test_without_a_rate_nothing_comes_back():
    rounds = [a_round(n) for n in range(1, 10)]
    assert shown_ids(RatingQueue(rounds, [], "ann")) == [f"r{n}" for n in range(1, 10)]


def test_at_rate_one_pairs_come_back_once_each_only_after_the_gap():
    rounds = [a_round(n) for n in range(1, 7)]
    shown = shown_ids(RatingQueue(rounds, [], "ann", repeat_rate=1.0, rng=random.Random(1)))
    fresh = [s for s in shown if not s.startswith("repeat")]
    repeats = [s.removeprefix("repeat:") for s in shown if s.startswith("repeat")]
    assert fresh == [f"r{n}" for n in range(1, 7)]
    # The last pairs rated have no rounds left to wait behind: they do not come back.
    assert sorted(repeats) == fresh[:-MIN_GAP + 1]
    for original in repeats:
        assert shown.index(f"repeat:{original}") - shown.index(original) > MIN_GAP


def test_a_repeat_is_the_same_pair_with_sides_swapped_and_not_yet_stored():
    original = a_round(1, swapped=True)
    copy = swapped_copy(original, "new", "2026-11-24T00:00:00+00:00")
    assert (copy.left_model, copy.right_model) == (original.right_model, original.left_model)
    assert (copy.left_output, copy.right_output) == ("b1", "a1")
    assert (copy.left_metrics, copy.right_checks) == (original.right_metrics, original.left_checks)
    assert copy.params == {"left": original.params["right"], "right": original.params["left"]}
    assert copy.swapped is False and copy.repeat_of == "r1" and copy.id == "new"
    assert copy.prompt == original.prompt and copy.category == original.category


def test_pairs_rated_in_an_earlier_session_may_come_back_and_those_repeated_before_do_not():
    rounds = [a_round(1), a_round(2)]
    votes = [a_vote("r1"), a_vote("r2"), a_vote("r2-again", repeat_of="r2")]
    queue = RatingQueue(rounds, votes, "ann", repeat_rate=1.0)
    assert shown_ids(queue) == ["repeat:r1"]


def test_the_rate_is_roughly_kept():
    rounds = [a_round(n) for n in range(1, 61)]
    shown = shown_ids(RatingQueue(rounds, [], "ann", repeat_rate=0.2, rng=random.Random(7)))
    repeats = sum(s.startswith("repeat") for s in shown)
    assert 5 <= repeats <= 22  # 60 fresh rounds at 20%: about 12-15


def test_a_rate_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="probability"):
        RatingQueue([], [], "ann", repeat_rate=1.5)


def test_earlier_turns_show_the_chat_as_the_round_shows_its_sides():
    first = a_round(1, chat_id="c", turn=1, left_output="L1", right_output="R1")
    second = a_round(2, chat_id="c", turn=2)
    other = a_round(3, chat_id="elsewhere", turn=1)
    rounds = [second, first, other]
    assert earlier_turns(second, rounds) == [("prompt 1", "L1", "R1")]
    repeat = swapped_copy(second, "x", "t")
    assert earlier_turns(repeat, rounds) == [("prompt 1", "R1", "L1")]
    assert earlier_turns(first, rounds) == []


def test_a_control_round_keeps_its_flag_in_the_queue():
    control = dataclasses.replace(a_round(1), control=True, right_model={"label": "A"})
    assert RatingQueue([control], [], "ann").next().control is True
