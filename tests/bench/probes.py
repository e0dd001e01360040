"""The benchmark's instruments: token timestamps, a bare llama.cpp loop, a GUI stall probe, start-up children."""

import time

from PySide6.QtCore import QObject, Qt, QTimer, Slot

from gui.core.engine import LlamaEngine

STALL_INTERVAL_MS = 5


def decode_tps(times: list[float]) -> float | None:
    """(tokens - 1) / (last token time - first token time), as DESIGN.md defines decode tok/s."""
    if len(times) < 2 or times[-1] == times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])


def overlap_tps(a: list[float], b: list[float]) -> tuple[float | None, float | None]:
    """Each side's decode tok/s over the window where both were producing tokens."""
    start, end = max(a[0], b[0]), min(a[-1], b[-1])
    return tuple(decode_tps([t for t in times if start <= t <= end]) for times in (a, b))


class TimedEngine(LlamaEngine):
    """The app's engine, also keeping the prompt tokens and each yielded token's time (one generator hop per token)."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []
        self.prompt: list[int] = []

    def _prompt_tokens(self, messages):
        tokens, stops = super()._prompt_tokens(messages)
        self.prompt = list(tokens)
        return tokens, stops

    def generate(self, *args, **kwargs):
        self.times = times = []
        stream = super().generate(*args, **kwargs)
        while True:
            try:
                text = next(stream)
            except StopIteration as end:
                return end.value
            times.append(time.perf_counter())
            yield text


def bare_decode(llm, prompt: list[int], max_tokens: int) -> dict:
    """A plain greedy `Llama.generate` loop over `prompt` to end of text: its tok/s, tokens, and counters' tok/s."""
    import llama_cpp

    llm.reset()
    llama_cpp.llama_perf_context_reset(llm.ctx)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    times = []
    for token in llm.generate(prompt, temp=0.0, top_k=1, repeat_penalty=1.0):
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        times.append(time.perf_counter())
        if len(times) >= max_tokens:
            break
    counters = llama_cpp.llama_perf_context(llm.ctx)
    counter_tps = counters.n_eval / (counters.t_eval_ms / 1000)
    return {"tps": decode_tps(times), "tokens": len(times), "counter_tps": counter_tps}


class StallProbe(QObject):
    """A 5 ms timer on the GUI thread; records how late each tick came (interval - 5 ms), in ms."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.late_ms: list[float] = []
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(STALL_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self._last = None
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def take(self) -> list[float]:
        """The lateness recorded so far; starts a new record."""
        late, self.late_ms, self._last = self.late_ms, [], None
        return late

    @Slot()
    def _on_tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.late_ms.append((now - self._last) * 1000 - STALL_INTERVAL_MS)
        self._last = now


# `python -c` children: the clock starts before the first import and stops when the main window's first
# paint begins; the RSS is read once that paint is done. The app child runs the app's own start-up
# (`gui.cli.main`) with an empty models folder, so that no model loads.
_CHILD_HEAD = """
import time; T0 = time.perf_counter()
import json
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(["child"])
class FirstPaint(QObject):
    shown_s = None
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow) and self.shown_s is None:
            self.shown_s = time.perf_counter() - T0
            QTimer.singleShot(0, report)  # after the paint has finished
        return False
def report():
    import psutil
    print(json.dumps({"shown_s": first_paint.shown_s, "rss_mb": psutil.Process().memory_info().rss / 2**20}), flush=True)
    app.closeAllWindows()  # as a user closing the window: the app quits when its last window closes
first_paint = FirstPaint()
app.installEventFilter(first_paint)
QTimer.singleShot(20000, app.quit)
"""
APP_WINDOW = """
import os, tempfile
with tempfile.TemporaryDirectory() as models, tempfile.TemporaryDirectory() as data:
    os.environ["GGUF_ARENA_MODELS"] = models
    from gui.cli import main
    main(["--data-dir", data])
"""
BARE_WINDOW = """
window = QMainWindow()
window.resize(1280, 820)
window.show()
app.exec()
"""


def child_code(window_code: str) -> str:
    """The source of a start-up child that builds a window with `window_code` and reports on stdout."""
    return _CHILD_HEAD + window_code
