"""The live rate chart's matplotlib figure, drawn with Agg into a QImage (on the chart's render thread)."""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PySide6.QtGui import QImage

from gui.widgets.theme import restyle_figure

_SIDES = ("Left", "Right")
_EMPTY_X = (0.0, 10.0)  # seconds shown before the first point
_EMPTY_Y = (0.0, 100.0)  # tokens/s shown before the first point
_DPI = 100  # dots per inch at a device pixel ratio of 1, as matplotlib's Qt canvas uses


class RateFigure:
    """Draws each side's (seconds, tok/s) points, one line per side, into an image.

    The axes are drawn in full only when their scale must grow (a few times a round), the size or the
    colours changed: otherwise only the lines are drawn over a saved background (blitting), since a full
    render takes 25 ms on an idle core and 70 ms while both models stream.
    """

    def __init__(self):
        self.figure = Figure(dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        # Fixed margins: a layout engine would measure every label again on each full draw.
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.24, top=0.84)
        self.axes = self.figure.add_subplot()
        self.axes.set_xlabel("s", fontsize=8)
        self.axes.set_ylabel("tok/s", fontsize=8)
        self.axes.tick_params(labelsize=7)
        self.axes.grid(True, alpha=0.3)
        # Animated lines are left out of full draws and drawn over the background instead.
        self.lines = [self.axes.plot([], [], label=name, linewidth=1.5, animated=True)[0] for name in _SIDES]
        # Above the plot, so the legend never hides the top of a line.
        self.axes.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=7, frameon=False, ncols=2, borderaxespad=0)
        self.axes.set_xlim(*_EMPTY_X, auto=None)
        self.axes.set_ylim(*_EMPTY_Y, auto=None)
        self.background = None
        self._size: tuple[int, int, float] | None = None
        self._rc: dict[str, str] | None = None

    def render(self, snapshot) -> tuple[QImage, bool]:
        """An image of a RateChart snapshot, and whether it took a full draw (False: only the lines)."""
        full = self.background is None
        if snapshot.rc != self._rc:
            restyle_figure(self.figure, snapshot.rc)
            self._rc = snapshot.rc
            full = True
        size = (snapshot.width, snapshot.height, snapshot.dpr)
        if size != self._size:
            # As matplotlib's Qt canvas does: fonts keep their size in logical pixels at any pixel ratio.
            self.figure.set_dpi(_DPI * snapshot.dpr)
            self.figure.set_size_inches(snapshot.width / self.figure.dpi, snapshot.height / self.figure.dpi)
            self._size = size
            full = True
        for line, (times, rates) in zip(self.lines, snapshot.points):
            line.set_data(times, rates)
        x_limits, y_limits = self._limits(snapshot.points)
        if (x_limits, y_limits) != (self.axes.get_xlim(), self.axes.get_ylim()):
            self.axes.set_xlim(*x_limits, auto=None)
            self.axes.set_ylim(*y_limits, auto=None)
            full = True
        if full:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self.background)
        for line in self.lines:
            self.axes.draw_artist(line)
        return self._image(snapshot.dpr), full

    def _limits(self, points) -> tuple[tuple[float, float], tuple[float, float]]:
        """The scale the points need: it only grows, in steps, so that most renders only draw the lines."""
        times = [t for side_times, _ in points for t in side_times]
        rates = [r for _, side_rates in points for r in side_rates]
        if not times:
            # Matplotlib's scale for no data is ±0.05: negative seconds and rates read as a bug.
            return _EMPTY_X, _EMPTY_Y
        x_high, y_high = self.axes.get_xlim()[1], self.axes.get_ylim()[1]
        # Rates are never negative, and a zero floor keeps the two lines comparable at a glance.
        return (0.0, _grown(x_high, max(times))), (0.0, _grown(y_high, max(rates)))

    def _image(self, dpr: float) -> QImage:
        """The canvas as a QImage of its own (the Agg buffer is drawn over again by the next render)."""
        buffer = self.canvas.buffer_rgba()
        height, width = buffer.shape[:2]
        image = QImage(buffer, width, height, width * 4, QImage.Format.Format_RGBA8888).copy()
        image.setDevicePixelRatio(dpr)
        return image


def _grown(high: float, needed: float) -> float:
    """`high` if it already holds `needed`, else half as much again as needed: the scale grows in steps."""
    return high if needed <= high else needed * 1.5
