"""Past rounds in a searchable table: prompt, category, both models, the vote and who cast it."""

from PySide6.QtCore import QSortFilterProxyModel, Qt, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
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

from gui.widgets.rating_bar import OUTCOME_WORDS
from gui.widgets.units import DASH

LEAK_TIP = "an answer named its own model"
_COLUMNS = ("⚠", "When", "Prompt", "Category", "Left", "Right", "Outcome", "Rater")
_WHEN = _COLUMNS.index("When")
_PROMPT = _COLUMNS.index("Prompt")
# The search looks at these columns only: "left" should find a model, not every Left-better vote.
_SEARCHED = {_COLUMNS.index(name) for name in ("Prompt", "Category", "Left", "Right", "Rater")}
_SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
# A tooltip as long as a long prompt would cover the screen.
_TIP_CHARS = 1000


def _item(text: str, searched: bool) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if searched:
        item.setData(text, _SEARCH_ROLE)
    return item


class HistoryWindow(QWidget):
    """A window of its own listing rounds, newest first until sorted otherwise, with a search box."""

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

        self.rounds = QStandardItemModel(0, len(_COLUMNS), self)
        self.rounds.setHorizontalHeaderLabels(list(_COLUMNS))
        self.rounds.horizontalHeaderItem(0).setToolTip(f"⚠: {LEAK_TIP}")
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.rounds)
        # Every column is looked at, but only the searched ones carry text in the search role.
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterRole(_SEARCH_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Rounds")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(_WHEN, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_PROMPT, QHeaderView.ResizeMode.Stretch)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self.search.textChanged.connect(self._on_search_changed)
        self._update_count()

    @Slot(list)
    def show_rounds(self, rows: list[dict]) -> None:
        """Replace the list with these rounds; keys: when, prompt, category, left_model, right_model,
        outcome ("" before a vote), rater, leak."""
        self.rounds.removeRows(0, self.rounds.rowCount())
        for row in rows:
            self.rounds.appendRow(self._items(row))
        self._update_count()

    def _items(self, row: dict) -> list[QStandardItem]:
        leak = _item("⚠" if row["leak"] else "", searched=False)
        leak.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if row["leak"]:
            leak.setToolTip(LEAK_TIP)
        # One line per round: the prompt's line breaks become spaces; the tooltip keeps them.
        prompt_item = _item(" ".join(row["prompt"].split()), searched=True)
        prompt_item.setToolTip(row["prompt"][:_TIP_CHARS])
        outcome = OUTCOME_WORDS.get(row["outcome"], row["outcome"]) or DASH
        texts = (row["category"] or "", row["left_model"], row["right_model"])
        return [
            leak,
            _item(row["when"], searched=False),
            prompt_item,
            *(_item(text, searched=True) for text in texts),
            _item(outcome, searched=False),
            _item(row["rater"] or "", searched=True),
        ]

    @Slot(str)
    def _on_search_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"{self.proxy.rowCount()} of {self.rounds.rowCount()} rounds")
