"""The report's charts in a window of their own, one tab each, with a button to save the report."""

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.core.report_data import ReportData
from gui.widgets.charts import CHARTS, MISSING


class ChartsWindow(QWidget):
    """Ratings, rubric, speed, memory, trade-off and checks charts; a tab without data says what is missing.

    Signals:
        saveReportRequested(): write the report (HTML and PNG charts) to a folder.
    """

    saveReportRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Charts — GGUF Arena")
        self.resize(900, 640)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Charts")
        self.save_button = QPushButton("Save report…")
        self.save_button.setAccessibleName("Save report")
        self.save_button.setToolTip("Write an HTML report with these charts and the figures behind them")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

        self.save_button.clicked.connect(self.saveReportRequested)

    def show_data(self, data: ReportData) -> None:
        """Draw every chart from `data`, keeping the tab the reader was on."""
        current = self.tabs.currentIndex()
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            page.deleteLater()
        for name, title, draw in CHARTS:
            figure = draw(data)
            self.tabs.addTab(self._missing(name, title) if figure is None else self._canvas(figure, title), title)
        self.tabs.setCurrentIndex(max(current, 0))

    @staticmethod
    def _canvas(figure, title: str) -> FigureCanvasQTAgg:
        canvas = FigureCanvasQTAgg(figure)
        canvas.setAccessibleName(f"{title} chart")
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        return canvas

    @staticmethod
    def _missing(name: str, title: str) -> QLabel:
        label = QLabel(MISSING[name])
        label.setAccessibleName(f"{title}: no data")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label
