"""The results windows and files: leaderboard, history, export and import of votes."""

import dataclasses
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui.core.leaderboard import compute_leaderboard, summary_lines
from gui.core.store import Store
from gui.core.votes_io import VoteFileError, read_votes_csv, read_votes_jsonl, write_csv, write_jsonl
from gui.widgets.history_window import HistoryWindow
from gui.widgets.leaderboard_window import LeaderboardWindow

HIDDEN = "(hidden until the vote)"


class Results(QObject):
    """Opens the leaderboard and history windows and moves votes in and out of the store."""

    def __init__(self, window, arena, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        self.window = window
        self.arena = arena
        self.store = store
        self.leaderboard = LeaderboardWindow()
        self.history = HistoryWindow()
        for view in (self.leaderboard, self.history):
            # Closing the main window ends the app even while these are open.
            view.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self._include_leaks = False
        window.leaderboardRequested.connect(self.show_leaderboard)
        window.historyRequested.connect(self.show_history)
        window.exportRequested.connect(self.export_votes)
        window.importRequested.connect(self.import_votes)
        self.leaderboard.refreshRequested.connect(self.show_leaderboard)
        self.leaderboard.includeLeaksToggled.connect(self._on_include_leaks)

    @Slot()
    def show_leaderboard(self) -> None:
        """Ratings with their 95% intervals, rubric means, position bias, agreement, flip rates."""
        board = compute_leaderboard(self.store.votes(), include_leaks=self._include_leaks)
        rows = [dataclasses.asdict(row) for row in board.rows]
        self.leaderboard.show_board(rows, summary_lines(board), board.rubric_by_category)
        self.leaderboard.show()
        self.leaderboard.raise_()

    @Slot()
    def show_history(self) -> None:
        """Every stored round; the models of a round still waiting for its vote stay hidden."""
        rows = self.store.history()
        for row in rows:
            if self.arena.blind and row["chat_id"] == self.arena.chat_id and not self.arena.revealed:
                row["left_model"] = row["right_model"] = HIDDEN
        self.history.show_rounds(rows)
        self.history.show()
        self.history.raise_()

    @Slot()
    def export_votes(self) -> None:
        """Write every vote to JSONL or CSV, by the file name chosen."""
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export votes", "votes.jsonl", "Votes (*.jsonl *.csv)"
        )
        if not path:
            return
        votes = self.store.votes()
        try:
            (write_csv if Path(path).suffix.lower() == ".csv" else write_jsonl)(votes, path)
        except OSError as error:
            QMessageBox.warning(self.window, "Export votes", f"Could not write {path}: {error.strerror}.")
            return
        self.window.show_status(f"Exported {len(votes)} votes to {path}.")

    @Slot()
    def import_votes(self) -> None:
        """Merge the votes of a JSONL file (ours or FastChat's battle format) or our CSV; the same vote is kept once."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Import votes", "", "Votes (*.jsonl *.csv)")
        if not path:
            return
        try:
            added, total = self.import_file(path)
        except VoteFileError as error:
            QMessageBox.warning(self.window, "Import votes", str(error))
            return
        self.window.show_status(f"Imported {added} new votes from {Path(path).name} ({total - added} already there).")

    def import_file(self, path: str) -> tuple[int, int]:
        """(new votes, votes in the file); the file is read whole before anything is written."""
        votes = (read_votes_csv if Path(path).suffix.lower() == ".csv" else read_votes_jsonl)(path)
        return self.store.add_votes(votes), len(votes)

    @Slot(bool)
    def _on_include_leaks(self, include: bool) -> None:
        self._include_leaks = include
        self.show_leaderboard()
