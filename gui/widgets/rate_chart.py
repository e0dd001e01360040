"""A small live chart of both sides' decode tokens/s over the round."""

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QSizePolicy, QWidget

# Rates arrive about once a second per side: a faster redraw only costs the GUI thread.
_REDRAW_MS = 500
_SIDES = ("Left", "Right")
_EMPTY_X = (0.0, 10.0)  # seconds shown before the first point
_EMPTY_Y = (0.0, 100.0)  # tokens/s shown before the first point


class RateChart(FigureCanvasQTAgg):
    """Decode tok/s against seconds into the round, one line per side.

    Points only mark the chart dirty; a timer redraws at most twice a second. The axes are
    drawn in full only when their scale must grow (a few times a round): otherwise only the
    lines are drawn over a saved background (blitting), since a full render takes 25 ms on an
    idle core and 70 ms while both models stream — long enough to stall the window.
    """

    def __init__(self, parent: QWidget | None = None):
        figure = Figure(figsize=(4, 1.6))
        # Fixed margins: a layout engine would measure every label again on each full draw.
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
        # Animated lines are left out of full draws and blitted over the background instead.
        self._lines = [self._axes.plot([], [], label=name, linewidth=1.5, animated=True)[0] for name in _SIDES]
        # Above the plot, so the legend never hides the top of a line.
        self._axes.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=7, frameon=False, ncols=2, borderaxespad=0)
        self._points: tuple[tuple[list[float], list[float]], ...] = tuple(([], []) for _ in _SIDES)
        self._axes.set_xlim(0, _EMPTY_X[1], auto=None)
        self._axes.set_ylim(0, _EMPTY_Y[1], auto=None)
        self._background = None
        self.mpl_connect("draw_event", self._on_full_draw)
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
        limits = self._limits()
        if limits != (self._axes.get_xlim(), self._axes.get_ylim()) or self._background is None:
            self._axes.set_xlim(*limits[0], auto=None)
            self._axes.set_ylim(*limits[1], auto=None)
            self.draw_idle()
        else:
            self._blit_lines()

    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The scale the points need: it only grows, in steps, so that most ticks only blit."""
        times = [t for side_times, _ in self._points for t in side_times]
        rates = [r for _, side_rates in self._points for r in side_rates]
        if not times:
            # Matplotlib's scale for no data is ±0.05: negative seconds and rates read as a bug.
            return _EMPTY_X, _EMPTY_Y
        x_high, y_high = self._axes.get_xlim()[1], self._axes.get_ylim()[1]
        # Rates are never negative, and a zero floor keeps the two lines comparable at a glance.
        return (0.0, _grown(x_high, max(times))), (0.0, _grown(y_high, max(rates)))

    def _on_full_draw(self, _event) -> None:
        """After a full draw: keep the background without the lines, then draw the lines on it."""
        self._background = self.copy_from_bbox(self.figure.bbox)
        for line in self._lines:
            self._axes.draw_artist(line)

    def _blit_lines(self) -> None:
        """Draw only the lines over the saved background."""
        self.restore_region(self._background)
        for line in self._lines:
            self._axes.draw_artist(line)
        self.blit(self.figure.bbox)


def _grown(high: float, needed: float) -> float:
    """`high` if it already holds `needed`, else half as much again as needed: the scale grows in steps."""
    return high if needed <= high else needed * 1.5
