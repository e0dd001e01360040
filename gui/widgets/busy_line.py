"""A results window's busy line: what it is computing, a busy bar and Cancel; or why it stopped."""

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class BusyLine(QWidget):
    """The status, busy bar and Cancel button under a window's title; the window says the words.

    The parts are shown and hidden one by one (the line itself stays), as the windows' tests read them.
    """

    def __init__(self, status_name: str, cancel_name: str | None, parent: QWidget | None = None):
        """`cancel_name` names the Cancel button for screen readers; None where the work is not cancelled (a newer
        request replaces it)."""
        super().__init__(parent)
        self.status = QLabel()
        self.status.setAccessibleName(status_name)
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: how long it takes is not known ahead
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel", accessibleName=cancel_name) if cancel_name else None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.progress)
        if self.cancel_button is not None:
            layout.addWidget(self.cancel_button)
        self.done()

    def _parts(self) -> list[QWidget]:
        """The busy bar and Cancel, where there is one."""
        return [part for part in (self.progress, self.cancel_button) if part is not None]

    def busy(self, text: str) -> None:
        """Say what is being done, with the busy bar and Cancel."""
        self.status.setText(text)
        self.status.show()
        for part in self._parts():
            part.show()

    def stopped(self, text: str) -> None:
        """Say why the work stopped (cancelled, failed); nothing to cancel any more."""
        for part in self._parts():
            part.hide()
        self.status.setText(text)
        self.status.show()

    def done(self, text: str = "") -> None:
        """The work is done: say `text` if any, else show nothing."""
        for part in self._parts():
            part.hide()
        self.status.setText(text)
        self.status.setVisible(bool(text))
