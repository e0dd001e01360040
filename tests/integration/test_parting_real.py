"""Where the greedy answers of SmolLM2 and its requantized copy part, marked in both panes with each model's top 5."""

import re

import pytest

from gui.core.params import SamplingParams

pytestmark = pytest.mark.integration

GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=48)  # the raw logits' top token each step


def greedy_round(qtbot, make_arena, event_loop, left, right, prompt):
    arena = make_arena(blind=False)
    with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=120_000):
        arena.load_pair(left, right)
    settings = arena.window.settings
    settings.set_values(GREEDY, settings.load_params(0))
    answers = event_loop.run_until_complete(arena.send(prompt))
    return arena, answers


def notes(pane) -> str:
    return pane.chat.toPlainText()


def test_two_quantizations_part_at_the_first_differing_token(qtbot, make_arena, event_loop, default_pair,
                                                             requantized):
    arena, answers = greedy_round(qtbot, make_arena, event_loop, default_pair[0], requantized,
                                  "Write a short story about a lighthouse keeper.")
    event_loop.run_until_complete(arena.parting_task)
    ids = [answer.counters.token_ids for answer in answers]
    index = next(i for i, (a, b) in enumerate(zip(*ids)) if a != b)
    for pane in arena.window.panes:
        found = re.search(r"The two answers part at token (\d+), .*Its top 5 there: (.*)\.", notes(pane))
        assert found and int(found.group(1)) == index + 1
        percents = [int(p) for p in re.findall(r"(\d+)%", found.group(2))]
        assert len(percents) == 5 and percents == sorted(percents, reverse=True) and sum(percents) <= 101
    # Greedy on raw logits: what each model wrote there is its own top candidate, and the two differ.
    chosen = [re.search(r"this model wrote (“.*?”) \(", notes(pane)).group(1) for pane in arena.window.panes]
    tops = [re.search(r"there: (“.*?”) ", notes(pane)).group(1) for pane in arena.window.panes]
    assert chosen == tops and chosen[0] != chosen[1]
    assert answers[0].stats.tokens == len(ids[0])  # the timed answer is the one walked


def test_one_model_against_itself_is_the_same_token_for_token(qtbot, make_arena, event_loop, default_pair):
    arena, _ = greedy_round(qtbot, make_arena, event_loop, default_pair[0], default_pair[0], "Name three colours.")
    event_loop.run_until_complete(arena.parting_task)
    assert all("Both answers are the same, token for token." in notes(pane) for pane in arena.window.panes)


def test_two_different_models_are_not_walked(qtbot, make_arena, event_loop, default_pair):
    arena, _ = greedy_round(qtbot, make_arena, event_loop, *default_pair, "Name three colours.")
    event_loop.run_until_complete(arena.parting_task)
    assert not any("part at token" in notes(pane) or "token for token" in notes(pane) for pane in arena.window.panes)
