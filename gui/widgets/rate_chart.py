"""A small live chart of both sides' decode tokens/s over the round."""

import importlib
import threading

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

# Rates arrive about once a second per side: a faster redraw only costs the GUI thread.
_REDRAW_MS = 500
_canvas_module = None  # gui.widgets.rate_canvas, once imported (it imports matplotlib)


class RateChart(QWidget):
    """Decode tok/s against seconds into the round, one line per side.

    Importing matplotlib takes longer than showing the whole window, so it is imported on a
    thread of its own once the chart is first shown, and the canvas is built when it is done;
    points that come before are kept. A chart never shown (blind mode) never imports it.
    """

    _imported = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Decode speed chart")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.points: tuple[tuple[list[float], list[float]], ...] = (([], []), ([], []))  # Left, Right
        self.canvas = None
        self._importing = False
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(_REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()
        self._imported.connect(self._build_canvas)  # queued: emitted from the import thread

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # Once the event loop runs again: the window's first paint does not wait for the import to start.
        QTimer.singleShot(0, self.prepare_canvas)

    @Slot()
    def prepare_canvas(self) -> None:
        """Build the canvas now if matplotlib is imported, else import it on a thread and build it then."""
        if self.canvas is not None or self._importing:
            return
        if _canvas_module is not None:
            self._build_canvas()
            return
        self._importing = True
        threading.Thread(target=self._import_backend, name="import matplotlib", daemon=True).start()

    def _import_backend(self) -> None:
        global _canvas_module
        _canvas_module = importlib.import_module("gui.widgets.rate_canvas")
        try:
            self._imported.emit()
        except RuntimeError:
            pass  # the chart was deleted while matplotlib was importing: nothing left to build

    @Slot()
    def _build_canvas(self) -> None:
        if self.canvas is None:
            self.canvas = _canvas_module.RateCanvas(self.points, self)
            self._layout.addWidget(self.canvas)
            self._dirty = any(times for times, _ in self.points)

    @Slot(int, float, float)
    def add_point(self, side: int, t_s: float, tps: float) -> None:
        """Store one rate (side 0 left, 1 right); the next timer tick draws it."""
        times, rates = self.points[side]
        times.append(t_s)
        rates.append(tps)
        self._dirty = True

    @Slot()
    def reset(self) -> None:
        """Forget every point; the chart empties at the next tick."""
        for times, rates in self.points:
            times.clear()
            rates.clear()
        self._dirty = True

    @Slot()
    def _redraw(self) -> None:
        if self._dirty and self.canvas is not None:
            self._dirty = False
            self.canvas.redraw()

