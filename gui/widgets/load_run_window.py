"""The Load run window: N requests at once to a served side, for each N; aggregate tok/s, TTFT and errors per N."""

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.units import DASH

DEFAULT_SUITE = "logic"
COLUMNS = ("N", "tok/s (all)", "TTFT P50", "TTFT P95", "errors")


class LoadRunWindow(QWidget):
    """Asks for a Load run and shows its table as each level ends; it sends nothing itself.

    Signals:
        startRequested(str, str, str, int, float): the side's source, levels ("1,2,4"), suite name,
            max tokens, TTFT bound in seconds.
        cancelRequested(): stop the run now; the levels already measured stay in the table.
    """

    startRequested = Signal(str, str, str, int, float)
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Load run")
        self.resize(620, 420)
        self.target = QComboBox()
        self.target.setAccessibleName("Served model")
        self.levels = QLineEdit("1,2,4,8")
        self.levels.setAccessibleName("Requests at once")
        self.levels.setToolTip("Each level sends this many requests at once, one level after the other")
        self.suites = QComboBox()
        self.suites.setAccessibleName("Suite")
        self.max_tokens = QSpinBox(minimum=1, maximum=4096, value=128)
        self.max_tokens.setAccessibleName("Max tokens per answer")
        self.ttft_bound = QDoubleSpinBox(minimum=0.05, maximum=120.0, value=2.0, decimals=2, suffix=" s")
        self.ttft_bound.setAccessibleName("TTFT bound")
        form = QFormLayout()
        form.addRow("Served model", self.target)
        form.addRow("Requests at once", self.levels)
        form.addRow("Prompts from suite", self.suites)
        form.addRow("Max tokens", self.max_tokens)
        form.addRow("TTFT P95 bound", self.ttft_bound)

        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self._on_start)
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel(wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def set_targets(self, targets: list[tuple[str, str]]) -> None:
        """The served sides to choose from, as (label, source); Start is off where there is none."""
        self.target.clear()
        for label, source in targets:
            self.target.addItem(label, source)
        self.start_button.setEnabled(bool(targets))
        if not targets:
            self.status.setText("No side holds a served model: pick one with Server… in a pane first.")

    def set_suites(self, names: list[str]) -> None:
        """The suites whose prompts a run may send; the logic suite first chosen, as in `python -m gui load`."""
        self.suites.clear()
        self.suites.addItems(names)
        if DEFAULT_SUITE in names:
            self.suites.setCurrentText(DEFAULT_SUITE)

    def set_running(self, running: bool) -> None:
        """While a run goes on, only Cancel is offered."""
        for widget in (self.start_button, self.target, self.levels, self.suites, self.max_tokens, self.ttft_bound):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    @Slot(int, object, object, object, int)
    def add_level(self, n: int, tps: float | None, p50: float | None, p95: float | None, errors: int) -> None:
        """One measured level as a row of the table."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        cells = (str(n), f"{tps:.1f}" if tps else DASH, f"{p50:.3f} s" if p50 is not None else DASH,
                 f"{p95:.3f} s" if p95 is not None else DASH, str(errors))
        for column, text in enumerate(cells):
            self.table.setItem(row, column, QTableWidgetItem(text))

    def clear_levels(self) -> None:
        self.table.setRowCount(0)

    @Slot(str)
    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def _on_start(self) -> None:
        self.startRequested.emit(self.target.currentData() or "", self.levels.text(), self.suites.currentText(),
                                 self.max_tokens.value(), self.ttft_bound.value())
