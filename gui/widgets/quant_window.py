"""Results › Compare quantizations: the text and context to score, progress, and the verdict, scoreboard, ribbon, chart."""

import html
import math
import os

from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui.core.quant import MIN_CTX, Ribbon
from gui.core.quant_record import ScoreRow, Verdict, arena_text
from gui.widgets.units import DASH

SAMPLE, FILE, SUITE = "sample", "file", "suite"
SCORE_COLUMNS = ("Quantization", "File", "Size [MiB]", "BPW", "PPL", "ΔPPL", "KLD", "KLD p99", "Same top", "vs",
                 "Text")
WORST_COLUMNS = ("KLD", "Before", "Token", "Base's top 5", "Other's top 5")
# KL divergence coloured from 0.001 nats (no colour) to 1 nat (full red), on a log scale: most tokens sit
# near 0.01, and the few that matter stand out above 0.1.
_LOW, _HIGH = -3.0, 0.0


def _cell(text: str, numeric: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if numeric:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(name: str, columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def heat(kld: float) -> float:
    """0 to 1: how strongly a token of this KL divergence is coloured."""
    if kld <= 0:
        return 0.0
    return min(1.0, max(0.0, (math.log10(kld) - _LOW) / (_HIGH - _LOW)))


def ribbon_html(ribbon: Ribbon) -> str:
    """The scored tokens as HTML spans, each on a red as strong as its KL divergence; chunks apart by a gap."""
    starts = set(ribbon.chunk_starts[1:])
    parts = []
    for index, (piece, kld) in enumerate(zip(ribbon.pieces, ribbon.kld)):
        if index in starts:
            parts.append('<span style="color:gray"> ⋯ </span>')
        alpha = heat(float(kld))
        text = html.escape(piece).replace("\n", "↵<br>")
        parts.append(f'<span style="background-color:rgba(220,40,40,{alpha:.2f})">{text}</span>' if alpha else text)
    return "".join(parts)


def verdict_html(verdict: Verdict) -> str:
    """The verdict card: what is saved, what is lost, and how fast each answers in the arena."""
    rows = [
        ("Size saved", f"{verdict.saved_percent:.1f}% ({verdict.saved_mib:,.1f} MiB)"),
        ("Bits per weight", f"{verdict.bpw_base:.2f} ({verdict.base}) → {verdict.bpw_other:.2f} ({verdict.other})"),
        ("PPL ratio", f"{verdict.ppl_ratio:.4f} ± {verdict.ppl_ratio_error:.4f} "
                      f"({(verdict.ppl_ratio - 1) * 100:+.2f}% perplexity)"),
        ("KL divergence", f"mean {verdict.kld:.4f}, 99th percentile {verdict.kld_p99:.4f} nats"),
        ("Same top token", f"{verdict.same_top_percent:.2f}% of {verdict.tokens:,} tokens"),
        (f"In the arena ({verdict.base})", arena_text(verdict.arena_base)),
        (f"In the arena ({verdict.other})", arena_text(verdict.arena_other)),
    ]
    title = f"{verdict.other} against {verdict.base}" + ("" if verdict.complete else " (stopped early)")
    body = "".join(f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(value)}</td></tr>" for name, value in rows)
    return f"<h3>{html.escape(title)}</h3><table cellspacing=6>{body}</table>"


class ImageView(QWidget):
    """Paints an image drawn elsewhere (a chart drawn with Agg on a worker thread)."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setMinimumSize(260, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image = QImage()

    def size_to_draw(self) -> tuple[QSize, float]:
        return self.size(), self.devicePixelRatioF()

    def show_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.image.isNull():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(self.rect()), self.image)
        painter.end()


class QuantWindow(QWidget):
    """Scores a text on two quantizations of one model; shows the verdict, the scoreboard, the token ribbon, the chart.

    Signals:
        startRequested(str, str, int, int): score (source: SAMPLE, FILE or SUITE; the file's path or the
            suite's name; n_ctx; chunks, 0 for all).
        cancelRequested(): stop after the chunk under way; the figures so far are kept.
    """

    startRequested = Signal(str, str, int, int)
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Compare quantizations — GGUF Arena")
        self.resize(980, 760)

        self.pair = QLabel()
        self.pair.setAccessibleName("The two quantizations")
        self.pair.setWordWrap(True)
        self.memory_note = QLabel()
        self.memory_note.setAccessibleName("Memory needed")
        self.memory_note.setWordWrap(True)

        self.source = QComboBox()
        self.source.setAccessibleName("Text to score")
        self.source.addItem("The shipped sample (harbour-town.txt)", SAMPLE)
        self.source.addItem("A text file…", FILE)
        self.path = QLineEdit()
        self.path.setAccessibleName("Text file")
        self.path.setPlaceholderText("A UTF-8 text of a few thousand words")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName("Choose a text file")
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse_button)
        self.n_ctx = QSpinBox()
        self.n_ctx.setAccessibleName("Context")
        self.n_ctx.setRange(MIN_CTX, 131072)
        self.n_ctx.setValue(512)
        self.n_ctx.setToolTip("Tokens per chunk; the second half of each is scored (512 as llama.cpp's perplexity tool)")
        self.chunks = QSpinBox()
        self.chunks.setAccessibleName("Chunks")
        self.chunks.setRange(0, 100000)
        self.chunks.setSpecialValueText("all")
        form = QFormLayout()
        form.addRow("Text", self.source)
        form.addRow("File", file_row)
        form.addRow("Context", self.n_ctx)
        form.addRow("Chunks", self.chunks)

        self.start_button = QPushButton("Start")
        self.start_button.setAccessibleName("Start the comparison")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the comparison")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Chunks scored")
        self.progress.setFormat("%v of %m chunks")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        controls = QHBoxLayout()
        controls.addWidget(self.start_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.progress, 1)
        self.status = QLabel()
        self.status.setAccessibleName("Comparison status")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setAccessibleName("Problem")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828")
        self.error.hide()

        self.verdict = QLabel("No comparison yet: choose a text and press Start.")
        self.verdict.setAccessibleName("Verdict")
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scoreboard = _table("Scoreboard", SCORE_COLUMNS)
        self.ribbon = QTextBrowser()
        self.ribbon.setAccessibleName("Token ribbon")
        self.worst = _table("Worst tokens", WORST_COLUMNS)
        ribbon_page = QSplitter(Qt.Orientation.Vertical)
        ribbon_page.addWidget(self.ribbon)
        ribbon_page.addWidget(self.worst)
        self.pareto = ImageView("Pareto chart")
        self.tabs = QTabWidget()
        for page, title in ((self.verdict, "Verdict"), (self.scoreboard, "Scoreboard"), (ribbon_page, "Token ribbon"),
                            (self.pareto, "Pareto chart")):
            self.tabs.addTab(page, title)

        layout = QVBoxLayout(self)
        layout.addWidget(self.pair)
        layout.addWidget(self.memory_note)
        layout.addLayout(form)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.tabs, 1)

        self.source.currentIndexChanged.connect(self._on_source_changed)
        self.browse_button.clicked.connect(self.browse)
        self.start_button.clicked.connect(self._on_start)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._on_source_changed()

    def set_pair(self, description: str, memory_note: str, trained_ctx: int) -> None:
        """Name the two files and say what a run costs in memory; the context goes no further than trained."""
        self.pair.setText(description)
        self.memory_note.setText(memory_note)
        self.n_ctx.setMaximum(max(MIN_CTX, trained_ctx))

    def set_suites(self, names: list[str]) -> None:
        """Offer each suite's prompts and references, joined, as a text."""
        while self.source.count() > 2:
            self.source.removeItem(2)
        for name in names:
            self.source.addItem(f"Suite: {name} (prompts and references)", f"{SUITE}:{name}")

    def choose(self, source: str, path: str = "") -> None:
        """Pick the text: SAMPLE, FILE with its path, or SUITE with its name."""
        self.source.setCurrentIndex(max(0, self.source.findData(f"{SUITE}:{path}" if source == SUITE else source)))
        if source == FILE:
            self.path.setText(path)

    @Slot()
    def browse(self) -> None:
        """Ask for a text file to score."""
        path, _ = QFileDialog.getOpenFileName(self, "Text to score", os.path.dirname(self.path.text()),
                                              "Text (*.txt *.md);;Any file (*)")
        if path:
            self.choose(FILE, path)

    @Slot()
    def _on_source_changed(self) -> None:
        is_file = self.source.currentData() == FILE
        self.path.setEnabled(is_file)
        self.browse_button.setEnabled(is_file)

    @Slot()
    def _on_start(self) -> None:
        source, _, name = self.source.currentData().partition(":")  # a suite's item is "suite:<name>"
        path = self.path.text().strip() if source == FILE else name
        if source == FILE and not path:
            self.show_error("No text file is chosen: press Browse… to pick a UTF-8 text, or score the shipped sample.")
            return
        self.error.hide()
        self.startRequested.emit(source, path, self.n_ctx.value(), self.chunks.value())

    def show_running(self, text: str) -> None:
        """A run has started (reading the text, loading, scoring): Cancel is live, Start waits."""
        self.error.hide()
        self.status.setText(text)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the first chunk says how many there are

    def show_progress(self, done: int, planned: int) -> None:
        self.progress.setRange(0, planned)
        self.progress.setValue(done)
        self.status.setText(f"Scored {done} of {planned} chunks.")

    def show_idle(self, text: str) -> None:
        """The run has ended (or never started): Start is live again; `text` says how it ended."""
        self.status.setText(text)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)

    def show_error(self, message: str) -> None:
        """Say what is wrong and what to do; whatever the window showed before stays."""
        self.error.setText(message)
        self.error.show()
        self.show_idle(self.status.text())

    def show_result(self, verdict: Verdict, ribbon: Ribbon | None) -> None:
        """The verdict card, the ribbon and the worst tokens of the run just ended."""
        self.verdict.setText(verdict_html(verdict))
        if ribbon is not None:
            self._show_ribbon(ribbon)

    def _show_ribbon(self, ribbon: Ribbon) -> None:
        self.ribbon.setHtml(ribbon_html(ribbon))
        self.worst.setRowCount(len(ribbon.worst))
        for row, token in enumerate(ribbon.worst):
            cells = (f"{token.kld:.4f}", repr(token.context), repr(token.text), _guesses(token.base_top),
                     _guesses(token.other_top))
            for column, text in enumerate(cells):
                self.worst.setItem(row, column, _cell(text, numeric=column == 0))

    def show_scoreboard(self, rows: list[ScoreRow], pareto: QImage) -> None:
        """Every quantization of this model compared so far, and the chart drawn of them."""
        self.scoreboard.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = (row.quantization, row.file, f"{row.size_mib:,.2f}", f"{row.bits_per_weight:.2f}",
                     f"{row.ppl:.4f} ± {row.ppl_error:.4f}", f"{row.delta_ppl_percent:+.2f}%",
                     f"{row.kld:.5f} ± {row.kld_error:.5f}", f"{row.kld_p99:.4f}", f"{row.same_top_percent:.2f}%",
                     row.base, row.run)
            for column, text in enumerate(cells):
                self.scoreboard.setItem(r, column, _cell(text, numeric=2 <= column <= 8))
        self.pareto.show_image(pareto)


def _guesses(top: tuple[tuple[str, float], ...]) -> str:
    return "  ".join(f"{text!r} {100 * p:.0f}%" for text, p in top) or DASH
