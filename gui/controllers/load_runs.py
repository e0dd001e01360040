"""Load runs from the window (LoadRunSession): N requests at once to a served side, level by level, cancellable."""

import asyncio
from functools import cached_property
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot

from gui.core.backend import EngineError
from gui.core.params import SamplingParams
from gui.core.sources import is_served, source_label
from gui.core.suites import SuiteError, available_suites, find_suite

# The window, httpx and the run itself are imported on first use: the app's start must not wait for them.


class LoadRunSession(QObject):
    """Feeds the Load run window: the served sides to load, each level's row as it ends, the verdict."""

    def __init__(self, arena, data: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.arena = arena
        self.data = data  # the data directory: the user's suites
        self.task: asyncio.Task | None = None
        self.levels = []  # the LoadLevels of the run in hand, or of the last one
        arena.window.loadRunRequested.connect(self.open)

    @cached_property
    def view(self):
        from gui.widgets.load_run_window import LoadRunWindow

        view = LoadRunWindow()
        view.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        view.startRequested.connect(self.start)
        view.cancelRequested.connect(self.cancel)
        return view

    @Slot()
    def open(self) -> None:
        """Show the window with the sides that hold a served model now, and the suites to draw prompts from."""
        targets = [(f"{pane.title}: {source_label(side.model.source)}", side.model.source)
                   for pane, side in zip(self.arena.window.panes, map(self.arena.side_at, (0, 1)), strict=True)
                   if side.model is not None and is_served(side.model.source)]
        if self.task is None or self.task.done():
            self.view.set_targets(targets)
        suites, _problems = available_suites(self.data)
        self.view.set_suites([suite.name for suite in suites])
        self.view.show()
        self.view.raise_()

    @Slot(str, str, str, int, float)
    def start(self, source: str, levels_text: str, suite_name: str, max_tokens: int, ttft_bound_s: float
              ) -> asyncio.Task | None:
        """Run each level in turn against the served model; None (and the window says why) when it cannot start."""
        from gui.core.load_run import parse_levels
        from gui.core.served import parse_source

        try:
            levels = parse_levels(levels_text)
            prompts = [item.prompt for item in find_suite(suite_name, self.data).items]
            server, model = parse_source(source)
        except (ValueError, SuiteError, EngineError) as error:
            self.view.show_status(f"Not started: {error}.".replace("..", "."))
            return None
        self.view.clear_levels()
        self.view.set_running(True)
        self.levels = []
        self.task = asyncio.ensure_future(self._run(server, model, prompts, levels, max_tokens, ttft_bound_s))
        return self.task

    @Slot()
    def cancel(self) -> None:
        """Stop now: the requests in flight are closed; the levels measured stay in the table."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def stop(self) -> None:
        """Cancel a run in hand and wait for its requests to close (at shutdown)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self, server, model: str, prompts: list[str], levels: list[int], max_tokens: int,
                   ttft_bound_s: float) -> None:
        from gui.core.load_run import run_level, verdict
        from gui.core.served import client

        sampling = SamplingParams(temperature=0.0, max_tokens=max_tokens)
        try:
            async with client() as http:
                for n in levels:
                    self.view.show_status(f"Sending {n} request{'s' if n > 1 else ''} at once…")
                    level = await run_level(http, server, model, prompts, n, sampling)
                    self.levels.append(level)
                    self.view.add_level(n, level.aggregate_tps, level.ttft.p50 if level.ttft else None,
                                        level.ttft.p95 if level.ttft else None, level.errors)
            errors = sorted({text for level in self.levels for text in level.error_texts})
            self.view.show_status(verdict(self.levels, ttft_bound_s) + "".join(f"\n{text}" for text in errors[:3]))
        except EngineError as error:
            self.view.show_status(f"The run stopped: {error}")
        except asyncio.CancelledError:
            self.view.show_status(f"Cancelled after {len(self.levels)} of {len(levels)} levels; "
                                  "the levels measured stay above.")
            raise
        finally:
            self.view.set_running(False)
