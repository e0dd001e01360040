"""The history window: rounds newest first, a case-insensitive search over models, category, rater and prompt, leak marks."""

import pytest
from PySide6.QtCore import Qt

from gui.widgets.history_window import HistoryWindow

ROUNDS = [
    dict(when="2025-03-01 10:00", prompt="Is 91 prime?\nExplain.", category="math", left_model="SmolLM2-135M",
         right_model="gemma-3-270m", outcome="left", rater="ann", leak=False),
    dict(when="2025-03-02 09:30", prompt="A haiku on rain", category="poetry", left_model="gemma-3-270m",
         right_model="Qwen2.5-0.5B", outcome="", rater="bob", leak=True),
    dict(when="2025-03-03 18:15", prompt="Return {\"a\": 1} as JSON", category="json", left_model="Qwen2.5-0.5B",
         right_model="SmolLM2-135M", outcome="both_bad", rater="", leak=False),
]


@pytest.fixture
def history(qtbot):
    window = HistoryWindow()
    qtbot.addWidget(window)
    window.show_rounds(ROUNDS)
    return window


def shown(window, column):
    model = window.table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def column(window, title):
    model = window.table.model()
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index(title)


def test_a_window_of_its_own_over_a_proxy(history):
    assert history.isWindow()
    assert "History" in history.windowTitle()
    assert history.table.model() is history.proxy
    assert history.proxy.sourceModel() is history.rounds


def test_rounds_newest_first_with_outcomes_in_words(history):
    assert shown(history, column(history, "When")) == ["2025-03-03 18:15", "2025-03-02 09:30", "2025-03-01 10:00"]
    assert shown(history, column(history, "Outcome")) == ["Both bad", "—", "Left better"]
    assert history.count.text() == "3 of 3 rounds"


def test_a_prompt_takes_one_line_and_keeps_its_breaks_in_the_tooltip(history):
    model = history.table.model()
    row = shown(history, column(history, "When")).index("2025-03-01 10:00")
    index = model.index(row, column(history, "Prompt"))
    assert index.data() == "Is 91 prime? Explain."
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "Is 91 prime?\nExplain."


def test_leaks_are_marked_with_an_explanation(history):
    leak = column(history, "⚠")
    model = history.table.model()
    marks = shown(history, leak)
    assert marks == ["", "⚠", ""]
    assert model.index(1, leak).data(Qt.ItemDataRole.ToolTipRole) == "an answer named its own model"
    assert model.index(0, leak).data(Qt.ItemDataRole.ToolTipRole) is None


@pytest.mark.parametrize(
    ("search", "count"),
    [
        ("smollm2", 2),  # a model on either side, any case
        ("QWEN", 2),
        ("poetry", 1),  # a category
        ("Bob", 1),  # a rater
        ("haiku", 1),  # a prompt
        ("left", 0),  # an outcome is not searched
        ("2025", 0),  # nor the time
        ("nothing like it", 0),
        ("", 3),
    ],
)
def test_search_filters_and_counts(qtbot, history, search, count):
    qtbot.keyClicks(history.search, search)
    assert history.table.model().rowCount() == count
    assert history.count.text() == f"{count} of 3 rounds"


def test_clearing_the_search_shows_all_again(qtbot, history):
    qtbot.keyClicks(history.search, "gemma")
    assert history.count.text() == "2 of 3 rounds"
    history.search.clear()
    assert history.count.text() == "3 of 3 rounds"


def test_new_rounds_replace_the_old_and_keep_the_search(qtbot, history):
    qtbot.keyClicks(history.search, "ann")
    history.show_rounds(ROUNDS[1:])
    assert history.count.text() == "0 of 2 rounds"
    history.show_rounds([])
    assert history.count.text() == "0 of 0 rounds"


def test_columns_sort_by_click(history):
    rater = column(history, "Rater")
    history.table.sortByColumn(rater, Qt.SortOrder.AscendingOrder)
    assert shown(history, rater) == ["", "ann", "bob"]


def test_cells_are_read_only(history):
    model = history.table.model()
    assert not model.flags(model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable


def test_search_and_table_have_accessible_names(history):
    assert history.search.accessibleName()
    assert history.table.accessibleName()
