"""Past rounds in a searchable table: prompt, category, both models, the vote and who cast it."""

import heapq
from collections.abc import Callable
from operator import itemgetter

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QTimer, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.core.history import CATEGORY, LEAK, LEFT, OUTCOME, PROMPT, RATER, RIGHT, WHEN
from gui.widgets.busy_line import BusyLine
from gui.widgets.rating_bar import OUTCOME_WORDS
from gui.widgets.units import DASH

LEAK_TIP = "an answer named its own model"
# (title, a sample of its widest usual text: columns are sized from it, never from rows); column i shows a row's
# field i (HistoryRow).
_COLUMNS = (
    ("⚠", "⚠"),
    ("When", "2026-01-01T00:00:00.000+00:00"),
    ("Prompt", ""),
    ("Category", "multilingual"),
    ("Left", "SmolLM2-135M-Instruct.Q4_1"),
    ("Right", "SmolLM2-135M-Instruct.Q4_1"),
    ("Outcome", max(OUTCOME_WORDS.values(), key=len)),
    ("Rater", "a rater's name"),
)
_TITLES = [title for title, _ in _COLUMNS]
# The search looks at these fields only: "left" should find a model, not every Left-better vote.
_SEARCHED = itemgetter(PROMPT, CATEGORY, LEFT, RIGHT, RATER)
_FIELD_BREAK = "\x1f"  # between searched fields: typed text cannot hold it, so no match spans two fields
# A tooltip as long as a long prompt would cover the screen.
_TIP_CHARS = 1000
_PADDING = 24  # a column's room beyond its sample text: margins and the sort indicator
# Typing pauses at least this long before a search is asked for: one search per word, not per key.
_TYPING_PAUSE_MS = 250
# One sort call holds Python's lock throughout: 50,000 prompts took 18 ms. Slices this long take under 1 ms each,
# then a merge in Python lets the GUI thread in between.
_SORT_SLICE = 2048
_STALE = " The rows below are from before, not current."


def _outcome_text(row: tuple) -> str:
    """The outcome in words, a dash before a vote."""
    return OUTCOME_WORDS.get(row[OUTCOME], row[OUTCOME]) or DASH


_SORT_KEYS = [itemgetter(column) for column in range(len(_COLUMNS))]
_SORT_KEYS[OUTCOME] = _outcome_text  # the words shown, so the column reads in order


def select_rows(rows: list, search: str, column: int, descending: bool) -> list:
    """The rows (HistoryRow's fields) whose prompt, category, either model or rater holds `search` in any case, sorted
    by `column`; a new list. For a worker thread."""
    needle = search.casefold()
    chosen = [row for row in rows if needle in _FIELD_BREAK.join(_SEARCHED(row)).casefold()] if needle else list(rows)
    return _sorted_in_slices(chosen, _SORT_KEYS[column], descending)


def _sorted_in_slices(rows: list, key: Callable, descending: bool) -> list:
    """sorted(rows, key=key, reverse=descending), stable, without holding Python's lock for more than a slice."""
    slices = [sorted(rows[start:start + _SORT_SLICE], key=key, reverse=descending)
              for start in range(0, len(rows), _SORT_SLICE)]
    return list(heapq.merge(*slices, key=key, reverse=descending))


def _text(row: tuple, column: int) -> str:
    """What a cell shows: one line per round, the prompt's line breaks as spaces."""
    if column == LEAK:
        return "⚠" if row[LEAK] else ""
    if column == PROMPT:
        return " ".join(row[PROMPT].split())
    if column == OUTCOME:
        return _outcome_text(row)
    return row[column]


class RoundsModel(QAbstractTableModel):
    """The rounds shown: a plain list of row tuples, each cell formatted only when the view asks for it.

    Sorting is asked of whoever owns the rows (`sortRequested`): over 50,000 rounds it is for the results thread.
    """

    sortRequested = Signal(int, Qt.SortOrder)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def replace(self, rows: list) -> list:
        """Show `rows` instead; the rows shown until now, for the caller to free where it suits."""
        self.beginResetModel()
        old, self.rows = self.rows, rows
        self.endResetModel()
        return old

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _TITLES[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == LEAK:
            return f"⚠: {LEAK_TIP}"
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == PROMPT:
                return row[PROMPT][:_TIP_CHARS]  # with its line breaks
            if column == LEAK and row[LEAK]:
                return LEAK_TIP
        if role == Qt.ItemDataRole.TextAlignmentRole and column == LEAK:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sortRequested.emit(column, order)


class HistoryWindow(QWidget):
    """A window of its own listing rounds, newest first until sorted otherwise, with a search box.

    The rows come from its owner, which searches and sorts them; the window says when the rows shown do not answer
    the search and sort it shows.

    Signals:
        queryChanged(): the search (once typing pauses) or the sort changed: the owner is to answer with show_rows
            for query().
    """

    queryChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("History — GGUF Arena")
        self.resize(1000, 560)

        self.search = QLineEdit()
        self.search.setAccessibleName("Search rounds")
        self.search.setPlaceholderText("Search model, category, rater or prompt…")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("count")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)

        # What the window is doing, and whether the rows are current: shown only while they are not. No Cancel: a
        # newer search or sort replaces the one under way.
        self.busy_line = BusyLine("History status", None)
        self.status, self.progress = self.busy_line.status, self.busy_line.progress
        self._shown_once = False

        self.rounds = RoundsModel(self)
        self.table = QTableView()
        self.table.setModel(self.rounds)
        self.table.setAccessibleName("Rounds")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self._size_sections()
        self.table.horizontalHeader().setSortIndicator(WHEN, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)  # asks the model to sort by the indicator: rows come sorted already

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(_TYPING_PAUSE_MS)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.busy_line)
        layout.addWidget(self.table, 1)

        self.search.textChanged.connect(self._on_search_changed)
        self._typing.timeout.connect(self.queryChanged)
        self.rounds.sortRequested.connect(self._on_sort_requested)
        self._show_count(0, 0)

    def _size_sections(self) -> None:
        """Columns as wide as their sample text, the prompt taking the rest, rows one line high: sized to contents,
        every row would be measured on the GUI thread, 50,000 rounds as well as ten."""
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, (title, sample) in enumerate(_COLUMNS):
            header.resizeSection(column, metrics.horizontalAdvance(max(sample, title, key=len)) + _PADDING)
        header.setSectionResizeMode(LEAK, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(PROMPT, QHeaderView.ResizeMode.Stretch)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(metrics.height() + 8)

    def query(self) -> tuple[str, int, bool]:
        """(the search, the column to sort by, whether newest or last first) that the rows are to answer."""
        header = self.table.horizontalHeader()
        return (self.search.text().strip(), header.sortIndicatorSection(),
                header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder)

    def show_busy(self, doing: str) -> None:
        """Say what is being done; rows already shown stay, greyed and marked as not current."""
        self.busy_line.busy(doing + (_STALE if self._shown_once else ""))
        self.table.setEnabled(False)

    def show_error(self, message: str) -> None:
        """Say why the rounds could not be read; rows already shown stay greyed."""
        self.busy_line.stopped(message + (_STALE if self._shown_once else ""))

    def show_rows(self, rows: list, total: int, query: tuple[str, int, bool]) -> list:
        """Show `rows` (HistoryRow's fields), the rounds of `total` that answer `query`; the rows shown until now, for
        the caller to free. Rows answering an older query than the window's are shown still marked as not current:
        the newer answer is on its way."""
        old = self.rounds.replace(rows)
        self._shown_once = True
        self._show_count(len(rows), total)
        if query == self.query():
            self.busy_line.done()
            self.table.setEnabled(True)
        return old

    def _show_count(self, shown: int, total: int) -> None:
        self.count.setText(f"{shown:,} of {total:,} rounds")

    @Slot(str)
    def _on_search_changed(self, text: str) -> None:
        # Marked at once: the rows below do not answer what the box now says.
        self.show_busy(f"Searching for “{text.strip()}”…" if text.strip() else "Listing every round…")
        self._typing.start()

    @Slot(int, Qt.SortOrder)
    def _on_sort_requested(self, column: int, order: Qt.SortOrder) -> None:
        self.show_busy(f"Sorting by {_TITLES[column]}…")
        self.queryChanged.emit()
