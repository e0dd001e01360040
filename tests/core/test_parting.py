"""Where two answers part: the first differing token, and the note each pane shows there."""

import pytest

from gui.core.parting import Parting, first_difference, parting_note


@pytest.mark.parametrize("a, b, index", [
    ((1, 2, 3), (1, 2, 4), 2),
    ((1, 2, 3), (9, 2, 3), 0),
    ((1, 2), (1, 2, 3), 2),  # one answer ends where the other goes on
    ((1, 2, 3), (1, 2, 3), None),
    ((), (), None),
])
def test_the_first_differing_token(a, b, index):
    assert first_difference(a, b) == index


def test_the_note_quotes_the_place_the_choice_and_the_top_candidates():
    parting = Parting(7, "Once upon a time there\nwas a", " keeper", 0.61,
                      ((" keeper", 0.61), (" man", 0.2), ("\n", 0.05)))
    assert parting_note(parting) == (
        "The two answers part at token 8, after “…Once upon a time there was a”: this model wrote “␣keeper” "
        "(61%). Its top 3 there: “␣keeper” 61%, “␣man” 20%, “⏎” 5%.")


def test_a_parting_at_the_start_or_at_an_answers_end_says_so():
    assert "part at token 1, the very first: this model wrote “As”" in parting_note(Parting(0, "", "As", 0.2, ()))
    assert "this model wrote (the end) (40%)" in parting_note(Parting(3, "a b c", "", 0.4, ()))
