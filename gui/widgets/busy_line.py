"""A results window's busy line: what it is computing, a busy bar and Cancel; or why it stopped."""

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class BusyLine(QWidget):
    """The status, busy bar and Cancel button under a window's title; the window says the words.

    The parts are shown and hidden one by one (the line itself stays), as the windows' tests read them.
    """

    def __init__(self, status_name: str, cancel_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.status = QLabel()
        self.status.setAccessibleName(status_name)
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: how long it takes is not known ahead
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName(cancel_name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        self.done()

    def busy(self, text: str) -> None:
        """Say what is being done, with the busy bar and Cancel."""
        self.status.setText(text)
        for part in (self.status, self.progress, self.cancel_button):
            part.show()

    def stopped(self, text: str) -> None:
        """Say why the work stopped (cancelled, failed); nothing to cancel any more."""
        self.progress.hide()
        self.cancel_button.hide()
        self.status.setText(text)
        self.status.show()

    def done(self, text: str = "") -> None:
        """The work is done: say `text` if any, else show nothing."""
        self.progress.hide()
        self.cancel_button.hide()
        self.status.setText(text)
        self.status.setVisible(bool(text))
