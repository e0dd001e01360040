"""Settings shared by both sides or set per side, the round mode, and reload signals."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QPlainTextEdit, QWidget

from gui.core.params import LoadParams, SamplingParams
from gui.widgets.settings_panel import SettingsPanel

CUSTOM_SAMPLING = SamplingParams(
    system_prompt="Answer in one line.",
    temperature=0.3,
    top_p=0.9,
    top_k=20,
    repeat_penalty=1.15,
    max_tokens=512,
    seed=1234,
)
CUSTOM_LOAD = LoadParams(n_ctx=4096, n_threads=2, n_gpu_layers=-1)


@pytest.fixture
def panel(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def reloads(panel):
    sides: list[int] = []
    panel.loadSettingsChanged.connect(sides.append)
    return sides


def editor(panel, side):
    return panel.tabs.widget(side)


def test_defaults_are_the_dataclass_defaults(panel):
    assert panel.same.isChecked()
    assert panel.mode() == "parallel"
    for side in (0, 1):
        assert panel.sampling(side) == SamplingParams()
        assert panel.load_params(side) == LoadParams()


def test_shared_values_round_trip_to_both_sides(panel):
    panel.set_values(CUSTOM_SAMPLING, CUSTOM_LOAD)
    for side in (0, 1):
        assert panel.sampling(side) == CUSTOM_SAMPLING
        assert panel.load_params(side) == CUSTOM_LOAD


def test_chat_format_is_left_to_the_panes(panel):
    panel.set_values(SamplingParams(), LoadParams(chat_format="gemma"))
    assert panel.load_params(0).chat_format is None


def test_shared_mode_edits_both_sides_at_once(panel):
    editor(panel, 0).seed.setValue(7)
    assert panel.sampling(0).seed == panel.sampling(1).seed == 7


def test_unsharing_keeps_what_was_shared(panel, reloads):
    editor(panel, 0).seed.setValue(7)
    editor(panel, 0).n_ctx.setValue(4096)
    reloads.clear()
    panel.same.setChecked(False)
    assert panel.sampling(1).seed == 7
    assert panel.load_params(1).n_ctx == 4096
    assert reloads == []


def test_per_side_values_start_from_the_shared_ones_and_stay_apart(panel):
    panel.set_values(CUSTOM_SAMPLING, CUSTOM_LOAD)
    panel.same.setChecked(False)
    assert panel.sampling(1) == CUSTOM_SAMPLING
    assert panel.load_params(1) == CUSTOM_LOAD

    editor(panel, 1).temperature.setValue(1.25)
    editor(panel, 1).system_prompt.setPlainText("Be terse.")
    editor(panel, 1).n_threads.setValue(3)
    assert panel.sampling(1).temperature == 1.25
    assert panel.sampling(1).system_prompt == "Be terse."
    assert panel.load_params(1).n_threads == 3
    assert panel.sampling(0) == CUSTOM_SAMPLING
    assert panel.load_params(0) == CUSTOM_LOAD


def test_back_to_shared_gives_the_right_side_the_shared_values(panel):
    panel.same.setChecked(False)
    editor(panel, 1).top_k.setValue(5)
    panel.same.setChecked(True)
    assert panel.sampling(1) == panel.sampling(0) == SamplingParams()


def test_the_tab_bar_shows_only_per_side(panel):
    assert not panel.tabs.tabBar().isVisibleTo(panel)
    panel.same.setChecked(False)
    assert panel.tabs.tabBar().isVisibleTo(panel)


def test_context_size_change_reloads_both_sides_when_shared(panel, reloads):
    editor(panel, 0).n_ctx.setValue(4096)
    assert reloads == [0, 1]


def test_context_size_change_reloads_only_that_side_per_side(panel, reloads):
    panel.same.setChecked(False)
    assert reloads == []
    editor(panel, 1).n_ctx.setValue(8192)
    assert reloads == [1]
    editor(panel, 0).n_gpu_layers.setValue(-1)
    assert reloads == [1, 0]


def test_leaving_per_side_reloads_a_side_whose_load_values_differed(panel, reloads):
    panel.same.setChecked(False)
    editor(panel, 1).n_ctx.setValue(8192)
    reloads.clear()
    panel.same.setChecked(True)
    assert reloads == [1]


def test_cpu_weight_repacking_is_per_side_and_reloads_that_side(panel, reloads):
    assert panel.load_params(0).weight_repack == "automatic"
    panel.same.setChecked(False)
    combo = editor(panel, 1).weight_repack
    assert [combo.itemText(i) for i in range(combo.count())] == ["automatic", "off"]
    combo.setCurrentIndex(combo.findData("off"))
    assert reloads == [1]
    assert (panel.load_params(0).weight_repack, panel.load_params(1).weight_repack) == ("automatic", "off")


def test_turning_repacking_off_after_a_crash_reloads_both_sides(panel, reloads):
    panel.same.setChecked(False)
    editor(panel, 1).weight_repack.setCurrentIndex(1)
    reloads.clear()
    panel.turn_weight_repacking_off()
    assert reloads == [0]  # the right side was off already
    assert {panel.load_params(side).weight_repack for side in (0, 1)} == {"off"}


def test_an_unknown_repacking_value_from_a_hand_edited_file_reads_automatic(panel):
    panel.set_values(SamplingParams(), LoadParams(weight_repack="sometimes"))
    assert panel.load_params(0).weight_repack == "automatic"


def test_other_edits_change_but_need_no_reload(qtbot, panel, reloads):
    with qtbot.waitSignal(panel.changed, timeout=1000):
        editor(panel, 0).n_threads.setValue(2)
    with qtbot.waitSignal(panel.changed, timeout=1000):
        editor(panel, 0).temperature.setValue(0.0)
    with qtbot.waitSignal(panel.changed, timeout=1000):
        editor(panel, 0).system_prompt.setPlainText("x")
    assert reloads == []


def test_typing_a_context_size_reloads_once_not_per_digit(qtbot, panel, reloads):
    box = editor(panel, 0).n_ctx
    box.selectAll()
    qtbot.keyClicks(box, "4096")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == 4096
    assert reloads == [0, 1]


def test_set_values_emits_once(qtbot, panel, reloads):
    changes: list[None] = []
    panel.changed.connect(lambda: changes.append(None))
    panel.set_values(CUSTOM_SAMPLING, LoadParams())
    assert len(changes) == 1
    assert reloads == []
    panel.set_values(CUSTOM_SAMPLING, CUSTOM_LOAD)
    assert reloads == [0, 1]


def test_mode(qtbot, panel):
    combo = panel.findChild(QComboBox, "roundMode")
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Race (both at once, split cores)",
        "Sequential (left, then right)",
        "Measure (each alone, warm-up, N runs)",
    ]
    with qtbot.waitSignal(panel.changed, timeout=1000):
        combo.setCurrentIndex(1)
    assert panel.mode() == "sequential"
    panel.set_mode("measure")
    assert panel.mode() == "measure" and panel.measure_runs() == 3
    combo.setCurrentIndex(0)
    assert panel.mode() == "parallel"


def test_special_values_read_as_words(panel):
    fields = editor(panel, 0)
    fields.n_threads.setValue(0)
    fields.n_gpu_layers.setValue(-1)
    assert fields.n_threads.text() == "auto"
    assert fields.n_gpu_layers.text() == "all"


def test_every_field_has_an_accessible_name(panel):
    for widget in panel.findChildren(QWidget):
        if isinstance(widget, (QAbstractSpinBox, QComboBox, QCheckBox, QPlainTextEdit)):
            assert widget.accessibleName(), widget
