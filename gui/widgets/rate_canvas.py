"""The matplotlib canvas of the live rate chart (its own module: importing matplotlib is slow)."""

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import QWidget

_SIDES = ("Left", "Right")
_EMPTY_X = (0.0, 10.0)  # seconds shown before the first point
_EMPTY_Y = (0.0, 100.0)  # tokens/s shown before the first point


class RateCanvas(FigureCanvasQTAgg):
    """Draws each side's (seconds, tok/s) points, one line per side.

    The axes are drawn in full only when their scale must grow (a few times a round): otherwise
    only the lines are drawn over a saved background (blitting), since a full render takes 25 ms
    on an idle core and 70 ms while both models stream — long enough to stall the window.
    """

    def __init__(self, points: tuple[tuple[list[float], list[float]], ...], parent: QWidget | None = None):
        figure = Figure(figsize=(4, 1.6))
        # Fixed margins: a layout engine would measure every label again on each full draw.
        figure.subplots_adjust(left=0.09, right=0.98, bottom=0.24, top=0.84)
        super().__init__(figure)
        self.setParent(parent)
        self.points = points
        self.axes = figure.add_subplot()
        self.axes.set_xlabel("s", fontsize=8)
        self.axes.set_ylabel("tok/s", fontsize=8)
        self.axes.tick_params(labelsize=7)
        self.axes.grid(True, alpha=0.3)
        # Animated lines are left out of full draws and blitted over the background instead.
        self.lines = [self.axes.plot([], [], label=name, linewidth=1.5, animated=True)[0] for name in _SIDES]
        # Above the plot, so the legend never hides the top of a line.
        self.axes.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=7, frameon=False, ncols=2, borderaxespad=0)
        self.axes.set_xlim(*_EMPTY_X, auto=None)
        self.axes.set_ylim(*_EMPTY_Y, auto=None)
        self.background = None
        self.mpl_connect("draw_event", self._on_full_draw)

    def redraw(self) -> None:
        """Show the points: a full draw if the scale must grow, else only the lines."""
        for line, (times, rates) in zip(self.lines, self.points):
            line.set_data(times, rates)
        limits = self._limits()
        if limits != (self.axes.get_xlim(), self.axes.get_ylim()) or self.background is None:
            self.axes.set_xlim(*limits[0], auto=None)
            self.axes.set_ylim(*limits[1], auto=None)
            self.draw_idle()
        else:
            self.blit_lines()

    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The scale the points need: it only grows, in steps, so that most ticks only blit."""
        times = [t for side_times, _ in self.points for t in side_times]
        rates = [r for _, side_rates in self.points for r in side_rates]
        if not times:
            # Matplotlib's scale for no data is ±0.05: negative seconds and rates read as a bug.
            return _EMPTY_X, _EMPTY_Y
        x_high, y_high = self.axes.get_xlim()[1], self.axes.get_ylim()[1]
        # Rates are never negative, and a zero floor keeps the two lines comparable at a glance.
        return (0.0, _grown(x_high, max(times))), (0.0, _grown(y_high, max(rates)))

    def _on_full_draw(self, _event) -> None:
        """After a full draw: keep the background without the lines, then draw the lines on it."""
        self.background = self.copy_from_bbox(self.figure.bbox)
        for line in self.lines:
            self.axes.draw_artist(line)

    def blit_lines(self) -> None:
        """Draw only the lines over the saved background."""
        self.restore_region(self.background)
        for line in self.lines:
            self.axes.draw_artist(line)
        self.blit(self.figure.bbox)


def _grown(high: float, needed: float) -> float:
    """`high` if it already holds `needed`, else half as much again as needed: the scale grows in steps."""
    return high if needed <= high else needed * 1.5
