"""A small live chart of both sides' decode tokens/s over the round."""

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QSizePolicy, QWidget

# Rates arrive about once a second per side: a faster redraw only costs the GUI thread.
_REDRAW_MS = 500
_SIDES = ("Left", "Right")


class RateChart(FigureCanvasQTAgg):
    """Decode tok/s against seconds into the round, one line per side.

    Points only mark the chart dirty; a timer redraws at most twice a second, so a fast
    stream costs the GUI thread a few renders, not one per point. The margins are fixed:
    a layout engine would measure every label again on each redraw (about 50 ms here).
    """

    def __init__(self, parent: QWidget | None = None):
        figure = Figure(figsize=(4, 1.6))
        figure.subplots_adjust(left=0.09, right=0.98, bottom=0.24, top=0.84)
        super().__init__(figure)
        self.setParent(parent)
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Decode speed chart")
        self._axes = figure.add_subplot()
        self._axes.set_xlabel("s", fontsize=8)
        self._axes.set_ylabel("tok/s", fontsize=8)
        self._axes.tick_params(labelsize=7)
        self._axes.grid(True, alpha=0.3)
        self._lines = [self._axes.plot([], [], label=name, linewidth=1.5)[0] for name in _SIDES]
        # Above the plot, so the legend never hides the top of a line.
        self._axes.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=7, frameon=False, ncols=2, borderaxespad=0)
        self._points: tuple[tuple[list[float], list[float]], ...] = tuple(([], []) for _ in _SIDES)
        self._show_empty_scale()
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(_REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    @Slot(int, float, float)
    def add_point(self, side: int, t_s: float, tps: float) -> None:
        """Store one rate (side 0 left, 1 right); the next timer tick draws it."""
        times, rates = self._points[side]
        times.append(t_s)
        rates.append(tps)
        self._dirty = True

    @Slot()
    def reset(self) -> None:
        """Forget every point; the chart empties at the next tick."""
        for times, rates in self._points:
            times.clear()
            rates.clear()
        self._dirty = True

    @Slot()
    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for line, (times, rates) in zip(self._lines, self._points):
            line.set_data(times, rates)
        if any(times for times, _ in self._points):
            self._axes.relim()
            self._axes.autoscale_view()
            # Rates are never negative, and a zero floor keeps the two lines comparable at a glance.
            self._axes.set_ylim(bottom=0, auto=None)
            self._axes.set_xlim(left=0, auto=None)
        else:
            self._show_empty_scale()
        self.draw_idle()

    def _show_empty_scale(self) -> None:
        # Matplotlib's scale for no data is ±0.05: negative seconds and rates read as a bug.
        self._axes.set_xlim(0, 10, auto=None)
        self._axes.set_ylim(0, 100, auto=None)
