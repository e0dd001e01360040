"""While blind, what the panes show over time does not depend on which model is faster; the true timings are kept."""

import pytest

from fakes import FakeEngine
from gguf_files import write_gguf
from test_blind_round import KEEP_SEED

FAST_S, SLOW_S = 0.002, 0.02  # per token: one side ten times faster than the other


def race(make_arena, qtbot, tmp_path, event_loop, delays, blind=True, pace="common pace", lengths=(30, 30)):
    """A round between 'a'×n and 'b'×m tokens at the given per-token delays; what the panes showed, as it changed."""
    engines = [FakeEngine([[letter] * n], token_delay_s=delay)
               for letter, n, delay in zip("ab", lengths, delays, strict=True)]
    arena = make_arena(engines, KEEP_SEED, blind=blind)
    arena.window.set_blind_pace(pace)
    paths = [write_gguf(tmp_path / name) for name in ("Alphamodel-7B.Q5_K_M.gguf", "Betamodel-3B.Q8_0.gguf")]
    with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=5000):
        arena.load_pair(str(paths[0]), str(paths[1]))
    shown: list[tuple[int, int]] = []

    def note():
        counts = tuple(pane.chat.toPlainText().count(letter) for pane, letter in zip(arena.window.panes, "ab"))
        if not shown or shown[-1] != counts:
            shown.append(counts)

    # Sampled after the arena has shown each batch of tokens (its slots were connected first), as a repaint would.
    for side in arena.sides:
        side.textArrived.connect(note)
        side.answerFinished.connect(note)
    answers = event_loop.run_until_complete(arena.send("Letters?"))
    return arena, shown, answers


@pytest.mark.parametrize("delays", [(FAST_S, SLOW_S), (SLOW_S, FAST_S)], ids=["left-faster", "right-faster"])
def test_both_panes_grow_together_whichever_model_is_faster(make_arena, qtbot, tmp_path, event_loop, delays):
    arena, shown, answers = race(make_arena, qtbot, tmp_path, event_loop, delays)
    assert shown[-1] == (30, 30)
    assert all(left == right for left, right in shown), shown  # at no moment is one pane ahead
    # The true timings are measured and stored as before.
    rates = [answer.stats.decode_tps for answer in answers]
    assert (rates[0] > 3 * rates[1]) == (delays[0] < delays[1])
    record = arena.store.rounds()[0]
    assert record.left_metrics["decode_tps"] == pytest.approx(rates[0])


def test_unpaced_the_faster_pane_runs_ahead(make_arena, qtbot, tmp_path, event_loop):
    _arena, shown, _ = race(make_arena, qtbot, tmp_path, event_loop, (FAST_S, SLOW_S), blind=False)
    assert any(left > right + 5 for left, right in shown)  # what the pace exists to prevent


def test_a_shorter_answer_ends_when_the_other_has_written_as_much(make_arena, qtbot, tmp_path, event_loop):
    _arena, shown, _ = race(make_arena, qtbot, tmp_path, event_loop, (FAST_S, SLOW_S), lengths=(10, 30))
    assert shown[-1] == (10, 30)
    assert all(left == right for left, right in shown if left < 10)


def test_whole_at_end_shows_both_answers_at_once(make_arena, qtbot, tmp_path, event_loop):
    _arena, shown, _ = race(make_arena, qtbot, tmp_path, event_loop, (FAST_S, SLOW_S), pace="whole at end")
    assert shown[-1] == (30, 30) and set(shown) <= {(0, 0), (30, 30)}
