"""The batch window: pick a suite, start, watch progress and ETA, pause, cancel, or resume an unfinished batch."""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


class BatchWindow(QWidget):
    """Asks for batches and shows how one goes; it runs nothing itself.

    Signals:
        startRequested(str, int, int): suite name, runs of each prompt, control rounds.
        protocolRequested(int, int): run the protocol (the logic suite, a rubric required when rating):
            runs of each prompt, control rounds.
        resumeRequested(str): resume the unfinished batch with this id.
        pauseToggled(bool): pause (True) or go on (False) after the round in hand.
        cancelRequested(): stop now; finished rounds stay and the batch can be resumed.
        importRequested(): import a suite file.
        rateRequested(): open the rating queue.
    """

    startRequested = Signal(str, int, int)
    protocolRequested = Signal(int, int)
    resumeRequested = Signal(str)
    pauseToggled = Signal(bool)
    cancelRequested = Signal()
    importRequested = Signal()
    rateRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Run batch")
        self.resize(620, 480)
        self.suites = QComboBox()
        self.suites.setAccessibleName("Suite")
        self.import_button = _button("Import suite…", "Import a suite file")
        self.import_button.clicked.connect(self.importRequested)
        suite_row = QHBoxLayout()
        suite_row.addWidget(self.suites, 1)
        suite_row.addWidget(self.import_button)
        self.repeats = QSpinBox()
        self.repeats.setRange(1, 50)
        self.repeats.setAccessibleName("Runs of each prompt")
        self.controls = QSpinBox()
        self.controls.setRange(0, 100)
        self.controls.setAccessibleName("Control rounds")
        self.controls.setToolTip("Rounds with one model on both sides, mixed in unannounced to check the raters")
        form = QFormLayout()
        form.addRow("Suite", suite_row)
        form.addRow("Runs of each prompt", self.repeats)
        form.addRow("Control rounds", self.controls)

        self.start_button = _button("Start", "Start the batch")
        self.start_button.clicked.connect(self._on_start)
        self.protocol_button = _button("Run protocol", "Run the rating protocol")
        self.protocol_button.setToolTip(
            "The logic suite through both models, each answer alone (isolated timing); then rate it blind, "
            "a 0–3 rubric score per answer required, the reference and rubric note shown as a guide."
        )
        self.protocol_button.clicked.connect(
            lambda: self.protocolRequested.emit(self.repeats.value(), self.controls.value())
        )
        self.pause_button = _button("Pause", "Pause the batch")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.cancel_button = _button("Cancel", "Cancel the batch")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.rate_button = _button("Rate rounds…", "Rate the finished rounds")
        self.rate_button.clicked.connect(self.rateRequested)
        controls = QHBoxLayout()
        for button in (self.start_button, self.protocol_button, self.pause_button, self.cancel_button):
            controls.addWidget(button)
        controls.addStretch(1)
        controls.addWidget(self.rate_button)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Batch progress")
        self.progress.setFormat("%v of %m rounds")
        self.eta = QLabel()
        self.eta.setAccessibleName("Time left")
        self.message = QLabel()
        self.message.setAccessibleName("Batch message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.unfinished = QListWidget()
        self.unfinished.setAccessibleName("Unfinished batches")
        self.resume_button = _button("Resume selected", "Resume the selected batch")
        self.resume_button.clicked.connect(self._on_resume)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(controls)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addWidget(self.message)
        layout.addWidget(QLabel("Unfinished batches"))
        layout.addWidget(self.unfinished, 1)
        layout.addWidget(self.resume_button)
        self._running = False
        self.set_running(False)

    def set_suites(self, suites: list[tuple[str, str]], errors: list[str]) -> None:
        """(name, description) of each suite; the messages of suite files that could not be read."""
        current = self.suites.currentData()
        self.suites.clear()
        for name, description in suites:
            self.suites.addItem(description, name)
        index = self.suites.findData(current)
        self.suites.setCurrentIndex(max(index, 0))
        if errors:
            self.show_message("\n".join(errors))

    def set_unfinished(self, batches: list[tuple[str, str]]) -> None:
        """(id, description) of each batch that can be resumed."""
        self.unfinished.clear()
        for batch_id, description in batches:
            item = QListWidgetItem(description)
            item.setData(Qt.ItemDataRole.UserRole, batch_id)
            self.unfinished.addItem(item)
        if batches:
            self.unfinished.setCurrentRow(0)
        self.resume_button.setEnabled(bool(batches) and not self._running)

    def set_running(self, running: bool) -> None:
        """While a batch runs, Pause and Cancel are live; otherwise Start and Resume."""
        self._running = running
        for widget in (self.start_button, self.protocol_button, self.suites, self.repeats, self.controls, self.import_button,
                       self.unfinished):
            widget.setEnabled(not running)
        self.resume_button.setEnabled(not running and self.unfinished.count() > 0)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.eta.clear()  # a stopped batch has no time left to tell
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    @Slot(int, int, str)
    def show_progress(self, done: int, total: int, eta: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.eta.setText(f"Time left: {eta}")

    @Slot(str)
    def show_message(self, text: str) -> None:
        self.message.setText(text)

    @Slot()
    def _on_start(self) -> None:
        if self.suites.currentData():
            self.startRequested.emit(self.suites.currentData(), self.repeats.value(), self.controls.value())

    @Slot()
    def _on_resume(self) -> None:
        item = self.unfinished.currentItem()
        if item is not None:
            self.resumeRequested.emit(item.data(Qt.ItemDataRole.UserRole))

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Go on" if paused else "Pause")
        self.pauseToggled.emit(paused)
