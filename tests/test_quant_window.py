"""Compare quantizations from the window, on the real SmolLM2 and its Q2_K copy: the note, the run, cancel, refusals."""

import dataclasses

import pytest
from PySide6.QtCore import Qt

from gui.controllers.quants import QuantComparisons
from gui.widgets.quant_window import FILE, WORST_COLUMNS

pytestmark = pytest.mark.integration
CTX = 128  # small chunks keep the test short; the figures' definitions do not depend on the size


@pytest.fixture
def quants(make_arena, qtbot, tmp_path):
    made = []

    def make(first: str, second: str, blind: bool = False) -> QuantComparisons:
        arena = make_arena(blind=blind)
        comparisons = QuantComparisons(arena.window, arena, arena.store, tmp_path / "data")
        made.append(comparisons)
        with qtbot.waitSignal(comparisons.pairChecked, timeout=60000,
                              check_params_cb=lambda _pair: all(side.model for side in arena.sides)):
            arena.load_pair(first, second)
        return comparisons

    yield make
    for comparisons in made:
        comparisons.shutdown()
        if "view" in comparisons.__dict__:
            comparisons.view.close()


def test_a_quant_pair_gets_the_note_and_the_menu_and_blind_mode_hides_both(quants, default_pair, requantized, qtbot):
    comparisons = quants(default_pair[0], requantized)
    window = comparisons.window
    assert comparisons.pair.base.quantization == "Q4_1" and comparisons.pair.other.quantization == "Q2_K"
    assert window.compare_quants_action.isEnabled() and not window.quant_note.isHidden()
    assert "two quantizations (Q4_1 and Q2_K)" in window.quant_note.text()
    window.blind_action.setChecked(True)
    assert not window.compare_quants_action.isEnabled() and window.quant_note.isHidden()


def test_smollm2_and_gemma_get_neither_note_nor_menu(quants, default_pair):
    comparisons = quants(*default_pair)
    assert comparisons.pair is None
    assert not comparisons.window.compare_quants_action.isEnabled() and comparisons.window.quant_note.isHidden()


def test_a_comparison_fills_card_ribbon_scoreboard_is_stored_and_a_bad_file_then_loses_nothing(
        quants, default_pair, requantized, event_loop, qtbot, tmp_path):
    comparisons = quants(default_pair[0], requantized)
    comparisons.window.compare_quants_action.trigger()
    view = comparisons.view
    assert "loads both models again" in view.memory_note.text()
    stored = event_loop.run_until_complete(comparisons.compare("sample", "", CTX, 2))

    assert stored.chunks_done == 2 and (view.progress.value(), view.progress.maximum()) == (2, 2)
    assert "Q2_K against Q4_1" in view.verdict.text() and "Size saved" in view.verdict.text()
    assert view.ribbon.toPlainText().startswith("ships crowded the quay")  # the first chunk's scored half
    assert "background-color:rgba(220,40,40," in view.ribbon.toHtml()  # Q2_K strays somewhere
    assert view.worst.rowCount() == 20 and view.worst.columnCount() == len(WORST_COLUMNS)
    assert "%" in view.worst.item(0, 3).text() and float(view.worst.item(0, 0).text()) > 0
    assert view.scoreboard.rowCount() == 1 and view.scoreboard.item(0, 0).text() == "Q2_K"
    assert not view.pareto.image.isNull()
    [kept] = comparisons.store.quant_comparisons()
    sides = {side.model.card.path: side.model.identity["fingerprint"] for side in comparisons.arena.sides}
    assert (kept.base["fingerprint"], kept.other["fingerprint"]) == (sides[default_pair[0]], sides[requantized])
    assert len(kept.text_sha256) == 64 and kept.n_ctx == CTX and kept.versions["llama_cpp_python"]
    assert kept.figures["kld"]["value"] > 0

    binary = tmp_path / "weights.bin"
    binary.write_bytes(b"GGUF\0\0\x03")
    card = view.verdict.text()
    view.choose(FILE, str(binary))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert event_loop.run_until_complete(comparisons.task) is None
    assert "holds NUL bytes" in view.error.text() and "plain-text (UTF-8) file" in view.error.text()
    assert not view.error.isHidden() and view.start_button.isEnabled()
    assert view.verdict.text() == card and view.scoreboard.rowCount() == 1
    assert len(comparisons.store.quant_comparisons()) == 1


def test_cancel_keeps_the_figures_of_the_chunks_done(quants, default_pair, requantized, event_loop):
    comparisons = quants(default_pair[0], requantized)
    comparisons.show_window()
    comparisons.view.progress.valueChanged.connect(lambda done: done >= 1 and comparisons.cancel())
    stored = event_loop.run_until_complete(comparisons.compare("sample", "", CTX, 4))

    assert 1 <= stored.chunks_done < stored.chunks_planned == 4
    assert comparisons.store.quant_comparisons() == [stored]
    assert "(stopped early)" in comparisons.view.verdict.text()
    assert comparisons.view.status.text().startswith(f"Stopped after {stored.chunks_done} of 4 chunks")
    assert comparisons.view.start_button.isEnabled() and not comparisons.view.cancel_button.isEnabled()


def test_a_side_loading_another_file_refuses_the_run_and_says_why(quants, default_pair, requantized, event_loop):
    comparisons = quants(default_pair[0], requantized)
    comparisons.show_window()
    comparisons.arena.sides[1].model = None  # as while a new load is under way, before its check
    assert event_loop.run_until_complete(comparisons.compare("sample", "", CTX, 1)) is None
    assert "no longer hold two quantizations of one model" in comparisons.view.error.text()
    assert comparisons.store.quant_comparisons() == []


def test_the_window_opens_on_what_was_measured_before_of_this_pair(quants, default_pair, requantized, event_loop):
    from core.test_quant_record import card, comparison

    comparisons = quants(default_pair[0], requantized)
    sides = {side.model.card.path: side.model.identity["fingerprint"] for side in comparisons.arena.sides}
    base = card("Q4_1", 98_000_000, 5.74, sides[default_pair[0]])
    other = card("Q2_K", 88_000_000, 5.14, sides[requantized])
    kept = dataclasses.replace(comparison(other, 0.36, "2026-12-01T10:00:00"), base=base)
    comparisons.store.add_quant_comparison(kept)
    comparisons.store.add_quant_comparison(comparison(card("Q3_K", 1, 3.0, "another-file"), 0.2, "2026-12-02T10:00"))
    comparisons.window.compare_quants_action.trigger()
    event_loop.run_until_complete(comparisons.stored_task)
    view = comparisons.view
    assert "Q2_K against Q4_1" in view.verdict.text() and view.scoreboard.rowCount() >= 1
    assert view.status.text().startswith("Measured before, on 2026-12-01 10:00: 5 chunks of 512 of harbour-town.txt")
    assert not view.pareto.image.isNull() and view.start_button.isEnabled()
