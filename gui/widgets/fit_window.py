"""The fit planner: which contexts of a file or preset fit 8 to 80 GiB of RAM or VRAM, as a coloured table."""

import os

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.core.fit import (
    BUDGETS_GIB,
    FITS,
    KV_BYTES,
    LEGEND,
    NO,
    PRESETS,
    QUANT_BITS,
    TIGHT,
    ModelSpec,
    Plan,
    gib_text,
    plan,
    preset_spec,
)
from gui.widgets.units import DASH

# Translucent, so the text keeps the theme's colour and reads on a light or a dark palette alike.
VERDICT_COLOURS = {FITS: QColor(46, 160, 67, 90), TIGHT: QColor(210, 153, 34, 120), NO: QColor(218, 54, 51, 90)}
COLUMNS = ("Context", "RAM", "VRAM", *(f"{gib} GiB" for gib in BUDGETS_GIB))
FIRST_BUDGET = 3


class FitWindow(QWidget):
    """A window of its own: pick a preset or a GGUF file, a KV cache type and GPU layers; see what fits.

    Signals:
        fileChosen(str): a GGUF file to plan; the controller reads its header off the GUI thread and
            answers with show_spec() or show_error().
    """

    fileChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Fit planner — GGUF Arena")
        self.resize(760, 420)
        self.spec: ModelSpec | None = None
        self.result: Plan | None = None
        self._last_dir = ""

        self.preset = QComboBox()
        self.preset.setAccessibleName("Preset")
        self.preset.addItems(list(PRESETS))
        self.quant = QComboBox()
        self.quant.setAccessibleName("Quantization")
        self.quant.addItems(list(QUANT_BITS))
        self.file_button = QPushButton("GGUF file…")
        self.file_button.setToolTip("Plan a GGUF file; its header alone (no weights) will do")
        source = QHBoxLayout()
        for widget in (self.preset, self.quant, self.file_button):
            source.addWidget(widget)
        source.addStretch(1)
        self.kv = QComboBox()
        self.kv.setAccessibleName("KV cache type")
        self.kv.addItems(list(KV_BYTES))
        self.kv.setToolTip("q8_0 halves the KV cache; llama.cpp needs flash attention for it")
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setAccessibleName("GPU layers")
        self.gpu_layers.setToolTip("Layers on the GPU; one more than the model has puts the output layer there too. "
                                   "With any, the budgets are the GPU's memory.")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Model", source)
        form.addRow("KV cache", self.kv)
        form.addRow("GPU layers", self.gpu_layers)

        self.title = QLabel()
        self.title.setObjectName("title")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.largest = QLabel()
        self.largest.setObjectName("largest")
        self.largest.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        legend = QLabel(LEGEND)
        legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for widget in (self.title, self.table, self.largest, self.error, legend):
            layout.addWidget(widget)

        self.preset.activated.connect(self._on_preset)
        self.quant.activated.connect(self._on_preset)
        self.file_button.clicked.connect(self.browse)
        self.kv.currentTextChanged.connect(self._replan)
        self.gpu_layers.valueChanged.connect(self._replan)
        self._on_preset()

    @Slot()
    def _on_preset(self) -> None:
        self.show_spec(preset_spec(self.preset.currentText(), self.quant.currentText()))

    @Slot()
    def browse(self) -> None:
        """Ask for a .gguf file; choosing one emits fileChosen."""
        path, _ = QFileDialog.getOpenFileName(self, "Plan a model", self._last_dir, "GGUF models (*.gguf)")
        if path:
            self.choose_file(path)

    def choose_file(self, path: str) -> None:
        """Plan `path` once the controller has read its header: say so meanwhile."""
        self._last_dir = os.path.dirname(path)
        self.error.hide()
        self.title.setText(f"Reading {os.path.basename(path)}…")
        self.fileChosen.emit(path)

    def show_spec(self, spec: ModelSpec) -> None:
        """Plan this model with the chosen KV type and GPU layers (kept within its layer count + 1)."""
        self.spec = spec
        self.error.hide()
        self.gpu_layers.blockSignals(True)  # one plan for the new model, not one for the clamped count too
        self.gpu_layers.setRange(0, spec.shape.block_count + 1)
        self.gpu_layers.blockSignals(False)
        self._replan()

    def show_error(self, text: str) -> None:
        """A file that could not be planned: why, and what to do; the last plan stays."""
        self.error.setText(text)
        self.error.show()
        if self.result is not None:
            self.title.setText(self.result.setup())

    @Slot()
    def _replan(self) -> None:
        if self.spec is None:
            return
        self.result = plan(self.spec, self.kv.currentText(), self.gpu_layers.value())
        self.title.setText(self.result.setup())
        self.table.setRowCount(len(self.result.rows))
        on_gpu = self.result.gpu_layers > 0
        for row, line in enumerate(self.result.rows):
            texts = [f"{line.n_ctx:,}", gib_text(line.need.cpu_bytes), gib_text(line.need.gpu_bytes) if on_gpu else DASH]
            for column, text in enumerate([*texts, *line.verdicts]):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if column >= FIRST_BUDGET:
                    item.setBackground(QBrush(VERDICT_COLOURS[text]))
                self.table.setItem(row, column, item)
        largest = ", ".join(f"{gib} GiB: {n:,}" if n else f"{gib} GiB: none"
                            for gib, n in zip(BUDGETS_GIB, self.result.largest))
        self.largest.setText(f"Largest context that fits — {largest}")
