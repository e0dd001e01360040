"""Overload, short enough for `make test`: rapid churn on the real pair, a context that fills, an 8,000-token answer.

`make soak` runs the long versions (tests/soak/run_soak.py) and prints their figures.
"""


import pytest

from bench.probes import StallProbe
from fakes import FakeEngine
from gguf_files import write_gguf
from gui.bridge.rounds import PARALLEL
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams
from soak.overload import (
    LONG_ANSWER_TOKENS,
    churn,
    library_defaults_restored,
    long_answer,
    recording_qthreads,
    running_names,
)

CHURN_CYCLES = 20
# A frozen GUI thread stalls for seconds; the bench's target for a smooth window is 16 ms.
STALL_BOUND_MS = 250


@pytest.mark.integration
def test_rapid_send_stop_switch_and_settings_cycles_neither_hang_nor_leave_threads(make_arena, event_loop,
                                                                                 default_pair):
    with recording_qthreads() as started:
        arena = make_arena()
        figures = event_loop.run_until_complete(churn(arena, default_pair, CHURN_CYCLES))
    assert len(figures.rss) == CHURN_CYCLES  # every cycle settled within its timeout: no deadlock
    assert running_names(started) == ["engine-a", "engine-b", "memory-monitor"]
    # Cycles 4 and 20 end in the same state (the models, the settings); the long run's bound is in `make soak`.
    print(f"\nchurn: RSS after cycle 4 {figures.rss[3] / 2**20:.0f} MiB, after {CHURN_CYCLES} "
          f"{figures.rss[-1] / 2**20:.0f} MiB; OS threads {figures.os_threads[3]} -> {figures.os_threads[-1]}; "
          f"cycle {min(figures.cycle_s):.2f}-{max(figures.cycle_s):.2f} s")
    assert figures.os_threads[-1] <= figures.os_threads[3]
    assert library_defaults_restored(), "a load left llama-cpp-python's model defaults patched"


@pytest.mark.integration
def test_an_answer_that_fills_the_context_stops_with_context_full_not_an_error(make_arena, event_loop,
                                                                             qtbot, default_pair):
    arena = make_arena()
    window = arena.window
    window.blind_action.setChecked(False)
    window.settings.set_values(SamplingParams(temperature=0.0, max_tokens=1000, seed=1), LoadParams(n_ctx=128))
    with qtbot.waitSignal(arena.sides[0].loaded, timeout=120_000):
        arena.choose_file(0, default_pair[0])
    answers = event_loop.run_until_complete(arena.send("Write a very long story about a dragon."))
    stats = answers[0].stats
    assert (stats.stop_reason, stats.error) == (StopReason.CONTEXT_FULL, None)
    # llama.cpp rounds the context up (to 256 here); the answer ran until it was full.
    assert stats.prompt_tokens + stats.tokens > arena.sides[0].model.n_ctx >= 128
    assert "[context full]" in window.left.chat.toPlainText() and window.left.error_text() == ""


def test_an_8000_token_answer_streamed_flat_out_keeps_the_window_responsive(make_arena, event_loop, qtbot, tmp_path):
    pieces = [f" w{n}" + ("\n" if n % 40 == 39 else "") for n in range(LONG_ANSWER_TOKENS)]
    arena = make_arena((FakeEngine([pieces]), FakeEngine([pieces])))  # no delay: as fast as a thread can yield
    window = arena.window
    window.blind_action.setChecked(False)  # the gauges and the rate chart update too
    window.settings.set_mode(PARALLEL)
    window.show()
    qtbot.waitExposed(window)
    paths = [write_gguf(tmp_path / name) for name in ("a.gguf", "b.gguf")]
    with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=5000):
        arena.load_pair(*map(str, paths))
    probe = StallProbe()
    result = event_loop.run_until_complete(long_answer(
        arena, probe, "Go on.", SamplingParams(max_tokens=LONG_ANSWER_TOKENS), LoadParams()))
    assert result.tokens == [LONG_ANSWER_TOKENS] * 2
    for pane in window.panes:  # every token shown, in order (the ended answer is rendered as Markdown)
        words = pane.chat.toPlainText().split()
        start = words.index("w0")
        assert words[start:start + LONG_ANSWER_TOKENS] == [f"w{n}" for n in range(LONG_ANSWER_TOKENS)]
    print(f"\n8,000 tokens x 2 in {result.seconds:.2f} s: GUI timer lateness max {result.max_late_ms:.1f} ms, "
          f"p99 {result.p99_late_ms:.1f} ms over {len(result.late_ms)} ticks")
    assert len(result.late_ms) > 10 and result.max_late_ms < STALL_BOUND_MS


def test_a_stop_right_after_send_asks_neither_side(make_arena, event_loop, qtbot, tmp_path):
    engines = (FakeEngine([["a"] * 50], token_delay_s=0.01), FakeEngine([["b"] * 50], token_delay_s=0.01))
    arena = make_arena(engines)
    paths = [write_gguf(tmp_path / name) for name in ("a.gguf", "b.gguf")]
    with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=5000):
        arena.load_pair(*map(str, paths))
    window = arena.window
    window.prompt.setPlainText("Hello")
    window.send_action.trigger()
    window.stopRequested.emit()  # before the round's task has begun
    assert event_loop.run_until_complete(arena.round_task) == [None, None]
    assert [call[0] for engine in engines for call in engine.calls] == ["load", "load"]
    assert arena.store.rounds() == [] and not any(side.busy for side in arena.sides)
