"""Composition root: builds the store, the window and the arena on a qasync loop; owns start-up and shutdown."""

import argparse
import ctypes.util
import gc
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from gui.core import crash
from gui.core.default_models import default_model_paths
from gui.core.paths import LOG_FILE, RESOURCES_DIR, RESULTS_FILE, data_dir, models_dir
from gui.core.store import Store, StoreError
# The rest is imported where it is used: the window must not wait for asyncio, numpy, matplotlib or
# llama.cpp's bindings, and matplotlib must be imported only after keep_caches_in() has pointed it at the
# data directory.


_LOG_HANDLER = "gguf-arena-file"
_ECHO_HANDLER = "gguf-arena-echo"


def setup_logging(data: Path, echo: bool = False) -> logging.Handler:
    """The app's log (llama.cpp's lines included) goes to a rotating file in the data directory; returns its handler.

    With `echo`, warnings and errors are also printed on standard error (for the headless commands, as
    Python does while no log file is set up). A second call replaces the first's handlers.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() in (_LOG_HANDLER, _ECHO_HANDLER)]:
        root.removeHandler(old)
        old.close()
    handler = logging.handlers.RotatingFileHandler(data / LOG_FILE, maxBytes=2**20, backupCount=3, encoding="utf-8")
    handler.set_name(_LOG_HANDLER)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if echo:
        terminal = logging.StreamHandler()
        terminal.set_name(_ECHO_HANDLER)
        terminal.setLevel(logging.WARNING)
        root.addHandler(terminal)
    root.setLevel(logging.INFO)
    return handler


def keep_caches_in(data: Path) -> None:
    """Point matplotlib's config and font cache into the data directory, not ~/.config and ~/.cache.

    Only before matplotlib is imported (it reads MPLCONFIGDIR once); a folder the user set is kept.
    """
    if "matplotlib" not in sys.modules:
        os.environ.setdefault("MPLCONFIGDIR", str(data / "matplotlib"))


def has_display() -> bool:
    """Whether a window can be shown (an explicit QT_QPA_PLATFORM counts as yes)."""
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# The system libraries Qt's X11 plugin loads and PySide6's wheels do not ship (library: Debian package).
X11_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-randr": "libxcb-randr0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def missing_display_libraries() -> list[str]:
    """The packages of the libraries Qt's X11 plugin needs and cannot find (Qt would abort the process)."""
    uses_x11 = sys.platform.startswith("linux") and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    # A packaged app carries the libraries its build machine had, beside Qt's plugin.
    if not uses_x11 or os.environ.get("QT_QPA_PLATFORM") or getattr(sys, "frozen", False):
        return []
    return [package for library, package in X11_LIBRARIES.items() if not ctypes.util.find_library(library)]


def wait_for_first_paint(window: QWidget, timeout_ms: int = 1000) -> None:
    """Run Qt's own event loop until `window` has begun its first paint (or `timeout_ms` passes, if never exposed)."""
    painted = QEventLoop()

    class Watch(QObject):
        def eventFilter(self, _obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.quit()  # the paint goes on; the loop returns once it is done
            return False

    watch = Watch()
    window.installEventFilter(watch)
    QTimer.singleShot(timeout_ms, painted.quit)
    painted.exec()
    window.removeEventFilter(watch)


async def run_window(arena, window, left: str | None, right: str | None) -> None:
    """Load the pair into the window shown; returns when the app quits (its last window closed)."""
    import asyncio

    if not window.isVisible():
        return  # closed while the rest was being built: showing it again would keep the app running
    closed = asyncio.Event()
    QApplication.instance().aboutToQuit.connect(closed.set)
    await arena.load_pair(left, right)
    await closed.wait()


def open_log_on_request(window, data: Path):
    """The log window of the data directory's log file, shown when the main window asks for it; keep it alive."""
    from PySide6.QtCore import Qt

    from gui.widgets.log_window import LogWindow

    log_window = LogWindow(data / LOG_FILE)
    # Closing the main window ends the app even while the log is open.
    log_window.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
    window.logRequested.connect(log_window.open)
    return log_window


def default_pair(left: str | None, right: str | None) -> tuple[str | None, str | None]:
    """The paths asked for, else the default pair where it has been fetched."""
    defaults = [str(p) if p.exists() else None for p in default_model_paths(models_dir())]
    return left or defaults[0], right or defaults[1]


def make_app(platform: str | None = None, theme: str | None = None) -> QApplication:
    """One QApplication in the Fusion style with a light or dark palette (gui.widgets.theme)."""
    if platform:
        os.environ["QT_QPA_PLATFORM"] = platform
    # Qt's raster engine splits a tall fill (a scroll bar's groove) across a pool of threads and waits for
    # them: with the models on every core, the GUI thread waited on them, and a streaming pane's scroll
    # bar cost 0.6 ms a repaint instead of 0.1. Read once, when Qt first paints.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("GGUF Arena")
    app.setWindowIcon(QIcon(str(RESOURCES_DIR / "icons" / "gguf-arena.svg")))
    app.setDesktopFileName("gguf-arena")  # Wayland matches the window to packaging/gguf-arena.desktop by this
    from gui.widgets.theme import apply_theme

    apply_theme(app, theme)
    return app


def run_on_qasync(app: QCoreApplication):
    """Make asyncio's event loop a qasync loop over Qt's (coroutines and Qt's events share the thread); returns it.

    qasync's run_forever, unlike asyncio's, installs no async-generator hooks: a stream left early
    (a stopped answer) had its generators finalised by the garbage collector, off the loop, which
    raised inside httpx's connection. With the hooks, the loop closes them as asyncio's own does.
    """
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook, finalizer=loop._asyncgen_finalizer_hook)
    asyncio.set_event_loop(loop)
    return loop


def start_qt(platform: str | None = None, theme: str | None = None) -> QApplication:
    """make_app() on a qasync event loop."""
    app = make_app(platform, theme)
    run_on_qasync(app)
    return app


def run_app(args: argparse.Namespace, drive=None, *, blind: bool | None = None, welcome: bool = True) -> int:
    """Build the window and the arena, then run the window until it closes.

    `drive`, a coroutine function given the arena and the pair, runs the app offscreen instead and its result
    is the exit code (the headless commands: smoke, screenshots); `blind` then sets blind mode, and
    `welcome` False leaves the first-run welcome out.
    """
    data = data_dir(args.data_dir)
    setup_logging(data)
    keep_caches_in(data)
    try:
        store = Store(data / RESULTS_FILE)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    headless = drive is not None
    app = make_app("offscreen" if headless else None, getattr(args, "theme", None))
    from gui.widgets.main_window import MainWindow
    from gui.widgets.remembered import remembered_pair, restore_window, save_window, settings_in
    from gui.widgets.welcome import mark_welcomed, welcome_due

    window = MainWindow()
    # The live chart waits for the pair: the arena releases it once no model is loading (Arena.load_pair).
    window.chart.set_held(True)
    # Only the real window remembers: the self-check and the screenshots start from the defaults, every time.
    remembered = None if headless else settings_in(data)
    last = (None, None)
    if remembered is not None:
        # Before the first show, so the window opens as it was left.
        restore_window(remembered, window)
        last = remembered_pair(remembered)
    elif blind is not None:
        window.blind_action.setChecked(blind)
    if args.mode:
        window.settings.set_mode(args.mode)
    left, right = default_pair(args.left or last[0], args.right or last[1])
    # The screenshots show the welcome too, so it is read from the data directory even when nothing else is.
    welcomes = remembered if remembered is not None else settings_in(data)
    if welcome and welcome_due(welcomes):
        window.welcome.show_welcome([Path(path).name for path in (left, right) if path], models_dir())
        mark_welcomed(welcomes)
    if not headless:
        # Painted before the rest is built: its imports (asyncio, numpy, gguf, llama.cpp's bindings) take
        # longer than the window.
        window.show()
        wait_for_first_paint(window)
    # After the paint (psutil, files), before any model can load.
    last_crash = crash.take_last_crash(data)
    crash.arm(data)
    if last_crash is not None:
        tell_of_crash(window, last_crash, store)
    run_on_qasync(app)
    import asyncio

    from gui.controllers.arena import Arena
    from gui.controllers.batches import BatchSession
    from gui.controllers.load_runs import LoadRunSession
    from gui.controllers.quants import QuantComparisons
    from gui.controllers.rating import RatingSession
    from gui.controllers.results import Results

    arena = Arena(window, store)
    # Held for the life of the window: their slots serve the menus.
    _results = Results(window, arena, store, data)
    rating = RatingSession(arena, store)
    batches = BatchSession(arena, store, data)
    load_runs = LoadRunSession(arena, data)
    quants = QuantComparisons(window, arena, store, data)
    window.rateRequested.connect(rating.open)
    window.switchRaterRequested.connect(rating.switch_rater)
    window.batchRequested.connect(batches.open)
    _log_window = open_log_on_request(window, data)
    # While blind, the log hides what names a model; the arena says what that is as models and votes come.
    arena.blindNamesChanged.connect(_log_window.set_blind_names)
    _log_window.set_blind_names(arena.blind_names())
    batches.window.rateRequested.connect(rating.open)
    # Start-up made a few hundred thousand objects that live as long as the app (modules, classes, Qt's
    # wrappers): frozen, a full garbage collection no longer walks them (one took 60-100 ms, and it
    # stops every Python thread, the GUI's included).
    gc.freeze()
    loop = asyncio.get_event_loop()
    try:
        if drive is not None:
            return loop.run_until_complete(drive(arena, left, right))
        loop.run_until_complete(run_window(arena, window, left, right))
        return 0
    finally:
        if remembered is not None:
            save_window(remembered, window, arena.model_paths())
        loop.run_until_complete(load_runs.stop())
        quants.shutdown()
        arena.shutdown()
        store.close()
        crash.disarm()


def tell_of_crash(window, report: crash.CrashReport, store: Store) -> None:
    """The notice of the last session's native crash, in the window and on standard error (headless commands)."""
    text, offer_safe_path = crash.describe(report, *store.counts(), window.blind_action.isChecked())
    print(text, file=sys.stderr)
    window.show_crash_notice(text, offer_safe_path)
