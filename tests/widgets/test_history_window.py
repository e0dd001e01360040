"""The history window: rounds newest first, a case-insensitive search over models, category, rater and prompt, leak marks,
the search asked for once typing pauses, rows marked as not current until they answer the window's query."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView

from gui.core.history import HistoryRow
from gui.widgets.history_window import HistoryWindow, RoundsModel, select_rows


def a_row(when, prompt, category, left_model, right_model, outcome, rater, leak) -> HistoryRow:
    return HistoryRow(leak, when, prompt, category, left_model, right_model, outcome, rater, "r-" + when, "c-" + when, 1)


ROUNDS = [
    a_row("2025-03-01 10:00", "Is 91 prime?\nExplain.", "math", "SmolLM2-135M", "gemma-3-270m", "left", "ann", False),
    a_row("2025-03-02 09:30", "A haiku on rain", "poetry", "gemma-3-270m", "Qwen2.5-0.5B", "", "bob", True),
    a_row("2025-03-03 18:15", "Return {\"a\": 1} as JSON", "json", "Qwen2.5-0.5B", "SmolLM2-135M", "both_bad", "",
          False),
]


def answer(window) -> None:
    """Answer the window's query as its owner does, over ROUNDS."""
    window.show_rows(select_rows(ROUNDS, *window.query()), len(ROUNDS), window.query())


@pytest.fixture
def history(qtbot):
    window = HistoryWindow()
    qtbot.addWidget(window)
    window.queryChanged.connect(lambda: answer(window))
    answer(window)
    return window


def shown(window, column):
    model = window.table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def column(window, title):
    return titled(window.table.model(), title)


def titled(model, title) -> int:
    """The column of `model` under `title`."""
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index(title)


def test_a_window_of_its_own_over_a_table_model_of_rows(history):
    assert history.isWindow()
    assert "History" in history.windowTitle()
    assert isinstance(history.table.model(), RoundsModel) and history.rounds.rows[0] is ROUNDS[2]


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
    tip = model.headerData(leak, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == "⚠: an answer named its own model"


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
        ("mathSmol", 0),  # nor two fields run together
        ("nothing like it", 0),
        ("", 3),
    ],
)
def test_search_filters_and_counts(qtbot, history, search, count):
    qtbot.keyClicks(history.search, search)
    qtbot.waitUntil(lambda: history.status.isHidden())
    assert history.table.model().rowCount() == count
    assert history.count.text() == f"{count} of 3 rounds"


def test_a_search_is_asked_for_once_typing_pauses_and_the_rows_meanwhile_are_not_current(qtbot):
    window = HistoryWindow()
    qtbot.addWidget(window)
    answer(window)
    asked = []
    window.queryChanged.connect(lambda: asked.append(window.query()))
    qtbot.keyClicks(window.search, "gemma")
    assert asked == [] and not window.table.isEnabled()
    assert window.status.text() == "Searching for “gemma”… The rows below are from before, not current."
    qtbot.waitUntil(lambda: bool(asked))
    qtbot.wait(300)  # no second request for the same pause
    assert asked == [("gemma", column(window, "When"), True)]


def test_rows_answering_an_older_search_stay_marked_as_not_current(qtbot, history):
    old_query = history.query()
    history.search.setText("gemma")  # typed while the answer to the empty search was on its way
    history.show_rows(select_rows(ROUNDS, *old_query), 3, old_query)
    assert not history.status.isHidden() and not history.table.isEnabled()
    qtbot.waitUntil(lambda: history.status.isHidden())
    assert history.count.text() == "2 of 3 rounds" and history.table.isEnabled()


def test_clearing_the_search_shows_all_again(qtbot, history):
    qtbot.keyClicks(history.search, "gemma")
    qtbot.waitUntil(lambda: history.count.text() == "2 of 3 rounds")
    history.search.clear()
    qtbot.waitUntil(lambda: history.count.text() == "3 of 3 rounds")


def test_columns_sort_by_click_through_the_owner(history):
    rater = column(history, "Rater")
    history.table.sortByColumn(rater, Qt.SortOrder.AscendingOrder)
    assert shown(history, rater) == ["", "ann", "bob"]
    history.table.sortByColumn(rater, Qt.SortOrder.DescendingOrder)
    assert shown(history, rater) == ["bob", "ann", ""]


def test_the_outcome_column_sorts_by_its_words(qapp):
    rows = select_rows(ROUNDS, "", titled(RoundsModel(), "Outcome"), False)
    assert [row.outcome for row in rows] == ["both_bad", "left", ""]  # Both bad, Left better, —


def test_a_sort_over_many_slices_equals_one_sort(qapp):
    many = [a_row(f"2025-{n % 97:05d}", f"p{n * 7919 % 10007}", "c", "m", "n", "", f"r{n % 5}", 0)
            for n in range(10_000)]
    for title, key in (("Prompt", lambda row: row.prompt), ("Rater", lambda row: row.rater)):
        index = titled(RoundsModel(), title)
        for descending in (False, True):
            assert select_rows(many, "", index, descending) == sorted(many, key=key, reverse=descending)


def test_columns_are_sized_by_a_rule_not_by_their_rows(history):
    header = history.table.horizontalHeader()
    modes = {header.sectionResizeMode(c) for c in range(history.rounds.columnCount())}
    assert QHeaderView.ResizeMode.ResizeToContents not in modes
    assert header.sectionResizeMode(column(history, "Prompt")) == QHeaderView.ResizeMode.Stretch
    assert header.sectionSize(column(history, "Left")) > header.sectionSize(column(history, "⚠"))


def test_cells_are_read_only(history):
    model = history.table.model()
    assert not model.flags(model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable


def test_search_and_table_have_accessible_names(history):
    assert history.search.accessibleName()
    assert history.table.accessibleName()
