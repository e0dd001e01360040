"""Two quantizations of one model on the arena's sides: say so, and compare them in a window of their own."""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from gui.core.backend import EngineError
from gui.core.gguf_header import GGUFFileError, read_vocabulary
from gui.core.identity import versions
from gui.core.quant import SAMPLE_TEXT, QuantError, QuantPair, measure, quant_pair, read_text, suite_text
from gui.core.quant_record import comparison_of, arena_figures, scoreboard, text_sha256, verdict_of
from gui.core.store import Store
from gui.core.suites import SuiteError, available_suites, find_suite

MIB = 2**20


def pair_of(models) -> QuantPair | None:
    """The two loaded models as a QuantPair (the more bits per weight the base), or None; reads both vocabularies."""
    cards = [model.card for model in models]
    if any(card is None for card in cards) or models[0].identity["fingerprint"] == models[1].identity["fingerprint"]:
        return None  # a served model has no file to read; one file twice is not two quantizations
    base, other = sorted(cards, key=lambda card: -card.bits_per_weight)
    try:
        return quant_pair(base, read_vocabulary(base.path), other, read_vocabulary(other.path))
    except (QuantError, GGUFFileError):
        return None


def read_source(source: str, path: str, data: Path) -> tuple[str, str]:
    """(text, its name) of the window's choice: the shipped sample, a file, or a suite's prompts and references."""
    if source == "sample":
        return read_text(SAMPLE_TEXT), SAMPLE_TEXT.name
    if source == "file":
        return read_text(path), Path(path).name
    return suite_text(find_suite(path, data)), f"suite {path}"


def comparison_figures(store_path: Path, comparison, chart_size: tuple) -> tuple:
    """(verdict, scoreboard rows, Pareto image) of a stored comparison and its family; for a worker thread."""
    from gui.widgets.quant_chart import draw_pareto

    # A SQLite connection serves only the thread that opened it: this thread reads through its own.
    store = Store(store_path)
    try:
        family, rounds = store.quant_comparisons(comparison.family), store.rounds()
    finally:
        store.close()
    rows = scoreboard(family)
    return verdict_of(comparison, arena_figures(rounds)), rows, draw_pareto(rows, comparison.base["quantization"],
                                                                          *chart_size)


def stored_figures(store_path: Path, fingerprints: tuple[str, str], chart_size: tuple) -> tuple | None:
    """(verdict, scoreboard rows, Pareto image, comparison) of the newest stored comparison of these two files (base,
    other fingerprints), or None when none is stored; for a worker thread."""
    store = Store(store_path)  # a SQLite connection serves only the thread that opened it
    try:
        newest = next((c for c in store.quant_comparisons()
                       if (c.base["fingerprint"], c.other["fingerprint"]) == fingerprints), None)
    finally:
        store.close()
    return None if newest is None else (*comparison_figures(store_path, newest, chart_size), newest)


class QuantComparisons(QObject):
    """Watches the sides for a quantization pair (the window's note and menu) and runs Compare quantizations.

    The check reads both vocabularies on a thread of its own; a comparison loads both models again and
    scores on another, polling a stop flag between chunks.

    Signals:
        pairChecked(object): the sides were checked: the QuantPair, or None.
        comparisonEnded(object): a run ended: its stored QuantComparison, or None when nothing was measured.
    """

    pairChecked = Signal(object)
    comparisonEnded = Signal(object)

    def __init__(self, window, arena, store: Store, data: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.window = window
        self.arena = arena
        self.store = store
        self.data = data
        self.pair: QuantPair | None = None
        self.task: asyncio.Task | None = None
        self.stored_task: asyncio.Task | None = None  # showing what was measured before, as the window opens
        self._checks = 0
        self._stop = threading.Event()
        # Stepping over two vocabularies takes tens of milliseconds (Gemma's: 40): not on the GUI thread.
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="quant-pair")
        self._scorer = ThreadPoolExecutor(1, thread_name_prefix="quant-measure")
        for side in arena.sides:
            side.loaded.connect(self.check_pair)
            side.loadFailed.connect(self.check_pair)
        window.compareQuantsRequested.connect(self.show_window)
        window.blindModeToggled.connect(self._on_blind_toggled)

    @cached_property
    def view(self):
        from gui.controllers.results import _kept
        from gui.widgets.quant_window import QuantWindow

        view = _kept(QuantWindow())
        view.startRequested.connect(self._on_start)
        view.cancelRequested.connect(self.cancel)
        return view

    @Slot()
    def check_pair(self) -> asyncio.Task:
        """Whether the sides now hold two quantizations of one model: the window's note and menu follow."""
        self._checks += 1
        return asyncio.ensure_future(self._check(self._checks, [side.model for side in self.arena.sides]))

    async def _check(self, request: int, models: list) -> None:
        pair = None
        if all(model is not None for model in models):
            pair = await asyncio.get_event_loop().run_in_executor(self._reader, pair_of, models)
        if request != self._checks:
            return  # a side changed meanwhile: a newer check decides
        self.pair = pair
        self.window.set_quant_pair(_note(pair) if pair else "")
        self.pairChecked.emit(pair)

    @Slot()
    def show_window(self) -> None:
        """The comparison window for the pair on the sides now."""
        pair = self.pair
        if pair is None or self.arena.blind:
            return
        suites, _errors = available_suites(self.data)
        self.view.set_suites([suite.name for suite in suites])
        trained = min(c for c in (pair.base.context_length, pair.other.context_length, 2**31) if c)
        memory = (pair.base.file_size + pair.other.file_size) / MIB
        self.view.set_pair(
            f"Base: {_describe(pair.base)}\nOther: {_describe(pair.other)}",
            f"A run loads both models again, beside the arena's copies: about {memory:,.0f} MiB more memory, "
            "plus each one's context, until it ends.", trained)
        self.view.show()
        self.view.raise_()
        fingerprints = self._fingerprints(pair)
        if fingerprints is not None and (self.task is None or self.task.done()):
            self.stored_task = asyncio.ensure_future(self._show_stored(fingerprints))

    async def _show_stored(self, fingerprints: tuple[str, str]) -> None:
        """What was measured of this pair before, shown as the window opens (a run's ribbon is not kept)."""
        stored = await asyncio.get_event_loop().run_in_executor(
            self._scorer, stored_figures, self.store.path, fingerprints, self.view.pareto.size_to_draw())
        if stored is None or (self.task is not None and not self.task.done()):
            return  # nothing measured yet, or a run has started since: it shows its own
        verdict, rows, image, comparison = stored
        self.view.show_result(verdict, None)
        self.view.show_scoreboard(rows, image)
        self.view.show_idle(f"Measured before, on {comparison.created_at[:16].replace('T', ' ')}: "
                            f"{comparison.chunks_done} chunks of {comparison.n_ctx} of {comparison.text_name}. "
                            "Start measures again.")

    @Slot(str, str, int, int)
    def _on_start(self, source: str, path: str, n_ctx: int, chunks: int) -> None:
        self.task = asyncio.ensure_future(self.compare(source, path, n_ctx, chunks))

    @Slot()
    def cancel(self) -> None:
        """Stop after the chunk under way; the chunks done are kept and shown."""
        self._stop.set()
        if self.task is not None and not self.task.done():
            self.view.show_running("Stopping after the chunk under way…")

    async def compare(self, source: str, path: str, n_ctx: int, chunks: int):
        """Read the text, score it on both models on the scoring thread, keep and show the figures.

        Returns the stored QuantComparison, or None when nothing was measured (the window says why).
        """
        view, pair, loop = self.view, self.pair, asyncio.get_event_loop()
        fingerprints = self._fingerprints(pair) if pair is not None else None
        if fingerprints is None:
            view.show_error("The sides no longer hold two quantizations of one model: load two files of one model "
                            "(say its Q8_0 and its Q4_K_M) on the arena's sides, then start again.")
            return self._ended(None)
        self._stop = stop = threading.Event()
        view.show_running("Reading the text…")
        try:
            text, name = await loop.run_in_executor(self._scorer, read_source, source, path, self.data)
        except (QuantError, SuiteError) as error:
            view.show_error(str(error))
            view.show_idle("The text was refused: nothing was scored, the figures shown before are kept.")
            return self._ended(None)
        view.show_running(f"Loading both models and scoring {name}…")
        progress = partial(loop.call_soon_threadsafe, self._on_progress)
        job = partial(measure, pair, text, n_ctx=n_ctx, max_chunks=chunks or None, n_threads=os.cpu_count() or 1,
                      on_progress=progress, should_stop=stop.is_set)
        try:
            result = await loop.run_in_executor(self._scorer, job)
        except (QuantError, EngineError) as error:
            if stop.is_set():  # a load stopped by Cancel surfaces as a failed load
                view.show_idle("Cancelled while loading: nothing was measured or kept.")
            else:
                view.show_error(str(error))
                view.show_idle("Nothing was scored; the figures shown before are kept.")
            return self._ended(None)
        if result.figures is None:
            view.show_idle("Cancelled before the first chunk ended: nothing was measured or kept.")
            return self._ended(None)
        comparison = comparison_of(result, name, text_sha256(text), fingerprints, versions())
        self.store.add_quant_comparison(comparison)
        verdict, rows, image = await loop.run_in_executor(
            self._scorer, comparison_figures, self.store.path, comparison, view.pareto.size_to_draw())
        view.show_result(verdict, result.ribbon)
        view.show_scoreboard(rows, image)
        done = f"{result.chunks_done} of {result.chunks_planned} chunks of {n_ctx} ({result.figures.tokens:,} tokens)"
        view.show_idle(f"Stopped after {done}: the figures are of those chunks, and kept." if result.cancelled
                       else f"Scored {done} of {name}; kept in the results database.")
        return self._ended(comparison)

    def _ended(self, comparison):
        self.comparisonEnded.emit(comparison)
        return comparison

    @Slot(int, int)
    def _on_progress(self, done: int, planned: int) -> None:
        if not self._stop.is_set():
            self.view.show_progress(done, planned)

    def _fingerprints(self, pair: QuantPair) -> tuple[str, str] | None:
        """The sides' fingerprints of the pair's files (base, other), read when they were loaded; None when a side
        no longer holds its file (a new load under way)."""
        by_path = {side.model.card.path: side.model.identity["fingerprint"]
                   for side in self.arena.sides if side.model is not None and side.model.card is not None}
        if pair.base.path not in by_path or pair.other.path not in by_path:
            return None
        return by_path[pair.base.path], by_path[pair.other.path]

    @Slot(bool)
    def _on_blind_toggled(self, blind: bool) -> None:
        # The window names both models.
        if blind and "view" in self.__dict__:
            self.view.hide()

    def shutdown(self) -> None:
        """Stop a run after its chunk and let both threads end."""
        self._stop.set()
        self._reader.shutdown(wait=False, cancel_futures=True)
        self._scorer.shutdown(wait=True, cancel_futures=True)


def _note(pair: QuantPair) -> str:
    name = pair.base.name or Path(pair.base.path).stem
    return (f"Both sides hold {name} in two quantizations ({pair.base.quantization} and {pair.other.quantization}): "
            "Results › Compare quantizations… measures how far apart they predict.")


def _describe(card) -> str:
    return (f"{Path(card.path).name} ({card.quantization}, {card.file_size / MIB:,.1f} MiB, "
            f"{card.bits_per_weight:.2f} bits per weight)")
