"""The results windows and files: leaderboard, history, fit planner, export and import of votes."""

import asyncio
import dataclasses
import gc
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cached_property, partial
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Slot
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from gui.bridge.worker import TRACEBACK_HINT
from gui.core.history import CHAT_ID, LEFT, OUTCOME, RATED, RATER, RIGHT
from gui.core.store import Store, StoreError
from gui.core.votes_io import VoteFileError, read_votes_csv, read_votes_jsonl, write_csv, write_jsonl

# The windows, and the statistics and matplotlib behind them, are imported and built on first use:
# the app's start must not wait for them.

log = logging.getLogger(__name__)
HIDDEN = "(hidden until the vote)"
NOT_YET_YOURS = "(hidden until you rate it)"
_RELEASE_SLICE = 5000  # votes freed at once: about 2 ms of holding Python's lock
_UNTRACK_SLICE = 2048  # history rows made between two young collections on the results thread
# Pillow compresses a PNG holding Python's lock, one output block a call: its 64 KiB blocks took 20 ms each.
_PNG_BLOCK = 8192
_PARETO_SIZE = (700, 450)  # the quantizations' chart in the charts window, as large as the report's others


class LatestOnly:
    """One kind of computation on a worker thread, where only the latest request counts.

    A new request or `cancel` sets the running one's stop flag (its function polls it) and drops
    its result, so a window never shows figures older than its last request.
    """

    def __init__(self, executor: ThreadPoolExecutor):
        self._executor = executor
        self._stop = threading.Event()
        self._request = 0

    def cancel(self) -> None:
        """Stop the computation under way; its result, if it still comes, is dropped."""
        self._stop.set()
        self._request += 1

    async def run(self, function: Callable[[Callable[[], bool]], object],
                  discard: Callable[[object], None] | None = None):
        """`function(should_stop)` on the worker; None when cancelled or superseded before it ended, its result then
        given to `discard` if given (a large result is better freed on the worker than on the GUI thread)."""
        self.cancel()
        self._stop = stop = threading.Event()
        request = self._request
        try:
            result = await asyncio.get_event_loop().run_in_executor(self._executor, function, stop.is_set)
        except Exception as error:
            # Imported only here: a function that raised Cancelled has imported it already, and importing it first
            # held the GUI thread 13 ms (numpy's statistics) for work that never cancels, as the history's.
            from gui.core.leaderboard import Cancelled

            if isinstance(error, Cancelled):
                return None
            raise
        if request == self._request:
            return result
        if discard is not None:
            discard(result)
        return None


class Results(QObject):
    """Opens the leaderboard, history, charts and fit planner windows, saves reports, moves votes in and out."""

    def __init__(self, window, arena, store: Store, data: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.window = window
        self.arena = arena
        self.store = store
        self.data = data  # the data directory: reports go to its reports/ folder
        self._include_leaks = False
        self.bootstrap_rounds = 1000
        # The rounds last read for the history, kept for its searches, and for whom (_history_seen) they were read.
        self._history_rows: list | None = None
        self._history_for: tuple | None = None
        window.leaderboardRequested.connect(self.show_leaderboard)
        window.historyRequested.connect(self.show_history)
        window.chartsRequested.connect(self.show_charts)
        window.fitPlannerRequested.connect(self.show_fit_planner)
        window.exportRequested.connect(self.export_votes)
        window.importRequested.connect(self.import_votes)

    @cached_property
    def leaderboard(self):
        from gui.widgets.leaderboard_window import LeaderboardWindow

        view = _kept(LeaderboardWindow())
        view.refreshRequested.connect(self.show_leaderboard)
        view.includeLeaksToggled.connect(self._on_include_leaks)
        view.cancelRequested.connect(self._on_cancel_leaderboard)
        return view

    @cached_property
    def history(self):
        from gui.widgets.history_window import HistoryWindow

        view = _kept(HistoryWindow())
        view.queryChanged.connect(self._on_history_query)
        return view

    @cached_property
    def charts(self):
        from gui.widgets.charts_window import ChartsWindow

        view = _kept(ChartsWindow())
        view.saveReportRequested.connect(self.save_report)
        view.cancelRequested.connect(self._on_cancel_charts)
        return view

    @cached_property
    def fit_planner(self):
        from gui.widgets.fit_window import FitWindow

        view = _kept(FitWindow())
        view.fileChosen.connect(self.plan_file)
        return view

    @cached_property
    def _worker(self) -> ThreadPoolExecutor:
        # The statistics of 100,000 votes take a second: on the GUI thread the window would stand still.
        return ThreadPoolExecutor(1, thread_name_prefix="results")

    @cached_property
    def _board_job(self) -> LatestOnly:
        return LatestOnly(self._worker)

    @cached_property
    def _charts_job(self) -> LatestOnly:
        # The charts window's work, charts or a report: the newest request wins, as the window shows one state.
        return LatestOnly(self._worker)

    @cached_property
    def _history_job(self) -> LatestOnly:
        # The history's reads and searches: the newest wins, as the window lists one answer.
        return LatestOnly(self._worker)

    @cached_property
    def _header_reader(self) -> ThreadPoolExecutor:
        # A header with a 262k-word vocabulary takes tens of milliseconds to step over: not on the GUI thread.
        # One thread reads files in the order they were picked, so the last one picked is shown last.
        return ThreadPoolExecutor(1, thread_name_prefix="fit-header")

    @Slot()
    def show_fit_planner(self) -> None:
        """Which contexts of a preset or a GGUF file fit 8 to 80 GiB of RAM or VRAM."""
        self.fit_planner.show()
        self.fit_planner.raise_()

    @Slot(str)
    def plan_file(self, path: str) -> asyncio.Task:
        """Read `path`'s header on the header thread, then plan it, or say why it cannot be planned."""
        from gui.core import fit
        from gui.core.gguf_header import GGUFFileError

        async def read() -> None:
            loop = asyncio.get_event_loop()
            try:
                spec = await loop.run_in_executor(self._header_reader, fit.file_spec, path)
            except (GGUFFileError, fit.FitError) as error:
                self.fit_planner.show_error(str(error))
                return
            self.fit_planner.show_spec(spec)

        return asyncio.ensure_future(read())

    @Slot()
    def show_leaderboard(self) -> asyncio.Task:
        """Ratings with their 95% intervals, rubric means, position bias, agreement, flip rates; computed on the
        results thread, the window saying so meanwhile."""
        votes = self.store.counts()[1]
        self.leaderboard.show_busy(f"Computing ratings from {votes:,} votes…")
        self.leaderboard.show()
        self.leaderboard.raise_()
        return asyncio.ensure_future(self._compute_leaderboard())

    async def _compute_leaderboard(self) -> None:
        """Compute the board on the results thread and show it, unless a newer request or Cancel came first."""
        job = partial(board_figures, self.store.path, self._include_leaks, self.bootstrap_rounds,
                      self.leaderboard.chart.size_to_draw())
        try:
            figures = await self._board_job.run(job)
        except StoreError as error:
            self.leaderboard.show_error(str(error))
            return
        except Exception as error:  # noqa: BLE001 - the window must leave its busy state, whatever went wrong
            log.exception("computing the leaderboard failed")
            self.leaderboard.show_error(unexpected("The leaderboard could not be computed", error))
            return
        if figures is not None:
            self.leaderboard.show_board(*figures)

    @Slot()
    def _on_cancel_leaderboard(self) -> None:
        self._board_job.cancel()
        self.leaderboard.show_cancelled()

    @Slot()
    def show_charts(self) -> asyncio.Task:
        """Ratings, rubric, speed, memory, trade-off and check charts of everything stored; drawn on the results
        thread, the window saying so meanwhile."""
        return self._start_charts("Drawing the charts", None)

    @Slot()
    def save_report(self) -> asyncio.Task:
        """Write report.html and the charts as PNG into a new folder under the data directory on the results
        thread, the charts window showing the same figures; say where. The task gives the page, or None."""
        from gui.report.html import default_report_dir

        return self._start_charts("Writing the report", default_report_dir(self.data))

    def _start_charts(self, doing: str, report_dir: Path | None) -> asyncio.Task:
        """Show the charts window saying what it is doing, and start doing it."""
        rounds, votes = self.store.counts()
        self.charts.show_busy(f"{doing} from {rounds:,} rounds and {votes:,} votes…")
        self.charts.show()
        self.charts.raise_()
        return asyncio.ensure_future(self._draw_charts(report_dir))

    async def _draw_charts(self, report_dir: Path | None) -> Path | None:
        """Draw the charts (and write the report into `report_dir`, if given) on the results thread and show
        them, unless a newer request or Cancel came first."""
        job = partial(chart_figures, self.store.path, self._include_leaks, self.charts.devicePixelRatioF(),
                      report_dir)
        try:
            done = await self._charts_job.run(job)
        except StoreError as error:
            self.charts.show_error(str(error))
            return None
        except OSError as error:
            message = (f"Could not write the report to {error.filename or report_dir}: {error.strerror or error}. "
                       f"Free some disk space or make {self.data} writable, then save the report again.")
            self.charts.show_error(message)
            QMessageBox.warning(self.charts, "Save report", message)
            return None
        except Exception as error:  # noqa: BLE001 - the window must leave its busy state, whatever went wrong
            log.exception("drawing the charts failed")
            self.charts.show_error(unexpected("The charts could not be drawn", error))
            return None
        if done is None:
            return None
        charts, page = done
        self.charts.show_charts(charts)
        if page is not None:
            self.charts.show_done(f"Report saved: {page}")
            self.window.show_status(f"Report saved: {page} (charts as PNG in {page.parent / 'charts'}).")
            QMessageBox.information(self.charts, "Save report", f"Report saved:\n{page}")
        return page

    @Slot()
    def _on_cancel_charts(self) -> None:
        self._charts_job.cancel()
        self.charts.show_cancelled()

    @Slot()
    def show_history(self) -> asyncio.Task:
        """Every stored round, read anew, searched and sorted on the results thread, the window saying so meanwhile.
        The models of a round still waiting for its vote stay hidden, and so do other raters' votes on a round the
        rater at this machine has not rated yet (each rates blind to the others)."""
        self._drop_history_rows()  # rounds and votes may have come since the last read
        self.history.show_busy(f"Reading {self.store.counts()[0]:,} rounds…")
        self.history.show()
        self.history.raise_()
        return asyncio.ensure_future(self._list_history())

    @Slot()
    def _on_history_query(self) -> asyncio.Task:
        """List the rounds answering the history window's new search or sort."""
        return asyncio.ensure_future(self._list_history())

    async def _list_history(self) -> None:
        """Show the rounds answering the window's query, read first unless already read for this rater and blind
        state; on the results thread, unless a newer request comes first."""
        seen = self._history_seen()
        if seen != self._history_for:
            self._drop_history_rows()  # read for another rater or blind chat: they may show too much
        query = self.history.query()
        try:
            job = partial(history_view, self.store.path, *seen, self._history_rows, *query)
            done = await self._history_job.run(job, discard=self._discard_history)
        except StoreError as error:
            self.history.show_error(str(error))
            return
        except Exception as error:  # noqa: BLE001 - the window must leave its busy state, whatever went wrong
            log.exception("reading the history failed")
            self.history.show_error(unexpected("The history could not be read", error))
            return
        if done is None:
            return
        if self._history_seen() != seen:
            # The rater changed, or a blind chat began or was revealed, while the rows were read.
            self._discard_history(done)
            await self._list_history()
            return
        rows, shown = done
        if rows is not self._history_rows:
            self._drop_history_rows()
            self._history_rows, self._history_for = rows, seen
        self._free_later(self.history.show_rows(shown, len(rows), query))

    def _history_seen(self) -> tuple[str | None, str | None]:
        """(the rater at this machine, the chat whose models stay hidden, None when none): what the history may show."""
        arena = self.arena
        return arena.rater, arena.chat_id if arena.blind and not arena.revealed else None

    def _drop_history_rows(self) -> None:
        """Forget the rounds read: the next request reads them anew."""
        if self._history_rows is not None:
            self._free_later(self._history_rows)
        self._history_rows = self._history_for = None

    def _discard_history(self, done: tuple[list, list]) -> None:
        """Free an answer that will not be shown; its rows too, unless they are the ones kept for searching."""
        rows, shown = done
        self._free_later(shown)
        if rows is not self._history_rows:
            self._free_later(rows)

    def _free_later(self, rows: list) -> None:
        """Free `rows` on the results thread: freeing 50,000 rounds at once held Python's lock 11 to 18 ms.

        Queued behind every task already given to that thread, any of which may still read them; no later task is
        given them."""
        self._worker.submit(_release, rows)

    @Slot()
    def export_votes(self) -> asyncio.Task | None:
        """Write every vote to JSONL or CSV, by the file name chosen, on the results thread; the task gives how many,
        or None when it failed (said in a message box)."""
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export votes", "votes.jsonl", "Votes (*.jsonl *.csv)"
        )
        if not path:
            return None
        self.window.set_moving_votes(f"Exporting votes to {path}…")
        return asyncio.ensure_future(self._export(path))

    async def _export(self, path: str) -> int | None:
        """export_votes' work, and what it says when done."""
        loop = asyncio.get_event_loop()
        try:
            count = await loop.run_in_executor(self._worker, export_votes_file, self.store.path, path)
        except OSError as error:
            self._votes_failed("Export votes", f"Could not write {path}: {error.strerror or error}. Choose another "
                               "folder or file name, then export again.")
            return None
        except StoreError as error:
            self._votes_failed("Export votes", str(error))
            return None
        finally:
            self.window.set_moving_votes("")
        self.window.show_status(f"Exported {count:,} votes to {path}.")
        return count

    @Slot()
    def import_votes(self) -> asyncio.Task | None:
        """Merge the votes of a JSONL file (ours or FastChat's battle format) or our CSV; the same vote is kept once."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Import votes", "", "Votes (*.jsonl *.csv)")
        if not path:
            return None
        return self.import_file(path)

    def import_file(self, path: str) -> asyncio.Task:
        """Read `path` whole, then add its votes in one transaction, on the results thread; the task gives (new votes,
        votes in the file), or None when nothing was added (said in a message box)."""
        self.window.set_moving_votes(f"Importing votes from {Path(path).name}…")
        return asyncio.ensure_future(self._import(path))

    async def _import(self, path: str) -> tuple[int, int] | None:
        """import_file's work, and what it says when done."""
        loop = asyncio.get_event_loop()
        try:
            added, total = await loop.run_in_executor(self._worker, import_votes_file, self.store.path, path)
        except (VoteFileError, StoreError) as error:
            self._votes_failed("Import votes", str(error))
            return None
        finally:
            self.window.set_moving_votes("")
        self.window.show_status(f"Imported {added:,} new votes from {Path(path).name} ({total - added:,} already there).")
        return added, total

    def _votes_failed(self, title: str, message: str) -> None:
        """Say why votes could not be moved, in the status bar and a message box."""
        self.window.show_status(message)
        QMessageBox.warning(self.window, title, message)

    @Slot(bool)
    def _on_include_leaks(self, include: bool) -> None:
        self._include_leaks = include
        self.show_leaderboard()


@contextmanager
def _no_cyclic_gc():
    """No automatic cyclic garbage collection in the process while the block runs on a worker thread.

    A full collection walks every object of every thread while holding Python's lock: reading and
    tallying 100,000 votes set one off every fraction of a second, each standing the GUI still for
    about 50 ms. Votes and their tallies form no cycles: reference counting frees them all the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def board_figures(path: Path, include_leaks: bool, bootstrap_rounds: int, chart_size: tuple,
                  should_stop: Callable[[], bool]):
    """(rows, summary lines, rubric means, drawn chart) of the leaderboard of the store at `path`, the chart
    for `chart_size` (size, pixel ratio); for a worker thread."""
    with _no_cyclic_gc():
        # The votes are freed as _board_figures returns: a collection after it does not walk them.
        return _board_figures(path, include_leaks, bootstrap_rounds, chart_size, should_stop)


def _board_figures(path, include_leaks, bootstrap_rounds, chart_size, should_stop):
    """board_figures' work."""
    from gui.core.leaderboard import compute_leaderboard, summary_lines
    from gui.core.report_data import check_lines, check_rates
    from gui.widgets.leaderboard_window import draw_rating_chart

    # A SQLite connection serves only the thread that opened it: this thread reads through its own.
    store = Store(path)
    try:
        votes, rounds = store.votes(), store.rounds()
    finally:
        store.close()
    board = compute_leaderboard(votes, include_leaks=include_leaks, bootstrap_rounds=bootstrap_rounds,
                                should_stop=should_stop)
    _release(votes)
    rows = [dataclasses.asdict(row) for row in board.rows]
    lines = summary_lines(board) + check_lines(check_rates(rounds))
    return rows, lines, board.rubric_by_category, draw_rating_chart(rows, *chart_size)


def chart_figures(path: Path, include_leaks: bool, ratio: float, report_dir: Path | None,
                  should_stop: Callable[[], bool]):
    """(the charts drawn for the charts window at `ratio`, the report's page or None) of the store at `path`, the
    report written into `report_dir` when given; for a worker thread."""
    with _no_cyclic_gc():
        return _chart_figures(path, include_leaks, ratio, report_dir, should_stop)


def _chart_figures(path, include_leaks, ratio, report_dir, should_stop):
    """chart_figures' work, polling `should_stop` between its steps."""
    from PIL import ImageFile

    from gui.core.leaderboard import Cancelled
    from gui.core.quant_record import quant_report
    from gui.core.report_data import gather
    from gui.report.html import write_report
    from gui.widgets.charts_window import draw_charts

    store = Store(path)  # a SQLite connection serves only the thread that opened it
    try:
        rounds, votes = store.rounds(), store.votes()
        quant = quant_report(store, rounds)
    finally:
        store.close()
    if should_stop():
        raise Cancelled
    data = gather(rounds, votes, title="GGUF Arena report", include_leaks=include_leaks)
    _release(votes)
    _release(rounds)
    charts = draw_charts(data, ratio, should_stop)
    if quant is not None:  # the stakeholder's picture of the quantizations compared, beside the others
        from gui.widgets.quant_chart import draw_pareto

        charts.append(("quant_pareto", "Quantizations",
                       draw_pareto(quant.rows, quant.comparison.base["quantization"], QSize(*_PARETO_SIZE), ratio)))
    if report_dir is None:
        return charts, None
    if should_stop():
        raise Cancelled
    ImageFile.MAXBLOCK = _PNG_BLOCK  # process-wide, but only ever a smaller step in the same work
    return charts, write_report(data, report_dir, quant=quant)


def history_view(path: Path, rater: str | None, hidden_chat: str | None, rows: list | None, search: str,
                 column: int, descending: bool, _should_stop: Callable[[], bool]) -> tuple[list, list]:
    """(every round of the store at `path` as `rater` may see it, newest first; those holding `search`, sorted by
    `column`), the rounds read only when `rows` (an earlier answer's first part) is None. For a worker thread.

    Not stopped early: a search of 50,000 rounds takes tens of milliseconds, and a superseded answer is freed on
    this thread all the same (discarded). Unlike the votes' work, it leaves garbage collection on: the rows are
    plain tuples of strings and numbers, which a collection stops tracking (seen_history's young collections).
    """
    from gui.widgets.history_window import select_rows

    if rows is None:
        rows = seen_history(path, rater, hidden_chat)
    return rows, select_rows(rows, search, column, descending)


def seen_history(path: Path, rater: str | None, hidden_chat: str | None) -> list[tuple]:
    """Every round of the store at `path` (HistoryRow's fields), newest first, as `rater` may see it: the models of
    the chat `hidden_chat` (still blind) hidden, and so are other raters' votes on a round `rater` has not rated
    (each rates blind to the others). For a worker thread."""
    store = Store(path)  # a SQLite connection serves only the thread that opened it
    try:
        rows = store.history(rater)
    finally:
        store.close()
    for index, row in enumerate(rows):
        if row[CHAT_ID] == hidden_chat:
            row = rows[index] = (*row[:LEFT], HIDDEN, HIDDEN, *row[RIGHT + 1:])
        if rater and row[OUTCOME] and not row[RATED]:
            rows[index] = (*row[:OUTCOME], NOT_YET_YOURS, "", *row[RATER + 1:])
        if index % _UNTRACK_SLICE == 0:
            # A young collection stops tracking the rows made since the last one (tuples of strings); left to
            # itself, a collection on the GUI thread walked 33,000 of them at once, 14 to 22 ms.
            gc.collect(0)
    return rows


def export_votes_file(store_path: Path, path: str) -> int:
    """Write every vote of the store at `store_path` to `path` (CSV by its suffix, else JSONL), whole or not at all;
    how many. For a worker thread."""
    with _no_cyclic_gc():
        store = Store(store_path)  # a SQLite connection serves only the thread that opened it
        try:
            votes = store.votes()
        finally:
            store.close()
        (write_csv if Path(path).suffix.lower() == ".csv" else write_jsonl)(votes, path)
        count = len(votes)
        _release(votes)
        return count


def import_votes_file(store_path: Path, path: str) -> tuple[int, int]:
    """(new votes, votes in the file) of adding the votes in `path` to the store at `store_path`: the file is read
    whole, then its votes added in one transaction, so a bad line or a failed write adds nothing. For a worker
    thread."""
    with _no_cyclic_gc():
        votes = (read_votes_csv if Path(path).suffix.lower() == ".csv" else read_votes_jsonl)(path)
        store = Store(store_path)
        try:
            added = store.add_votes(votes)
        except sqlite3.Error as error:
            raise StoreError(f"Could not add the votes of {Path(path).name} to {store_path} ({error}); none was "
                             "added. Close other programs using the results database, then import again.") from error
        finally:
            store.close()
        total = len(votes)
        _release(votes)
        return added, total


def unexpected(what: str, error: Exception) -> str:
    """A window's message for a failure nobody foresaw: what failed, why in Python's words, where the details are."""
    return f"{what}: something unexpected went wrong ({type(error).__name__}: {error}). {TRACEBACK_HINT}"


def _release(items: list) -> None:
    """Empty `items` a slice at a time: freeing 100,000 votes in one go held Python's lock 60 ms."""
    while items:
        del items[-_RELEASE_SLICE:]


def _kept(view: QWidget) -> QWidget:
    """A results window that does not keep the app open, drawn in the theme's chart colours."""
    from gui.widgets.theme import Theme

    # Closing the main window ends the app even while these are open.
    view.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
    theme = QApplication.instance().findChild(Theme)
    if theme is not None:
        theme.style_charts()  # matplotlib may have been imported just now, by this window's module
    return view
