"""The app's log file in a window of its own: its last lines, followed while open, to copy or find on disk."""

import os
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl, Qt, Slot
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gui.core.blind import names_pattern

TAIL_LINES = 2000
FOLLOW_MS = 500
# Enough for TAIL_LINES long lines; the file rotates at 1 MiB, so this only bounds a file someone else grew.
_TAIL_BYTES = 4 * 2**20
# llama.cpp's own lines: a load's metadata dump (name, architecture, vocabulary, sizes) tells a model apart.
_ENGINE_LINE = " gui.llama: "
BLIND_NOTE = ("Blind mode: llama.cpp's own lines and every line naming a model are hidden until the vote "
              "(or with blind mode off); the file keeps them all.")


class LogWindow(QWidget):
    """The last TAIL_LINES lines of one log file in a monospace font; new lines appear while it is shown.

    The file may not exist yet, and may be rotated (renamed and started afresh) while the window is open.
    """

    def __init__(self, path: str | os.PathLike, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.path = Path(path)
        self.setWindowTitle("Log — GGUF Arena")
        self.resize(980, 560)
        self._offset = 0  # bytes of the file shown so far (always at a line's end)
        self._file_id: tuple[int, int] | None = None  # (device, inode): a rotated log is a new file
        self._blind = False
        self._hidden = None  # the pattern of the names hidden while blind

        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setUndoRedoEnabled(False)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        # Older lines drop off the top as new ones arrive.
        self.view.setMaximumBlockCount(TAIL_LINES)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setAccessibleName("Log lines")
        self.view.setPlaceholderText(f"Nothing logged yet in {self.path}.")
        self.where = QLabel(str(self.path))
        self.where.setObjectName("logPath")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setWordWrap(True)
        self.blind_note = QLabel(BLIND_NOTE)
        self.blind_note.setObjectName("blindNote")
        self.blind_note.setWordWrap(True)
        self.blind_note.hide()
        self.copy_button = QPushButton("Copy all")
        self.copy_button.setAccessibleName("Copy the log lines shown")
        self.folder_button = QPushButton("Open log folder")
        self.folder_button.setAccessibleName("Open the folder of the log file")
        buttons = QHBoxLayout()
        buttons.addWidget(self.where, 1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.folder_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.blind_note)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_MS)
        self._timer.timeout.connect(self.follow)
        self.copy_button.clicked.connect(self.copy_all)
        self.folder_button.clicked.connect(self.open_folder)

    @Slot(object)
    def set_blind_names(self, names: set[str] | None) -> None:
        """While a rater is blind (`names` given, may be empty), hide llama.cpp's lines and lines naming these.

        None shows every line again (blind mode off, or the models revealed by a vote).
        """
        self._blind = names is not None
        self._hidden = names_pattern(names) if names else None
        self.blind_note.setVisible(self._blind)
        if self.isVisible():
            self.reload()

    def _shown(self, lines: list[str]) -> list[str]:
        if not self._blind:
            return lines
        return [line for line in lines
                if _ENGINE_LINE not in line and not (self._hidden and self._hidden.search(line))]

    @Slot()
    def open(self) -> None:
        """Show the window (its tail read afresh) or, when it is already shown, bring it to the front."""
        if self.isVisible():
            self.follow()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    def showEvent(self, event) -> None:
        self.reload()
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        # Nobody reads a hidden log: stop looking at the file.
        self._timer.stop()
        super().hideEvent(event)

    @Slot()
    def reload(self) -> None:
        """Show the file's last TAIL_LINES lines, from scratch."""
        self.view.clear()
        self._offset, self._file_id = 0, None
        try:
            stat = self.path.stat()
        except OSError:
            return  # not written yet: follow() picks it up when it appears
        start = max(0, stat.st_size - _TAIL_BYTES)
        self._file_id = (stat.st_dev, stat.st_ino)
        lines = self._read_from(start)
        if start > 0:
            lines = lines[1:]  # the read began inside a line
        self._append(lines[-TAIL_LINES:])
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())

    @Slot()
    def follow(self) -> None:
        """Add the lines written since the last look; a rotated or truncated file is read from its start."""
        try:
            stat = self.path.stat()
        except OSError:
            return  # between the rotation's rename and the new file: look again next time
        file_id = (stat.st_dev, stat.st_ino)
        if file_id != self._file_id or stat.st_size < self._offset:
            self._file_id, self._offset = file_id, 0
        if stat.st_size > self._offset:
            self._append(self._read_from(self._offset))

    def _read_from(self, start: int) -> list[str]:
        """The complete lines from byte `start` on; a line still being written waits for the next look."""
        try:
            with open(self.path, "rb") as log:
                log.seek(start)
                data = log.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1
        self._offset = start + end
        return data[:end].decode("utf-8", errors="replace").splitlines()

    def _append(self, lines: list[str]) -> None:
        lines = self._shown(lines)
        if not lines:
            return
        bar = self.view.verticalScrollBar()
        # Follow the end only if the reader is there already; don't yank them away from a line they study.
        following = bar.value() >= bar.maximum() - 2
        self.view.appendPlainText("\n".join(lines))
        if following:
            bar.setValue(bar.maximum())

    def text(self) -> str:
        """The lines shown."""
        return self.view.toPlainText()

    @Slot()
    def copy_all(self) -> None:
        """Put every line shown on the clipboard, to paste into a bug report."""
        QGuiApplication.clipboard().setText(self.text())

    @Slot()
    def open_folder(self) -> None:
        """Open the log's folder in the file manager; say where it is when none answers."""
        folder = self.path.parent
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.where.setText(f"Could not open {folder}: no file manager answered. The log is {self.path}.")
