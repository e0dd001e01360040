"""The leaderboard of the blind votes: standings with intervals, rater checks and rubric means."""

import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.busy_line import BusyLine
from gui.widgets.charts import interval_arms
from gui.widgets.units import DASH

_STANDING_COLUMNS = ("#", "Model", "Rating", "95% CI", "W", "L", "T", "Both bad", "Votes")
_COUNT_KEYS = ("wins", "losses", "ties", "both_bad", "votes")
_NO_CATEGORY = "(no category)"
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _known(value: float | None) -> bool:
    """Whether a figure exists: a bootstrap that could not give an interval leaves None or NaN."""
    return value is not None and not math.isnan(value)


def _number(value: float | None, decimals: int) -> str:
    return f"{value:.{decimals}f}" if _known(value) else DASH


def _interval(low: float | None, high: float | None) -> str:
    return f"{low:.0f} – {high:.0f}" if _known(low) and _known(high) else DASH


def _cell(text: str, numeric: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    # A report, not a form: cells can be selected and copied but not edited.
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if numeric:
        item.setTextAlignment(_RIGHT)
    return item


def _table(name: str) -> QTableWidget:
    table = QTableWidget()
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    # Columns as wide as their contents: stretching one would set a number far from its heading.
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def draw_rating_chart(rows: list[dict], size: QSize, ratio: float) -> tuple[Figure, QImage]:
    """The rating chart of `rows` drawn with Agg into an image of `size` logical pixels; safe on any thread."""
    figure = Figure(figsize=(size.width() / 100, size.height() / 100), dpi=100 * ratio, layout="constrained")
    _draw_ratings(figure.add_subplot(), rows)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = QImage(bytes(canvas.buffer_rgba()), width, height, QImage.Format.Format_RGBA8888)
    image.setDevicePixelRatio(ratio)
    return figure, image


def _draw_ratings(axes, rows: list[dict]) -> None:
    """Each model's rating as a dot with its 95% interval as a horizontal bar, best at the top."""
    axes.set_xlabel("rating (95% interval)", fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(True, axis="x", alpha=0.3)
    rated = [row for row in rows if _known(row.get("rating"))]
    # Best first in the rows; the y axis grows upwards, so the best gets the highest position.
    positions = list(range(len(rated)))[::-1]
    for y, row in zip(positions, rated):
        rating, low, high = row["rating"], row.get("ci_low"), row.get("ci_high")
        error = interval_arms(rating, low, high) if _known(low) and _known(high) else None
        axes.errorbar([rating], [y], xerr=error, fmt="o", color="C0", ecolor="C0", capsize=3, markersize=4)
    axes.set_yticks(positions, [row["model"] for row in rated])
    axes.set_ylim(-0.7, max(len(rated), 1) - 0.3)


class RatingChart(QWidget):
    """Paints the rating chart drawn by `draw_rating_chart`, on the results thread where the board is computed.

    Drawing 20 models' bars took 40 ms and painting them with Qt's Agg canvas 45 ms more, on the GUI thread.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(260, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Rating chart")
        self._rows: list[dict] | None = None  # None: nothing drawn yet
        self.figure: Figure | None = None
        self._image = QImage()
        # A resize draws again here, once the reader stops dragging: only then is the chart's size known.
        self._redraw = QTimer(self, singleShot=True, interval=200)
        self._redraw.timeout.connect(self._on_resized)

    def size_to_draw(self) -> tuple[QSize, float]:
        """The size and device pixel ratio a chart drawn elsewhere should have."""
        return self.size(), self.devicePixelRatioF()

    def show_rows(self, rows: list[dict]) -> None:
        """Draw the standings (best first) here; a model without a rating is left out, one without an interval is a dot."""
        self.show_drawn(rows, *draw_rating_chart(rows, *self.size_to_draw()))

    def show_drawn(self, rows: list[dict], figure: Figure, image: QImage) -> None:
        """Show a chart of `rows` already drawn by `draw_rating_chart`."""
        self._rows, self.figure, self._image = rows, figure, image
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._image.isNull():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(self.rect()), self._image)
        painter.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._redraw.start()

    @Slot()
    def _on_resized(self) -> None:
        if self._rows is not None and self._image.deviceIndependentSize().toSize() != self.size():
            self.show_rows(self._rows)


class LeaderboardWindow(QWidget):
    """A window of its own: the standings table and chart, rater checks, rubric means per category.

    Signals:
        includeLeaksToggled(bool): count (True) or leave out votes where an answer named its model.
        refreshRequested(): compute the board again from the stored votes.
        cancelRequested(): stop the computation under way.
    """

    includeLeaksToggled = Signal(bool)
    refreshRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Leaderboard — GGUF Arena")
        self.resize(860, 780)

        self.include_leaks = QCheckBox("Include votes with an identity leak")
        self.include_leaks.setAccessibleName("Include votes with an identity leak")
        self.include_leaks.setToolTip("Votes on rounds where an answer named its own model are left out unless checked")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Refresh the leaderboard")
        controls = QHBoxLayout()
        controls.addWidget(self.include_leaks)
        controls.addStretch(1)
        controls.addWidget(self.refresh_button)

        # What the window is doing, and whether the figures below are current: shown only while they are not.
        self.busy_line = BusyLine("Leaderboard status", "Cancel the computation")
        self.status, self.cancel_button = self.busy_line.status, self.busy_line.cancel_button
        self._shown_once = False

        self.standings = _table("Standings")
        self.standings.setColumnCount(len(_STANDING_COLUMNS))
        self.standings.setHorizontalHeaderLabels(_STANDING_COLUMNS)
        for column in range(len(_STANDING_COLUMNS)):
            self.standings.horizontalHeaderItem(column).setTextAlignment(_LEFT if column == 1 else _RIGHT)
        self.chart = RatingChart()
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setAccessibleName("Rater checks")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rubric_title = QLabel("Mean rubric score (0–3) per category")
        font = rubric_title.font()
        font.setBold(True)
        rubric_title.setFont(font)
        self.rubric = _table("Rubric means")

        # One column of parts, each as tall as the reader wants: model names need the full width.
        checks = QWidget()
        checks_layout = QVBoxLayout(checks)
        checks_layout.setContentsMargins(0, 0, 0, 0)
        checks_layout.addWidget(self.summary)
        checks_layout.addWidget(rubric_title)
        checks_layout.addWidget(self.rubric, 1)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.standings)
        body.addWidget(self.chart)
        body.addWidget(checks)
        body.setChildrenCollapsible(False)
        body.setSizes([200, 280, 240])

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.busy_line)
        layout.addWidget(body, 1)
        self._body = body

        self.include_leaks.toggled.connect(self.includeLeaksToggled)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)

    def show_busy(self, doing: str) -> None:
        """Say what is being computed; figures already shown stay, greyed and marked as not current."""
        stale = " The figures below are from before, not current." if self._shown_once else ""
        self.busy_line.busy(doing + stale)
        self._body.setEnabled(False)

    def show_cancelled(self) -> None:
        """Stop looking busy; figures already shown stay greyed, since they may not match the votes."""
        earlier = " The figures below are from before, not current." if self._shown_once else ""
        self.busy_line.stopped(f"Cancelled.{earlier} Press Refresh to compute the leaderboard.")

    def show_error(self, message: str) -> None:
        """Say why the board could not be computed; figures already shown stay greyed."""
        self.busy_line.stopped(message)

    def show_board(self, rows: list[dict], summary_lines: list[str], rubric: dict[str, dict[str, float]],
                   chart: tuple[Figure, QImage] | None = None) -> None:
        """Show standings best first, the summary lines as given, rubric means as model → category → mean, and the
        rating chart as drawn by `draw_rating_chart` for `chart.size_to_draw()` (drawn here when None)."""
        self.busy_line.done()
        self._body.setEnabled(True)
        self._shown_once = True
        self._show_standings(rows)
        if chart is None:
            self.chart.show_rows(rows)
        else:
            self.chart.show_drawn(rows, *chart)
        self.summary.setText("\n".join(summary_lines))
        self._show_rubric(rubric)

    def _show_standings(self, rows: list[dict]) -> None:
        self.standings.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = [
                _cell(str(index + 1), numeric=True),
                _cell(row["model"]),
                _cell(_number(row.get("rating"), 0), numeric=True),
                _cell(_interval(row.get("ci_low"), row.get("ci_high")), numeric=True),
            ]
            cells += [_cell(str(row.get(key, DASH)), numeric=True) for key in _COUNT_KEYS]
            for column, cell in enumerate(cells):
                self.standings.setItem(index, column, cell)

    def _show_rubric(self, rubric: dict[str, dict[str, float]]) -> None:
        categories = sorted({category for means in rubric.values() for category in means})
        self.rubric.clear()
        self.rubric.setRowCount(len(rubric))
        self.rubric.setColumnCount(1 + len(categories))
        self.rubric.setHorizontalHeaderLabels(["Model", *(category or _NO_CATEGORY for category in categories)])
        for column in range(self.rubric.columnCount()):
            self.rubric.horizontalHeaderItem(column).setTextAlignment(_RIGHT if column else _LEFT)
        for index, (model, means) in enumerate(rubric.items()):
            self.rubric.setItem(index, 0, _cell(model))
            for column, category in enumerate(categories, start=1):
                self.rubric.setItem(index, column, _cell(_number(means.get(category), 2), numeric=True))
