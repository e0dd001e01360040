"""One GUI-thread timer that moves both sides' queued tokens into the views."""

from PySide6.QtCore import QObject, QTimer, Slot

PUMP_INTERVAL_MS = 33  # about 30 Hz: smooth to the eye, cheap for the GUI thread


class TokenPump(QObject):
    """Drains every side's token queue at about 30 Hz, so the GUI never waits on llama.cpp."""

    def __init__(self, sides, parent: QObject | None = None):
        super().__init__(parent)
        self._sides = list(sides)
        self._timer = QTimer(self)
        self._timer.setInterval(PUMP_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def _on_tick(self) -> None:
        for side in self._sides:
            side.drain()
