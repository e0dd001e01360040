"""Runs a planned batch on the two loaded sides, one answer at a time, committing each round as it ends."""

import asyncio
import dataclasses
import time
import uuid

from PySide6.QtCore import QObject, Signal

from gui.bridge.rounds import SEQUENTIAL, threads_for
from gui.core.batch import BatchEntry, eta_s, remaining
from gui.core.checks import run_checks
from gui.core.memory import resident_bytes_by_path, side_memory
from gui.core.params import LoadParams, SamplingParams
from gui.core.records import ShownAnswer, answer_metrics, round_record
from gui.core.store import BatchRecord, RoundRecord, Store
from gui.core.suites import SuiteItem

# A control's second answer is a second sample, not a replay of the first.
CONTROL_SEED_OFFSET = 1


class BatchRunner(QObject):
    """Works through a batch's remaining rounds; pause takes effect between rounds, cancel at once.

    Each answer runs alone (isolated timing), the two models in alternating order. A round is
    stored only when both of its answers ended, so a round cut short is run again on resume.

    Signals:
        progressed(int, int, object): rounds done, rounds in all, seconds still to go (None at first).
        roundStored(object): the RoundRecord just committed.
        stateChanged(str): running, paused, cancelled or finished.
    """

    progressed = Signal(int, int, object)
    roundStored = Signal(object)
    stateChanged = Signal(str)

    def __init__(self, sides, store: Store, batch: BatchRecord, items: dict[str, SuiteItem], environment: dict,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.sides = list(sides)
        self.store = store
        self.batch = batch
        self.items = items
        self.environment = environment
        self.sampling = SamplingParams(**batch.settings["sampling"])
        self.load = [LoadParams(**params) for params in batch.settings["load"]]
        self.state = batch.state
        self._running = asyncio.Event()
        self._running.set()
        self._cancelled = False

    async def run(self) -> str:
        """Run every round not yet stored; returns the state it ended in (finished or cancelled)."""
        done = self.store.batch_keys_done(self.batch.id)
        todo = remaining(self.batch, done)
        total, count, durations = len(self.batch.plan), len(done), []
        self._set_state("running")
        self.progressed.emit(count, total, None)
        for entry in todo:
            await self._running.wait()
            if self._cancelled:
                break
            started = time.perf_counter()
            record = await self._run_entry(entry)
            if self._cancelled:
                break  # the round in hand was cut short: it runs again on resume
            self.store.add_round(record)
            count += 1
            durations.append(time.perf_counter() - started)
            self.roundStored.emit(record)
            self.progressed.emit(count, total, eta_s(durations, total - count))
        self._set_state("cancelled" if self._cancelled else "finished")
        return self.state

    def pause(self) -> None:
        """Stop after the round in hand; the batch stays resumable."""
        if self.state == "running":
            self._running.clear()
            self._set_state("paused")

    def resume(self) -> None:
        """Go on after a pause."""
        if self.state == "paused":
            self._set_state("running")
            self._running.set()

    def cancel(self) -> None:
        """Stop now; finished rounds stay, the round in hand is dropped, and the batch can be resumed later."""
        self._cancelled = True
        for side in self.sides:
            side.stop()
        self._running.set()

    def _set_state(self, state: str) -> None:
        self.state = state
        self.store.set_batch_state(self.batch.id, state)
        self.stateChanged.emit(state)

    async def _run_entry(self, entry: BatchEntry) -> RoundRecord:
        """Both answers of one planned round, in its order, and the record that keeps them."""
        item = self.items[entry.item_id]
        sampling = dataclasses.replace(self.sampling, system_prompt=item.system, seed=self.sampling.seed + entry.run)
        if entry.control is None:
            order = (entry.first, 1 - entry.first)
            answers = {}
            for index in order:
                answers[index] = await self._answer(index, item.prompt, sampling)
            by_model = [(index, answers[index], sampling) for index in (0, 1)]
        else:
            second = dataclasses.replace(sampling, seed=sampling.seed + CONTROL_SEED_OFFSET)
            first_answer = await self._answer(entry.control, item.prompt, sampling)
            second_answer = await self._answer(entry.control, item.prompt, second)
            by_model = [(entry.control, first_answer, sampling), (entry.control, second_answer, second)]
        return self._record(entry, item, by_model)

    async def _answer(self, index: int, prompt: str, sampling: SamplingParams):
        """One answer alone on the machine, in a fresh conversation, its whole prompt processed (no cached prefix)."""
        side = self.sides[index]
        side.new_chat()
        n_threads = threads_for(self.load[index].n_threads, SEQUENTIAL, len(self.sides))
        return await side.answer(prompt, sampling, n_threads, False, reuse_prefix=False)

    def _record(self, entry: BatchEntry, item: SuiteItem, by_model) -> RoundRecord:
        """Screen Left/Right from the entry's draw; each side's identity, answer, figures and check results."""
        shown = list(reversed(by_model)) if entry.swapped else by_model
        resident = resident_bytes_by_path([side.model.source for side in self.sides])
        left, right = (
            ShownAnswer(
                model=self.sides[index].model.identity,
                output=answer.text,
                metrics=answer_metrics(answer.stats, self.sides[index].model,
                                       side_memory(self.sides[index].model, resident)),
                params={"sampling": dataclasses.asdict(sampling), "load": dataclasses.asdict(self.load[index])},
                checks=[result.to_dict() for result in run_checks(answer.text, list(item.checks))]
                if item.checks else None,
            )
            for index, answer, sampling in shown
        )
        return round_record(
            left, right, prompt=item.prompt, mode=SEQUENTIAL, swapped=entry.swapped, environment=self.environment,
            chat_id=uuid.uuid4().hex, turn=1, category=item.category,
            batch_id=self.batch.id, batch_key=entry.key, item_id=item.id, control=entry.control is not None,
        )
