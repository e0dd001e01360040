"""The blind pace: what each pane may show, so that no pane's progress tells which model is faster."""

import pytest

from gui.core.pace import COMMON_PACE, WHOLE_AT_END, BlindPace, Shown


def test_no_pane_starts_before_both_sides_have():
    pace = BlindPace((0, 1))
    assert pace.begin(0, "Q?") == [] and pace.add(0, "Paris") == []
    assert pace.begin(1, "Q?") == [Shown(0, begin="Q?"), Shown(1, begin="Q?")]


def test_both_panes_show_as_far_as_the_slower_side_has_written():
    pace = BlindPace((0, 1))
    pace.begin(0, "Q?")
    pace.begin(1, "Q?")
    assert pace.add(0, "The capital") == []  # side 1 has written nothing yet
    assert pace.add(1, "It is") == [Shown(0, text="The c"), Shown(1, text="It is")]  # five characters each
    # Side 1 is ahead now: both go as far as side 0's eleven.
    assert pace.add(1, " Rome, I think") == [Shown(0, text="apital"), Shown(1, text=" Rome,")]
    assert pace.add(0, " is Paris.") == [Shown(0, text=" is Pari"), Shown(1, text=" I think")]


def test_an_ended_side_holds_nobody_back_and_ends_once_shown_whole():
    pace = BlindPace((0, 1))
    pace.begin(0, "Q?")
    pace.begin(1, "Q?")
    pace.add(0, "Paris.")
    pace.add(1, "It")
    assert pace.end(0, "answer 0") == []  # side 0 is done, but only two of its characters are shown
    assert pace.add(1, " is a long answer") == [Shown(0, text="ris.", end="answer 0"), Shown(1, text=" is a long answer")]
    assert pace.end(1, "answer 1") == [Shown(1, end="answer 1")]


def test_whole_at_end_shows_nothing_until_both_have_ended():
    pace = BlindPace((0, 1), WHOLE_AT_END)
    pace.begin(0, "Q?")
    assert pace.begin(1, "Q?") == [Shown(0, begin="Q?"), Shown(1, begin="Q?")]
    assert pace.add(0, "Paris.") == [] and pace.add(1, "Rome.") == [] and pace.end(1, "b") == []
    assert pace.end(0, "a") == [Shown(0, text="Paris.", end="a"), Shown(1, text="Rome.", end="b")]


def test_a_restarted_run_replaces_the_text_held():
    pace = BlindPace((0,), WHOLE_AT_END)
    pace.begin(0, "Q?")
    pace.add(0, "first run")
    assert pace.begin(0, "Q?") == []
    pace.add(0, "second")
    assert pace.end(0, "a") == [Shown(0, text="second", end="a")]


def test_a_side_that_fails_before_starting_does_not_hold_the_other():
    pace = BlindPace((0, 1))
    pace.begin(0, "Q?")
    pace.add(0, "Paris")
    assert pace.end(1, "failed") == [Shown(0, begin="Q?", text="Paris"), Shown(1, end="failed")]


def test_one_side_alone_streams_as_it_comes():
    pace = BlindPace((1,), COMMON_PACE)
    assert pace.begin(1, "Q?") == [Shown(1, begin="Q?")]
    assert pace.add(1, "Rome") == [Shown(1, text="Rome")]


def test_an_unknown_pace_is_refused():
    with pytest.raises(ValueError, match="choose one of common pace, whole at end"):
        BlindPace((0, 1), "fastest first")
