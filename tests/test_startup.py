"""The window's start, in a fresh process: painted before the slow imports, and the results' libraries left for later."""

from processes import child_report

SLOW = ("asyncio", "qasync", "numpy", "gguf", "llama_cpp", "matplotlib", "scipy", "statsmodels", "pygments")

# The app's own main() with no models to load, its window closed as soon as it is painted: which slow
# modules are imported at the first paint, and once the rest is built (at quit); whether it quit by itself.
_CHILD = f"""
import json, os, sys, tempfile
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
SLOW = {SLOW!r}
app = QApplication(["child"])
seen = {{"forced": False}}

def force_quit():
    seen["forced"] = True
    app.quit()

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow) and "painted" not in seen:
            seen["painted"] = [name for name in SLOW if name in sys.modules]
            QTimer.singleShot(0, app.closeAllWindows)  # as a user closing the window at once
        return False

watch = Watch()
app.installEventFilter(watch)
app.aboutToQuit.connect(lambda: seen.setdefault("built", [name for name in SLOW if name in sys.modules]))
QTimer.singleShot(20000, force_quit)
with tempfile.TemporaryDirectory() as models, tempfile.TemporaryDirectory() as data:
    os.environ["GGUF_ARENA_MODELS"] = models
    from gui.cli import main
    code = main(["--data-dir", data])
print(json.dumps(seen), flush=True)
sys.exit(code)
"""


def test_the_window_paints_before_the_slow_imports_and_closing_it_at_once_quits():
    seen = child_report(_CHILD)
    assert not seen["forced"], "the app kept running after its window was closed"
    assert seen["painted"] == []
    # The arena needs asyncio, numpy and gguf; llama.cpp waits for a model, the rest for the windows that draw
    # (a blind window hides the live chart, so matplotlib is not imported for it either).
    assert set(seen["built"]) == {"asyncio", "qasync", "numpy", "gguf"}
