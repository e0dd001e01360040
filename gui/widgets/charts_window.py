"""The report's charts in a window of their own, one tab each, with a button to save the report."""

from collections.abc import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.core.leaderboard import Cancelled
from gui.core.report_data import ReportData
from gui.widgets.busy_line import BusyLine
from gui.widgets.charts import CHARTS, MISSING

# (name, title, image): one per chart, in CHARTS' order; the image is None where the chart has no data.
DrawnCharts = list[tuple[str, str, QImage | None]]


def draw_charts(data: ReportData, ratio: float, should_stop: Callable[[], bool] = lambda: False) -> DrawnCharts:
    """Every chart of `data` drawn with Agg into an image at its own size and `ratio` device pixels per pixel;
    safe on any thread. Raises Cancelled once `should_stop()` says so, between charts."""
    drawn = []
    for name, title, draw in CHARTS:
        if should_stop():
            raise Cancelled
        figure = draw(data)
        drawn.append((name, title, None if figure is None else figure_image(figure, ratio)))
    return drawn


def figure_image(figure: Figure, ratio: float) -> QImage:
    """`figure` drawn with Agg at its own size into an image of `ratio` device pixels per pixel."""
    figure.set_dpi(100 * ratio)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = QImage(bytes(canvas.buffer_rgba()), width, height, QImage.Format.Format_RGBA8888)
    image.setDevicePixelRatio(ratio)
    return image


class ChartImage(QWidget):
    """Paints a chart drawn elsewhere, as large as fits without stretching it or growing it past its own size.

    Drawing the seven charts took hundreds of milliseconds on the GUI thread; painting an image takes one.
    """

    def __init__(self, image: QImage, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.image = image
        self.setAccessibleName(f"{title} chart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        own = self.image.deviceIndependentSize()
        fitted = own.scaled(QSizeF(self.size()).boundedTo(own), Qt.AspectRatioMode.KeepAspectRatio)
        corner = (QSizeF(self.size()) - fitted) / 2
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(corner.width(), corner.height(), fitted.width(), fitted.height()), self.image)
        painter.end()


class ChartsWindow(QWidget):
    """Ratings, rubric, speed, memory, trade-off and checks charts; a tab without data says what is missing.

    Signals:
        saveReportRequested(): write the report (HTML and PNG charts) to a folder.
        cancelRequested(): stop drawing the charts or writing the report.
    """

    saveReportRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Charts — GGUF Arena")
        self.resize(900, 640)

        # What the window is doing, and whether the charts below are current: shown only while they are not.
        self.busy_line = BusyLine("Charts status", "Cancel drawing the charts or writing the report")
        self.status, self.cancel_button = self.busy_line.status, self.busy_line.cancel_button

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Charts")
        self.save_button = QPushButton("Save report…")
        self.save_button.setAccessibleName("Save report")
        self.save_button.setToolTip("Write an HTML report with these charts and the figures behind them")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_line)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

        self.save_button.clicked.connect(self.saveReportRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)

    def show_busy(self, doing: str) -> None:
        """Say what is being done; charts already shown stay, greyed and marked as not current."""
        stale = " The charts below are from before, not current." if self.tabs.count() else ""
        self.busy_line.busy(doing + stale)
        self.tabs.setEnabled(False)
        self.save_button.setEnabled(False)

    def show_cancelled(self) -> None:
        """Stop looking busy; charts already shown stay greyed, since they may not match the results."""
        self.show_error("Cancelled. Open Results › Charts again to draw them, or Save report… to write the report.")

    def show_error(self, message: str) -> None:
        """Say why the charts or the report could not be made; charts already shown stay greyed."""
        earlier = " The charts below are from before, not current." if self.tabs.count() else ""
        self.busy_line.stopped(message + earlier)
        self.save_button.setEnabled(True)

    def show_done(self, message: str = "") -> None:
        """Stop looking busy, saying `message` if any; the charts shown are current."""
        self.busy_line.done(message)
        self.tabs.setEnabled(True)
        self.save_button.setEnabled(True)

    def show_charts(self, charts: DrawnCharts) -> None:
        """Show charts drawn by `draw_charts`, keeping the tab the reader was on; they are current."""
        current = self.tabs.currentIndex()
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            page.deleteLater()
        for name, title, image in charts:
            self.tabs.addTab(self._missing(name, title) if image is None else ChartImage(image, title), title)
        self.tabs.setCurrentIndex(max(current, 0))
        self.show_done()

    @staticmethod
    def _missing(name: str, title: str) -> QLabel:
        label = QLabel(MISSING[name])
        label.setAccessibleName(f"{title}: no data")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label
