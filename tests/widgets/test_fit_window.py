"""The fit planner window: presets, KV type and GPU layers replan; verdicts are coloured; a file's spec or error shows."""

import pytest
from PySide6.QtCore import Qt

from gui.core.fit import BUDGETS_GIB, FITS, NO, TIGHT, file_spec
from gui.widgets.fit_window import FIRST_BUDGET, VERDICT_COLOURS, FitWindow
from gguf_files import SHAPES, write_header_only


@pytest.fixture
def planner(qtbot):
    view = FitWindow()
    qtbot.addWidget(view)
    view.show()
    return view


def row_texts(view: FitWindow, row: int) -> list[str]:
    return [view.table.item(row, column).text() for column in range(view.table.columnCount())]


def pick(combo, text: str) -> None:
    """Choose `text` in `combo` as a user does (activated, not just currentIndex)."""
    combo.setCurrentIndex(combo.findText(text))
    combo.activated.emit(combo.currentIndex())


def test_it_opens_on_the_first_preset_with_one_row_per_context(planner):
    assert planner.windowTitle().startswith("Fit planner")
    assert "Llama-3-8B Q4_K_M (preset)" in planner.title.text()
    assert [row_texts(planner, r)[0] for r in range(planner.table.rowCount())] == ["2,048", "8,192"]
    assert row_texts(planner, 1)[2] == "—"  # no VRAM column figure while all is on the CPU
    assert planner.largest.text().startswith("Largest context that fits — 8 GiB: 8,192")


def test_verdict_cells_are_coloured_and_worded(planner):
    pick(planner.preset, "Qwen2.5-32B")
    pick(planner.quant, "Q5_K_M")
    assert "Qwen2.5-32B Q5_K_M" in planner.title.text()
    assert [row_texts(planner, r)[0] for r in range(planner.table.rowCount())] == ["2,048", "8,192", "32,768"]
    first = row_texts(planner, 0)[FIRST_BUDGET:]
    assert first == [NO, NO, TIGHT, FITS, FITS]
    for column, verdict in enumerate(first, FIRST_BUDGET):
        assert planner.table.item(0, column).background().color() == VERDICT_COLOURS[verdict]
    assert planner.table.horizontalHeaderItem(FIRST_BUDGET).text() == f"{BUDGETS_GIB[0]} GiB"


def test_kv_type_and_gpu_layers_replan(planner, qtbot):
    ram_f16 = row_texts(planner, 1)[1]
    planner.kv.setCurrentText("q8_0")
    assert "KV cache q8_0" in planner.title.text() and row_texts(planner, 1)[1] != ram_f16
    assert planner.gpu_layers.maximum() == 33  # 32 layers and the output layer
    planner.gpu_layers.setValue(33)
    assert "budgets are VRAM" in planner.title.text()
    assert row_texts(planner, 1)[2].endswith("GiB") and float(row_texts(planner, 1)[1].split()[0]) < 1


def test_a_file_is_asked_for_then_shown_or_its_error(planner, qtbot, tmp_path):
    path = tmp_path / "14B-shaped.gguf"
    write_header_only(path, *SHAPES["14B"])
    with qtbot.waitSignal(planner.fileChosen) as chosen:
        planner.choose_file(str(path))
    assert chosen.args == [str(path)] and planner.title.text() == "Reading 14B-shaped.gguf…"
    planner.show_spec(file_spec(str(path)))
    assert planner.gpu_layers.maximum() == 49 and planner.table.rowCount() == 3
    planner.show_error("'x.gguf' is not a GGUF file. Pick a .gguf model file.")
    assert planner.error.isVisible() and "Pick a .gguf" in planner.error.text()
    assert "trained context 32,768" in planner.title.text()  # the last plan stays, titled again
    pick(planner.preset, "Llama-3-8B")
    assert not planner.error.isVisible()


def test_the_file_button_opens_a_gguf_dialog(planner, qtbot, monkeypatch, tmp_path):
    chosen = str(tmp_path / "m.gguf")
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *args: (chosen, ""))
    with qtbot.waitSignal(planner.fileChosen) as signal:
        qtbot.mouseClick(planner.file_button, Qt.MouseButton.LeftButton)
    assert signal.args == [chosen]
