"""The keyboard shortcuts sheet (F1), listed from the window's own actions so it cannot go stale."""

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _words(text: str) -> str:
    """A menu text as read aloud: no mnemonic ampersand, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").removesuffix("…")


def _keys(sequences: list[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)


def _menu_rows(menu: QMenu, path: str) -> list[tuple[str, str]]:
    rows = []
    for action in menu.actions():
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), f"{path} › {_words(action.text())}")
        elif action.shortcuts():
            rows.append((f"{path} › {_words(action.text())}", _keys(action.shortcuts())))
    return rows


def shortcut_rows(menu_bar: QMenuBar, window: QWidget) -> list[tuple[str, str]]:
    """(command, keys) for every menu item with a shortcut, then every described QShortcut in `window`."""
    rows = []
    for action in menu_bar.actions():
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), _words(action.text()))
    # Keys that are not menu items (the votes) say what they do in their whatsThis.
    for shortcut in window.findChildren(QShortcut):
        if shortcut.whatsThis() and not shortcut.key().isEmpty():
            rows.append((shortcut.whatsThis(), _keys(shortcut.keys())))
    return rows


class ShortcutsSheet(QDialog):
    """A small non-modal table of commands and their keys; fill() lists them afresh."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Command", "Keys"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close the shortcuts sheet")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(460, 520)

    def fill(self, menu_bar: QMenuBar, window: QWidget) -> None:
        rows = shortcut_rows(menu_bar, window)
        self.table.setRowCount(len(rows))
        for row, (command, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(command))
            self.table.setItem(row, 1, QTableWidgetItem(keys))

    def rows(self) -> list[tuple[str, str]]:
        """What the sheet lists, as (command, keys)."""
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())]
