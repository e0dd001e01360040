"""Batches from the window: a suite through the two loaded models, unattended, resumable, then rated blind."""

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QFileDialog

from gui.bridge.batch_runner import BatchRunner
from gui.core import protocol
from gui.core.batch import RESUMABLE, batch_settings, duration_text, items_of, start_or_resume
from gui.core.store import Store
from gui.core.suites import SuiteError, available_suites, find_suite, import_suite
from gui.widgets.batch_window import BatchWindow


class BatchSession(QObject):
    """Starts, pauses, cancels and resumes batches on the arena's two sides; the arena holds its chat meanwhile."""

    def __init__(self, arena, store: Store, data: Path, rng: random.Random | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.arena = arena
        self.store = store
        self.data = data  # the data directory: user suites live in its suites/ folder
        self.rng = rng or random.Random()
        self.window = BatchWindow()
        # Closing the main window ends the app even while this one is open.
        self.window.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.runner: BatchRunner | None = None
        self.task: asyncio.Task | None = None
        self._suite_reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="suites")
        self.window.startRequested.connect(self.start)
        self.window.protocolRequested.connect(self.start_protocol)
        self.window.resumeRequested.connect(self.resume)
        self.window.pauseToggled.connect(self._on_pause_toggled)
        self.window.cancelRequested.connect(self.cancel)
        self.window.importRequested.connect(self._on_import_requested)
        # Said once the models are loaded, after the pane's own "model loaded" line.
        for side in arena.sides:
            side.loaded.connect(self._hint_unfinished)
        self._hint_unfinished()

    @Slot()
    def _hint_unfinished(self) -> None:
        """A crash, a cancel or a restart left a batch half done: say where to take it up."""
        unfinished = [b for b in self.store.batches() if b.state in RESUMABLE]
        if unfinished and self.runner is None:
            self.arena.window.show_status(
                f"{len(unfinished)} unfinished batch{'es' if len(unfinished) > 1 else ''} can be resumed: "
                "Results › Run batch."
            )

    @Slot()
    def open(self) -> None:
        """Show the window with the suites and the batches that can be resumed."""
        self.refresh()
        self.window.show()
        self.window.raise_()

    def refresh(self) -> None:
        suites, errors = available_suites(self.data)
        self.window.set_suites(
            [(s.name, f"{s.title} — {len(s.items)} prompts ({', '.join(s.categories)})") for s in suites], errors
        )
        self.window.set_unfinished([
            (b.id, f"{b.created_at[:16].replace('T', ' ')} · {b.suite} · "
                   f"{len(self.store.batch_keys_done(b.id))} of {len(b.plan)} rounds · {b.state}")
            for b in self.store.batches() if b.state in RESUMABLE
        ])

    def start_protocol(self, repeats: int, controls: int) -> asyncio.Task | None:
        """Run the protocol: the logic suite as a batch whose votes need a rubric score per answer."""
        return self.start(protocol.SUITE, repeats, controls, is_protocol=True)

    def start(self, suite_name: str, repeats: int, controls: int, is_protocol: bool = False) -> asyncio.Task | None:
        """Plan a batch of `suite_name` on the loaded pair (or take up the same one left unfinished) and run it."""
        models = [side.model for side in self.arena.sides]
        if any(model is None for model in models):
            self.window.show_message("Load a model on both sides first: a batch compares two models.")
            return None
        try:
            suite = find_suite(suite_name, self.data)
        except SuiteError as error:
            self.window.show_message(str(error))
            return None
        settings = self.arena.window.settings
        # One sampling for both models keeps the comparison fair; the Left column's settings are used.
        sampling = settings.sampling(0)
        load = [settings.load_params(index ^ self.arena.swapped) for index in (0, 1)]
        plan = batch_settings(suite, [model.source for model in models], sampling, load, repeats, controls,
                              protocol=is_protocol)
        batch, _resumed = start_or_resume(self.store, plan, self.rng)
        return self._run(batch)

    def resume(self, batch_id: str) -> asyncio.Task | None:
        """Take up an unfinished batch: its models must be the ones loaded now."""
        batch = self.store.batch(batch_id)
        loaded = [str(Path(side.model.source).resolve()) if side.model else None for side in self.arena.sides]
        if loaded != batch.settings["models"]:
            names = " and ".join(Path(path).name for path in batch.settings["models"])
            self.window.show_message(f"This batch compares {names}: load those two (in that order) to resume it.")
            return None
        return self._run(batch)

    def _run(self, batch) -> asyncio.Task:
        self.runner = BatchRunner(self.arena.sides, self.store, batch, items_of(batch), self.arena.environment)
        self.runner.progressed.connect(lambda done, total, eta: self.window.show_progress(done, total, duration_text(eta)))
        self.arena.hold_for_batch(True)
        self.window.set_running(True)
        kind = "the protocol on " if protocol.is_protocol(batch) else ""
        self.window.show_message(f"Running {kind}{batch.suite}: each answer runs alone, the models in turn.")
        self.task = asyncio.ensure_future(self._run_to_end())
        return self.task

    async def _run_to_end(self) -> str:
        try:
            state = await self.runner.run()
        finally:
            self.arena.hold_for_batch(False)
            self.window.set_running(False)
            self.refresh()
        done = len(self.store.batch_keys_done(self.runner.batch.id))
        total = len(self.runner.batch.plan)
        if state == "finished" and protocol.is_protocol(self.runner.batch):
            self.window.show_message(f"Finished: {done} rounds stored. Rate them blind: each vote needs a 0–3 score "
                                     "per answer.")
            self.window.rateRequested.emit()  # the protocol goes on to the rating queue
        elif state == "finished":
            self.window.show_message(f"Finished: {done} rounds stored. Rate them blind: Rate rounds….")
        else:
            self.window.show_message(f"Cancelled with {done} of {total} rounds stored: resume it from the list below.")
        return state

    @Slot()
    def cancel(self) -> None:
        if self.runner is not None:
            self.runner.cancel()

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if self.runner is None:
            return
        if paused:
            self.runner.pause()
            self.window.show_message("Pausing after the round in hand.")
        else:
            self.runner.resume()
            self.window.show_message("Running again.")

    @Slot()
    def _on_import_requested(self) -> asyncio.Task | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import suite", "", "Suites (*.toml *.jsonl *.csv)")
        return self.import_file(path) if path else None

    def import_file(self, path: str) -> asyncio.Task:
        """Check the suite file and copy it into the user's suites on a thread of its own (a suite of thousands of
        prompts takes a while to read and check); the task gives the suite, or None (the window says why)."""
        self.window.show_message(f"Importing {Path(path).name}…")
        return asyncio.ensure_future(self._import(path))

    async def _import(self, path: str):
        try:
            suite = await asyncio.get_running_loop().run_in_executor(self._suite_reader, import_suite, path, self.data)
        except SuiteError as error:
            self.window.show_message(str(error))
            return None
        self.refresh()
        self.window.suites.setCurrentIndex(self.window.suites.findData(suite.name))
        count = len(suite.items)
        self.window.show_message(f"Imported {suite.name}: {count} prompt{'s' if count != 1 else ''}.")
        return suite
