"""`python -m gui batch`: a suite through both models on a machine without a display, with a text progress bar."""

import argparse
import random
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from gui.app import run_on_qasync
from gui.bridge.batch_runner import BatchRunner
from gui.bridge.side import LoadFailed, Side
from gui.core.batch import batch_settings, duration_text, items_of, progress_bar, start_or_resume
from gui.core.backend import local_backend
from gui.core.gguf_header import GGUFFileError, read_card
from gui.core.identity import environment
from gui.core.params import LoadParams, SamplingParams
from gui.core.paths import LOG_FILE, RESULTS_FILE, data_dir
from gui.core.sources import is_served, source_label
from gui.core.store import Store, StoreError
from gui.core.suites import SuiteError, find_suite

# Python runs its signal handlers only between bytecodes: a timer lets Ctrl+C in while Qt waits.
SIGNAL_POLL_MS = 200


def run_batch_command(args: argparse.Namespace) -> int:
    """Plan (or resume) the batch, load both models, run it; 0 when it finished, 1 on an error, 130 when stopped."""
    data = data_dir(getattr(args, "data_dir", None))
    try:
        if args.repeats < 1 or args.controls < 0:
            raise ValueError("--repeats must be at least 1 and --controls at least 0")
        paths = [path if is_served(path) else str(Path(path).resolve()) for path in (args.left, args.right)]
        for path in paths:
            if not is_served(path):
                read_card(path)  # a clear message for a missing or broken file before anything starts
        suite = find_suite(args.suite, data)
        store = Store(args.db or data / RESULTS_FILE)
    except (ValueError, GGUFFileError, SuiteError, StoreError) as error:
        print(error, file=sys.stderr)
        return 1
    sampling = SamplingParams(temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed)
    load = LoadParams(n_ctx=args.n_ctx, n_threads=args.threads)
    settings = batch_settings(suite, paths, sampling, [load, load], args.repeats, args.controls)
    batch, resumed = start_or_resume(store, settings, random.Random(args.seed))
    done = len(store.batch_keys_done(batch.id))
    verb = f"Resuming batch {batch.id[:8]} at {done} of" if resumed else f"Batch {batch.id[:8]}:"
    print(f"{verb} {len(batch.plan)} rounds of suite {suite.name!r} into {store.path}")
    app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    loop = run_on_qasync(app)
    try:
        return loop.run_until_complete(_run(store, batch, paths, load, data / LOG_FILE))
    finally:
        store.close()


async def _run(store: Store, batch, paths: list[str], load: LoadParams, log_file: Path) -> int:
    """Load the pair one at a time, then run the batch with a progress line."""
    sides = [Side(name, local_backend()) for name in ("a", "b")]
    runner = None
    poll = QTimer()
    poll.start(SIGNAL_POLL_MS)
    previous = signal.signal(signal.SIGINT, lambda *_: runner.cancel() if runner else None)
    try:
        for side, path in zip(sides, paths):
            model = await side.load_model(path, load)
            print(f"loaded {source_label(path)} in {model.load_s:.2f} s")
        runner = BatchRunner(sides, store, batch, items_of(batch), environment())
        progress = _Progress()
        runner.progressed.connect(progress.show)
        started = time.perf_counter()
        state = await runner.run()
    except LoadFailed as error:
        print(error, file=sys.stderr)
        # The engine's message cannot know where this run logs; the command does.
        print(f"llama.cpp's full log of this load: {log_file}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
        poll.stop()
        for side in sides:
            side.shutdown()
    done = len(store.batch_keys_done(batch.id))
    if state == "cancelled":
        print(f"\nStopped with {done} of {len(batch.plan)} rounds stored: run the same command again to resume.")
        return 130
    print(f"\nFinished: {done} rounds in {duration_text(time.perf_counter() - started)}, stored in {store.path}. "
          "Rate them blind in the app: Results › Rate rounds.")
    return 0


class _Progress:
    """Progress on standard output (llama.cpp talks on standard error): one line redrawn in a terminal, one per round in a log."""

    def __init__(self):
        self.redraw = sys.stdout.isatty()

    def show(self, done: int, total: int, eta) -> None:
        line = f"{progress_bar(done, total)}  ETA {duration_text(eta)}"
        print(f"\r{line}" if self.redraw else line, end="" if self.redraw else "\n", flush=True)
