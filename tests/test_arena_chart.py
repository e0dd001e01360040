"""The live chart waits for the models: matplotlib's import (on the chart's thread) would hold Python's lock while
the load progress moves."""

from fakes import FakeEngine
from gguf_files import write_gguf
from test_blind_round import KEEP_SEED


def test_the_chart_starts_its_renderer_only_once_no_model_is_loading(qtbot, make_arena, tmp_path, event_loop):
    arena = make_arena([FakeEngine(load_delay_s=0.3), FakeEngine(load_delay_s=0.3)], KEEP_SEED, blind=False)
    arena.window.chart.set_held(True)  # as gui.app shows the window, before the pair is asked for
    arena.window.show()
    paths = [write_gguf(tmp_path / name) for name in ("Alphamodel-7B.Q5_K_M.gguf", "Betamodel-3B.Q8_0.gguf")]
    assert event_loop.run_until_complete(arena.load_pair(*map(str, paths))) == [0, 1]
    assert arena.window.chart.isVisible() and arena.window.chart.renderer is None
    with qtbot.waitSignal(arena.sides[0].loaded, timeout=5000):
        pass
    assert arena.sides[1].loading and arena.window.chart.renderer is None  # the other side still loads
    with qtbot.waitSignal(arena.sides[1].loaded, timeout=5000):
        pass
    assert arena.window.chart.renderer is not None


def test_with_nothing_to_load_the_chart_is_released_at_once(make_arena, event_loop):
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    arena.window.chart.set_held(True)
    arena.window.show()
    assert event_loop.run_until_complete(arena.load_pair(None, None)) == []
    assert arena.window.chart.renderer is not None
