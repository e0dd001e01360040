"""A small live chart of both sides' decode tokens/s over the round, drawn on a thread of its own."""

import logging
import queue
import threading
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.widgets.theme import chart_rc

# Rates arrive about once a second per side: a faster redraw only costs the render thread.
_REDRAW_MS = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """What one render draws: copies of both sides' points, the size in device pixels, and the colours."""

    points: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]  # Left, Right: (seconds, tok/s)
    width: int
    height: int
    dpr: float
    rc: dict[str, str]  # theme.chart_rc of the chart's palette


class ChartRenderer(QObject):
    """Owns a chart's matplotlib figure on a thread of its own: draws each snapshot it is given and emits the image.

    The thread imports matplotlib (slow, and never on the GUI thread) and ends after stop(), which the
    chart calls when it is deleted, as the app does when it quits. The renderer belongs to the app, not
    to the chart, so that it outlives the chart until its thread has ended; it then deletes itself.

    Signals:
        rendered(QImage, bool): the image of the snapshot asked for, and whether it took a full draw (False:
            only the lines were drawn); a null image when drawing failed (logged).
    """

    rendered = Signal(QImage, bool)

    def __init__(self):
        app = QCoreApplication.instance()
        super().__init__(app)
        self.figure = None  # the thread's RateFigure once matplotlib is imported: for reading while nothing is asked
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        app.aboutToQuit.connect(self.stop)
        self.thread = threading.Thread(target=self._serve, name="rate chart", daemon=True)
        self.thread.start()

    def request(self, snapshot: Snapshot) -> None:
        """Draw `snapshot` next; `rendered` follows."""
        self._requests.put(snapshot)

    @Slot()
    def stop(self) -> None:
        """End the thread once the snapshot it is drawing (if any) is done."""
        self._requests.put(None)

    def _serve(self) -> None:
        try:
            from gui.widgets.rate_figure import RateFigure

            self.figure = RateFigure()
            while (snapshot := self._requests.get()) is not None:
                try:
                    image, full = self.figure.render(snapshot)
                except Exception:
                    log.exception("The live rate chart could not draw its points; it keeps its last picture")
                    image, full = QImage(), False
                # Queued to the chart on the GUI thread; Qt drops it if the chart has been deleted since.
                self.rendered.emit(image, full)
        finally:
            self.deleteLater()  # on the GUI thread, where the renderer lives


class RateChart(QWidget):
    """Decode tok/s against seconds into the round, one line per side.

    Drawing the figure (and importing matplotlib) stalled the window for up to 100 ms, so a ChartRenderer
    draws it on its own thread from the first show (not while held: see set_held) and the chart only paints
    the latest image. One
    snapshot is drawn at a time; while one is drawn, only the newest waiting one is kept. A chart never
    shown (blind mode) never imports matplotlib.

    Signals:
        rendered(bool): a new image is shown; True when it took a full draw (the scale, size or colours
            changed), False when only the lines were drawn over the saved background.
    """

    rendered = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Decode speed chart")
        # paintEvent covers every pixel: Qt need not clear the background first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.points: tuple[tuple[list[float], list[float]], ...] = (([], []), ([], []))  # Left, Right
        self.renderer: ChartRenderer | None = None  # from the first show while not held
        self._held = False
        self.image = QImage()  # the latest rendered picture
        self.last_snapshot: Snapshot | None = None  # what `image` shows
        self._drawing: Snapshot | None = None
        self._waiting: Snapshot | None = None
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(_REDRAW_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    def sizeHint(self) -> QSize:
        return QSize(400, 160)

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

    def is_current(self) -> bool:
        """Whether the image shows the points, size and colours as they are now (nothing left to draw)."""
        return not self._dirty and self._drawing is None and self.last_snapshot == self._snapshot()

    def set_held(self, held: bool) -> None:
        """Hold off (True) starting the renderer, whose import of matplotlib holds Python's lock for whole
        stretches: the arena holds it while a model loads, so the window stays smooth while progress shows."""
        self._held = held
        if not held and self.isVisible():
            self._start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._held:
            self._start()

    def _start(self) -> None:
        """Start the renderer if it is not running yet, and draw."""
        if self.renderer is None:
            self.renderer = ChartRenderer()
            self.renderer.rendered.connect(self._on_rendered)
            self.destroyed.connect(self.renderer.stop)
        self._render()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._render()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._render()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        if self.image.isNull():
            painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Window))
        else:
            # Scaled while a resize waits for its render: a moment of blur, never a stall.
            painter.drawImage(QRectF(self.rect()), self.image)

    @Slot()
    def _on_tick(self) -> None:
        if self._dirty:
            self._render()

    def _snapshot(self) -> Snapshot:
        dpr = self.devicePixelRatioF()
        return Snapshot(
            points=tuple((tuple(times), tuple(rates)) for times, rates in self.points),
            width=round(self.width() * dpr),
            height=round(self.height() * dpr),
            dpr=dpr,
            rc=chart_rc(self.palette()),
        )

    def _render(self) -> None:
        """Send the chart as it is now to the renderer, or keep it as the one waiting if a render is under way."""
        if self.renderer is None or not self.isVisible() or self.width() <= 0 or self.height() <= 0:
            return  # shown again later: showEvent renders what changed meanwhile
        self._dirty = False
        snapshot = self._snapshot()
        if self._drawing is not None:
            self._waiting = snapshot
        elif snapshot != self.last_snapshot:
            self._drawing = snapshot
            self.renderer.request(snapshot)

    @Slot(QImage, bool)
    def _on_rendered(self, image: QImage, full: bool) -> None:
        drawn, self._drawing = self._drawing, None
        if not image.isNull():
            self.image = image
            self.last_snapshot = drawn
            self.update()
            self.rendered.emit(full)
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting != self.last_snapshot:
            self._drawing = waiting
            self.renderer.request(waiting)
