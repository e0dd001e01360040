"""Samples memory on its own thread, so reading /proc never stalls the GUI or a model."""

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from gui.core.memory import resident_bytes_by_path, system_memory

SAMPLE_INTERVAL_MS = 1000


class _Sampler(QObject):
    """Lives on the monitor's thread; reads memory figures when its timer fires."""

    sampled = Signal(object, object)  # {path: resident bytes}, SystemMemory

    def __init__(self):
        super().__init__()
        self.paths: list[str] = []
        self._timer: QTimer | None = None

    @Slot()
    def start(self) -> None:
        self._timer = QTimer(self)
        self._timer.setInterval(SAMPLE_INTERVAL_MS)
        self._timer.timeout.connect(self.sample)
        self._timer.start()
        self.sample()

    @Slot()
    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    @Slot(object)
    def set_paths(self, paths: list[str]) -> None:
        self.paths = list(paths)
        self.sample()

    @Slot()
    def sample(self) -> None:
        self.sampled.emit(resident_bytes_by_path(self.paths), system_memory())


class MemoryMonitor(QObject):
    """Emits `sampled(resident bytes by GGUF path, SystemMemory)` about once a second."""

    sampled = Signal(object, object)
    _pathsChanged = Signal(object)
    _startRequested = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("memory-monitor")
        self._sampler = _Sampler()
        self._sampler.moveToThread(self._thread)
        self._thread.finished.connect(self._sampler.deleteLater)
        self._sampler.sampled.connect(self.sampled)
        self._pathsChanged.connect(self._sampler.set_paths)
        self._startRequested.connect(self._sampler.start)
        self._thread.start()
        self._startRequested.emit()

    def watch(self, paths: list[str]) -> None:
        """Report the resident bytes of these mapped files from now on."""
        self._pathsChanged.emit(paths)

    def shutdown(self) -> None:
        if self._thread.isRunning():
            QMetaObject.invokeMethod(self._sampler, "stop", Qt.ConnectionType.BlockingQueuedConnection)
            self._thread.quit()
            self._thread.wait()
