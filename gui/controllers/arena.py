"""The arena: two engine sides shown in two panes, rounds run and recorded, blind votes cast and revealed."""

import asyncio
import dataclasses
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QInputDialog
from shiboken6 import isValid

from gui.bridge.memory_monitor import MemoryMonitor
from gui.bridge.pump import TokenPump
from gui.bridge.rounds import Round, SideRequest
from gui.bridge.side import Side
from gui.core.blind import draw_swap, file_spellings
from gui.core.chat import BUILTIN_FORMATS, choose_format
from gui.core.backend import EngineError, local_backend
from gui.core.gguf_header import GGUFFileError, ModelCard, read_card
from gui.core.identity import environment
from gui.core.measure import measure_summary
from gui.core.fit import estimate, spec_of
from gui.core.memory import (
    SideMemory,
    fit_problem,
    resident_bytes_by_path,
    side_memory,
    system_memory,
)
from gui.core.pace import WHOLE_AT_END, BlindPace, Shown
from gui.core.parting import first_difference, parting_note
from gui.core.params import MEASURE
from gui.core.paths import list_models, models_dir
from gui.core.records import ShownAnswer, answer_metrics, round_record, stats_dict, vote_on
from gui.core.sources import ServedParts, is_served
from gui.core.store import RoundRecord, Store
from gui.core.votes import Vote
from gui.widgets.main_window import MainWindow
from gui.widgets.rating_bar import OUTCOME_WORDS
from gui.widgets.server_dialog import ServerDialog

log = logging.getLogger("gui")


class Arena(QObject):
    """Wires two engine sides to the two panes, runs rounds, records them, and takes blind votes.

    Side i is shown in screen slot i ^ swapped: in blind mode each chat draws which model sits on
    the Left. Settings are per screen side.

    Signals:
        blindNamesChanged(object): what the log must hide from a blind rater: every spelling of both
            models (a set, maybe empty), or None once nothing is hidden (blind off, or revealed).
    """

    blindNamesChanged = Signal(object)

    def __init__(self, window: MainWindow, store: Store, engines=(None, None), rng: random.Random | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.window = window
        self.store = store
        self.rng = rng or random.Random()
        self.sides = [
            Side(name, engine if engine is not None else local_backend(), self)
            for name, engine in zip(("a", "b"), engines)
        ]
        self.pump = TokenPump(self.sides, self)
        self.monitor = MemoryMonitor(self)
        self.round: Round | None = None
        self.round_task: asyncio.Task | None = None
        self.rater: str | None = None
        self.blind = window.blind_action.isChecked()
        self.swapped = False
        self.revealed = False  # a vote in this chat showed which model is which
        self.chat_id = ""
        self.turn = 0
        self.pending: RoundRecord | None = None  # the round the rating bar asks about
        self.batch_running = False  # a batch uses both sides: the chat waits, answers stay hidden
        self._started: set[int] = set()  # sides whose answer in the current round has begun
        self.pace: BlindPace | None = None  # while blind, what the panes may show of the round's answers
        self.parting_task: asyncio.Task | None = None  # marking where the last round's answers part
        self.environment = environment()
        self._resident: dict[str, int] = {}
        self._loading_needs: dict = {}  # side index -> MemoryEstimate of the model it is loading
        self._choices = [0, 0]  # per side, the latest choice: a header read for an earlier one is dropped
        self._shut_down = False
        # Stepping over a vocabulary takes a while (Gemma's 262k words: 40 ms): the pair's headers are read here.
        self._header_reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="GGUF headers")
        for index, side in enumerate(self.sides):
            self._wire_side(index, side)
        for slot, pane in enumerate(window.panes):
            self._wire_pane(slot, pane)
        window.sendRequested.connect(self._on_send_requested)
        window.stopRequested.connect(self.stop)
        window.newChatRequested.connect(self.new_chat)
        window.blindModeToggled.connect(self._on_blind_toggled)
        window.rating.voteCast.connect(self._on_vote_cast)
        window.settings.loadSettingsChanged.connect(self._on_load_settings_changed)
        self.monitor.sampled.connect(self._on_memory_sampled)
        self.pump.start()
        self.refresh_model_list()
        self.new_chat()

    def pane_of(self, index: int):
        """The pane showing side `index`."""
        return self.window.panes[index ^ self.swapped]

    def side_at(self, slot: int) -> Side:
        """The side shown in screen slot `slot` (0 Left, 1 Right)."""
        return self.sides[slot ^ self.swapped]

    def _wire_side(self, index: int, side: Side) -> None:
        side.loadProgressed.connect(lambda fraction, i=index: self.pane_of(i).set_loading(fraction))
        side.loaded.connect(lambda model, i=index: self._on_loaded(i, model))
        side.loadFailed.connect(lambda message, i=index: self._on_load_failed(i, message))
        side.formatChanged.connect(lambda choice, i=index: self.pane_of(i).set_format_note(choice.note))
        side.answerStarted.connect(lambda text, i=index: self._on_answer_started(i, text))
        side.textArrived.connect(lambda text, i=index: self._on_text_arrived(i, text))
        side.liveUpdated.connect(lambda clock, i=index: self._on_live(i, clock))
        side.answerFinished.connect(lambda answer, i=index: self._on_answer_finished(i, answer))

    def _wire_pane(self, slot: int, pane) -> None:
        pane.set_chat_formats(list(BUILTIN_FORMATS))
        pane.fileChosen.connect(lambda path, s=slot: self.pick_file(s ^ self.swapped, path))
        pane.serverRequested.connect(lambda s=slot: self.open_server_dialog(s))
        pane.chatFormatChosen.connect(lambda name, s=slot: self.side_at(s).set_chat_format(name or None))
        pane.cancelLoadRequested.connect(lambda s=slot: self.side_at(s).cancel_load())

    def refresh_model_list(self) -> None:
        """Offer the .gguf files found in models/ on both panes."""
        paths = list_models(models_dir())
        for slot, pane in enumerate(self.window.panes):
            pane.set_model_list(paths, self.side_at(slot).path)

    def pick_file(self, index: int, path: str) -> asyncio.Task:
        """A file chosen by hand (list, Browse…, drop, recent): its header read on the header thread, then chosen
        as choose_file does; a later choice for the same side supersedes it. The task gives whether the load started.
        """
        self._choices[index] += 1
        return asyncio.ensure_future(self._pick(index, path, self._choices[index]))

    async def _pick(self, index: int, path: str, choice: int) -> bool:
        """pick_file's work: the header, then the choice, unless a newer one came meanwhile."""
        header = None
        if not is_served(path):
            # Stepping over Gemma's 262k-word vocabulary held the GUI thread 40 ms.
            header = await asyncio.get_event_loop().run_in_executor(self._header_reader, read_header, path)
        if choice != self._choices[index] or self._shut_down:
            return False
        return self.choose_file(index, path, header)

    def choose_file(self, index: int, path: str, header: ModelCard | GGUFFileError | None = None) -> bool:
        """Show what the file is, check it fits in memory, then load it on side `index` in the background.

        `header` is the file's card, or the error reading it, when it has been read already (pick_file reads it
        off the GUI thread; None reads it here). Returns whether the load started; a refused file has its error
        shown in the pane. Any header read for an earlier choice on this side is dropped.
        """
        self._choices[index] += 1
        pane = self.pane_of(index)
        if self.batch_running:
            self.window.show_status("A batch is running on these models: pause or cancel it before changing a model.")
            return False
        pane.clear_error()
        if is_served(path):
            # Its memory is the server's: no header to read, nothing to fit here.
            pane.show_served(path)
            pane.set_loading(0.0)
            self.sides[index].load(path, self.window.settings.load_params(index ^ self.swapped))
            return True
        card = read_header(path) if header is None else header
        if isinstance(card, GGUFFileError):
            log.warning("refused %s: %s", path, card)  # the pane's Details… opens the log
            pane.clear_card()
            pane.show_error(str(card))
            return False
        pane.show_card(card)
        pane.set_format_note(choose_format(card.architecture, card.has_chat_template, None).note)
        params = self.window.settings.load_params(index ^ self.swapped)
        need = estimate(spec_of(card), params.n_ctx)
        # A model still loading on the other side is not resident yet: it must fit as well.
        needs = {Path(self.sides[other].path).name: pending for other, pending in self._loading_needs.items()
                 if other != index}
        needs[Path(path).name] = need
        problem = fit_problem(needs, system_memory().free_ram_bytes) if params.n_gpu_layers == 0 else None
        if problem:
            log.warning("refused %s: %s", path, problem)
            pane.show_error(problem)
            return False
        self._loading_needs[index] = need
        pane.set_loading(0.0)
        self.window.chart.set_held(True)
        self.sides[index].load(path, params, card)
        self.refresh_model_list()
        return True

    def server_models(self, slot: int, server: ServedParts, key: str = "") -> asyncio.Task:
        """The models a server lists (a typed `key` kept in the keyring first); the task gives them, or raises
        EngineError saying why not."""
        from gui.core import api_keys
        from gui.core.served import Server, client, list_models

        async def fetch() -> list[str]:
            if key:  # kept before the listing, which reads it back as every later request will
                await api_keys.off_loop(lambda: api_keys.keep_key(server.address, key))
            async with client() as http:
                return await list_models(http, Server(server.address, server.key_env, server.key_in_keyring))

        return asyncio.ensure_future(fetch())

    def open_server_dialog(self, slot: int) -> ServerDialog:
        """Server…: the dialog asks for the server and its key; its models are listed here, the one picked loaded."""
        from gui.core.sources import served_parts

        addresses = dict.fromkeys(served_parts(source).address for source in self.window.recent_files()
                                  if is_served(source))
        dialog = ServerDialog(list(addresses), self.window)
        dialog.modelsRequested.connect(lambda server, key: self._list_for(dialog, slot, server, key))
        dialog.chosen.connect(lambda server: self.choose_served(slot, server))
        dialog.finished.connect(dialog.deleteLater)
        asyncio.ensure_future(self._offer_keyring(dialog))
        dialog.open()
        return dialog

    async def _offer_keyring(self, dialog: ServerDialog) -> None:
        """Tell the dialog whether this machine has a keyring, and whether it keeps a key for its first server."""
        from gui.core import api_keys

        problem = await api_keys.off_loop(api_keys.keyring_problem)
        address = dialog.server().address
        kept = problem is None and bool(address) and await api_keys.off_loop(lambda: api_keys.has_kept_key(address))
        if isValid(dialog):
            dialog.set_keyring_problem(problem)
            dialog.set_kept(kept)

    def _list_for(self, dialog: ServerDialog, slot: int, server: ServedParts, key: str) -> None:
        """List the server's models into the dialog, or show it why they could not be listed."""
        def done(task: asyncio.Task) -> None:
            if not isValid(dialog) or task.cancelled():
                return
            error = task.exception()
            if isinstance(error, EngineError):
                dialog.show_problem(str(error))
            elif error is not None:
                raise error
            else:
                dialog.set_models(task.result())

        self.server_models(slot, server, key).add_done_callback(done)

    def choose_served(self, slot: int, server: ServedParts) -> bool:
        """Load `server.model` of that server on the side shown in `slot`."""
        from gui.core.sources import served_source_of

        return self.choose_file(slot ^ self.swapped, served_source_of(server))

    def model_paths(self) -> tuple[str | None, str | None]:
        """The file each side holds or is loading, in side order (not screen order); None where none is."""
        return tuple(side.model.source if side.model is not None else side.path if side.loading else None
                     for side in self.sides)

    def load_pair(self, first: str | None, second: str | None) -> asyncio.Task:
        """Read the pair's headers off the GUI thread, then choose each file (llama.cpp loads them one at a time).

        The task's result: the sides whose load started.
        """
        return asyncio.ensure_future(self._load_pair((first, second)))

    async def _load_pair(self, paths: tuple[str | None, str | None]) -> list[int]:
        headers = await asyncio.get_event_loop().run_in_executor(
            self._header_reader, lambda: [read_header(path) if path and not is_served(path) else None
                                          for path in paths])
        started = [index for index, (path, header) in enumerate(zip(paths, headers))
                   if path and self.choose_file(index, path, header)]
        self._hold_chart_while_loading()  # the app shows the window with the chart held, waiting for this pair
        return started

    def _hold_chart_while_loading(self) -> None:
        """The live chart's first draw imports matplotlib, holding Python's lock in long stretches: not while a
        model loads and its progress moves."""
        self.window.chart.set_held(any(side.loading for side in self.sides))

    def send(self, text: str) -> asyncio.Task:
        """Run one round with `text` as the next user turn of both conversations."""
        settings = self.window.settings

        def request_for(index: int) -> SideRequest:
            slot = index ^ self.swapped
            return SideRequest(settings.sampling(slot), settings.load_params(slot))

        self.round = Round(self.sides, text, settings.mode(), request_for, runs=settings.measure_runs())
        self._started = set()
        ready = tuple(index for index, side in enumerate(self.sides) if side.model is not None)
        # Measured runs restart an answer on screen; while blind, their timing would show: only the end is shown.
        pace = WHOLE_AT_END if settings.mode() == MEASURE else self.window.blind_pace()
        self.pace = BlindPace(ready, pace) if self.blind else None
        self.round_task = asyncio.ensure_future(self._run_round(self.round))
        return self.round_task

    async def _run_round(self, round_: Round):
        self.window.set_busy(True)
        self.window.chart.reset()
        self.window.rating.hide_bar()
        self.pending = None
        if self.blind:
            for pane in self.window.panes:
                pane.conceal()
        try:
            answers = await round_.run()
        finally:
            self.window.set_busy(False)
        self.turn += 1
        self._record(round_, answers)
        if self._may_part(answers):
            asked = [side.last_messages for side in self.sides]  # before the next round asks anew
            self.parting_task = asyncio.ensure_future(self._show_parting(answers, asked))
        for index, runs in round_.measurements.items():
            if runs:
                self.pane_of(index).add_note(measure_summary([stats_dict(stats) for stats in runs]))
        return answers

    def _may_part(self, answers) -> bool:
        """Whether the round's two answers can be walked token by token: both local, whole and greedy."""
        settings = self.window.settings
        return (not self.blind and len(answers) == 2
                and all(a is not None and a.stats.error is None and a.counters and a.counters.token_ids
                        for a in answers)
                and all(side.model is not None and side.model.card is not None for side in self.sides)
                and all(settings.sampling(slot).temperature == 0.0 for slot in (0, 1)))

    async def _show_parting(self, answers, asked: list[list[dict]]) -> None:
        """With two quantizations of one model answering greedily, mark in both panes where their answers part,
        with each model's top candidates there (read after the answers, so no figure pays for it)."""
        from gui.core.quant import QuantError, read_pair

        paths = [side.model.source for side in self.sides]
        try:
            await asyncio.get_running_loop().run_in_executor(self._header_reader, lambda: read_pair(*paths))
        except (QuantError, GGUFFileError):
            return  # two different models: their tokens are not comparable one by one
        ids = [answer.counters.token_ids for answer in answers]
        index = first_difference(*ids)
        if index is None:
            for pane in self.window.panes:
                pane.add_note("Both answers are the same, token for token.")
            return
        try:
            partings = await asyncio.gather(*(side.parting(messages, side_ids, index)
                                              for side, messages, side_ids in zip(self.sides, asked, ids)))
        except EngineError as error:
            log.warning("where the answers part: %s", error)
            return
        for index_, parting in enumerate(partings):
            self.pane_of(index_).add_note(parting_note(parting))

    def _record(self, round_: Round, answers) -> None:
        """Commit the round at once; in blind mode, ask for a vote when both sides answered."""
        shown = [answers[slot ^ self.swapped] for slot in (0, 1)]
        models = [self.side_at(slot).model for slot in (0, 1)]
        if any(model is None for model in models) or all(answer is None for answer in shown):
            return  # a one-sided round, or one stopped before either side answered, has nothing to compare
        settings = self.window.settings
        record = round_record(
            *(ShownAnswer(
                model=models[slot].identity,
                output=shown[slot].text if shown[slot] else "",
                metrics=self._metrics(slot, shown[slot]),
                params={"sampling": dataclasses.asdict(settings.sampling(slot)),
                        "load": dataclasses.asdict(settings.load_params(slot))},
            ) for slot in (0, 1)),
            prompt=round_.user_text, mode=round_.mode, swapped=self.swapped, environment=self.environment,
            chat_id=self.chat_id, turn=self.turn,
        )
        self.store.add_round(record)
        answered = all(a is not None and a.stats.error is None for a in shown)
        if self.blind and answered:
            self.pending = record
            self.window.rating.ask()

    def cast_vote(self, outcome: str, rubric_left: int | None, rubric_right: int | None, comment: str) -> Vote:
        """Commit a vote on the pending round, then reveal which model was which."""
        record = self.pending
        self.pending = None
        vote = vote_on(record, outcome, self.rater or "", rubric_left, rubric_right, comment)
        self.store.add_vote(vote)
        self.revealed = True
        self._tell_blind_names()
        for pane, label in zip(self.window.panes, (vote.model_left, vote.model_right)):
            pane.reveal(label)
        note = (" An answer named its own model: this vote is kept but left out of the leaderboard."
                if vote.identity_leak else "")
        self.window.rating.done(
            f"Vote saved: {OUTCOME_WORDS[outcome]}. Left was {vote.model_left}, Right was {vote.model_right}.{note}"
        )
        return vote

    @Slot()
    def stop(self) -> None:
        """Stop both answers within one token."""
        if self.round is not None:
            self.round.stop()

    @Slot()
    def new_chat(self) -> None:
        """Both conversations start over; in blind mode the Left/Right draw is made again."""
        self.stop()
        for side in self.sides:
            side.new_chat()
        self.swapped = self.blind and draw_swap(self.rng)
        self.chat_id = uuid.uuid4().hex
        self.turn = 0
        self.pending = None
        self.revealed = False
        self.window.set_blind(self.blind)
        self.window.rating.hide_bar()
        for slot, pane in enumerate(self.window.panes):
            pane.clear_chat()
            pane.clear_error()
            pane.gauges.reset()
            pane.conceal()
            self._show_side(slot)
        self.refresh_model_list()
        self.window.chart.reset()
        self._tell_blind_names()

    def blind_names(self) -> set[str] | None:
        """What a blind rater must not read in the log: both models' every spelling; None when nothing is hidden."""
        if not self.blind or self.revealed:
            return None
        sources = {side.model.source if side.model else side.path for side in self.sides} - {None}
        cards = {side.model.card.name or "" for side in self.sides if side.model and side.model.card}
        labels = {side.model.identity.get("label") or "" for side in self.sides if side.model}
        return file_spellings(sources, cards | labels)

    def _tell_blind_names(self) -> None:
        self.blindNamesChanged.emit(self.blind_names())

    def _show_side(self, slot: int) -> None:
        """Put the side now in `slot` on its pane: card, load state, memory."""
        pane, side = self.window.panes[slot], self.side_at(slot)
        model = side.model
        if model is None:
            pane.clear_card()
        elif model.card is None:
            pane.show_served(model.source)
            pane.set_loaded(f"reached in {model.load_s:.2f} s")
            pane.set_format_note(model.chat_format.note)
        else:
            pane.show_card(model.card)
            pane.set_loaded(f"loaded in {model.load_s:.2f} s · context {model.n_ctx}")
            pane.set_format_note(model.chat_format.note)
        self._show_memory(slot ^ self.swapped)

    def shutdown(self) -> None:
        """Stop the answers, then each worker frees its model on its own thread, then the threads end (once)."""
        if self._shut_down:
            return
        self._shut_down = True
        # A sample the monitor queued before it stopped would otherwise reach gauges already deleted.
        self.monitor.sampled.disconnect(self._on_memory_sampled)
        self.stop()
        self.pump.stop()
        self._header_reader.shutdown(wait=False, cancel_futures=True)
        for side in self.sides:
            side.shutdown()
        self.monitor.shutdown()

    @Slot(bool)
    def _on_blind_toggled(self, blind: bool) -> None:
        # A chat is blind or not from its first turn: switching starts a new one.
        self.blind = blind
        self.new_chat()

    @Slot(str, object, object, str)
    def _on_vote_cast(self, outcome: str, rubric_left, rubric_right, comment: str) -> None:
        if self.pending is None:
            return
        self.ensure_rater()
        self.cast_vote(outcome, rubric_left, rubric_right, comment)

    def ensure_rater(self) -> str:
        """Once a session: whose votes these are (agreement between raters needs it; may stay empty)."""
        if self.rater is None:
            name, _ok = QInputDialog.getText(
                self.window, "Rater", "Your name or initials, kept with each vote this session (optional):"
            )
            self.rater = name.strip()
        return self.rater

    def switch_rater(self) -> str | None:
        """Ask who rates from now on (File › Switch rater); their name, or None when cancelled or left blank."""
        name, ok = QInputDialog.getText(
            self.window, "Switch rater", "Who rates from now on? Your name or initials, kept with each vote:"
        )
        if not ok:
            return None
        if not name.strip():
            self.window.show_status(
                "Rater not switched: type a name (File › Switch rater), so that each rater's votes stay apart."
            )
            return None
        self.rater = name.strip()
        self.window.show_status(f"Rater: {self.rater}. Votes from now on are theirs; their rating queue starts over.")
        return self.rater

    @Slot(str)
    def _on_send_requested(self, text: str) -> None:
        if any(side.busy for side in self.sides):
            return
        if not any(side.model is not None for side in self.sides):
            self.window.show_status("No model is loaded yet: pick a GGUF file on either side.")
            return
        if self.blind and self.revealed:
            # The vote showed who is who: a follow-up in this chat could not be judged blind.
            self.new_chat()
            self.window.show_status("The last vote revealed the models, so this message starts a new blind chat.")
        self.send(text)

    @Slot(int)
    def _on_load_settings_changed(self, slot: int) -> None:
        side = self.side_at(slot)
        if side.path and (side.model is not None or side.loading):
            self.pick_file(slot ^ self.swapped, side.path)

    def _on_loaded(self, index: int, _model) -> None:
        self._loading_needs.pop(index, None)
        self._hold_chart_while_loading()
        slot = index ^ self.swapped
        self.pane_of(index).set_loading(None)
        self._show_side(slot)
        self.window.show_status(f"{('Left', 'Right')[slot]} model loaded.")
        self.window.add_recent_file(self.sides[index].model.source)
        self.monitor.watch([s.model.source for s in self.sides if s.model is not None])
        self._tell_blind_names()  # its card's name is known only now

    def _on_load_failed(self, index: int, message: str) -> None:
        self._loading_needs.pop(index, None)
        self._hold_chart_while_loading()
        pane = self.pane_of(index)
        pane.set_loading(None)
        pane.show_error(message)
        side = self.sides[index]
        log.warning("side %s could not load %s: %s", side.objectName(), side.path, message)

    def hold_for_batch(self, running: bool) -> None:
        """A batch takes both sides: the chat is closed and the panes show no answer until they are rated."""
        self.batch_running = running
        self.new_chat()
        self.window.set_busy(running)
        note = "A batch is running: its answers are hidden until you rate them (Results › Rate rounds)."
        for pane in self.window.panes:
            pane.set_batch_note(note if running else "")

    def _on_text_arrived(self, index: int, text: str) -> None:
        if self.batch_running:
            return
        if self.pace is not None:
            self._show_paced(self.pace.add(index, text))
        else:
            self.pane_of(index).append_text(text)

    def _on_answer_started(self, index: int, text: str) -> None:
        if self.batch_running:
            return
        if self.pace is not None:
            self._show_paced(self.pace.begin(index, text))
        else:
            self._begin_on_pane(index, text)

    def _show_paced(self, shown: list[Shown]) -> None:
        """Show what the blind pace releases: starts, text and ends, as if the sides had sent them so."""
        for item in shown:
            if item.begin is not None:
                self._begin_on_pane(item.index, item.begin)
            if item.text:
                self.pane_of(item.index).append_text(item.text)
            if item.end is not None:
                self._end_on_pane(item.index, item.end)

    def _begin_on_pane(self, index: int, text: str) -> None:
        pane = self.pane_of(index)
        pane.clear_error()
        pane.gauges.reset()
        if index in self._started:
            pane.restart_answer()  # another measured run of the same turn replaces the last one on screen
        else:
            self._started.add(index)
            pane.begin_answer(text)

    def _on_live(self, index: int, clock) -> None:
        if self.batch_running:
            return
        now = time.perf_counter()
        tps = clock.live_tps(now)
        self.pane_of(index).gauges.set_live(tps, clock.ttft_s, clock.count, clock.elapsed_s(now))
        if tps is not None:
            self.window.chart.add_point(index ^ self.swapped, clock.elapsed_s(now), tps)

    def _on_answer_finished(self, index: int, answer) -> None:
        if self.batch_running:
            return
        if self.pace is not None:
            self._show_paced(self.pace.end(index, answer))
        else:
            self._end_on_pane(index, answer)

    def _end_on_pane(self, index: int, answer) -> None:
        pane = self.pane_of(index)
        stats = answer.stats
        pane.end_answer(f"[{stats.stop_reason.value}]")
        pane.gauges.set_final(stats)
        if stats.decode_tps is not None:  # a short answer may end before its first live update
            self.window.chart.add_point(index ^ self.swapped, stats.elapsed_s, stats.decode_tps)
        if stats.error:
            log.warning("side %s: %s", self.sides[index].objectName(), stats.error)
            pane.show_error(stats.error)

    def side_memory(self, index: int) -> SideMemory | None:
        """Weights resident (the file mapping, or llama.cpp's model size when not mapped) + context buffers."""
        model = self.sides[index].model
        return None if model is None else side_memory(model, self._resident)

    def _metrics(self, slot: int, answer) -> dict | None:
        """The figures stored for the answer shown in `slot`, with its model's load time and memory."""
        if answer is None:
            return None
        index = slot ^ self.swapped
        metrics = answer_metrics(answer.stats, self.sides[index].model, self.side_memory(index))
        runs = self.round.measurements.get(index) if self.round is not None else None
        if runs:
            metrics["runs"] = [stats_dict(stats) for stats in runs]
        return metrics

    def sample_memory_now(self) -> None:
        """Read the resident bytes on the calling thread, for a report that cannot wait for the monitor."""
        self._resident = resident_bytes_by_path([s.model.source for s in self.sides if s.model is not None])

    def _on_memory_sampled(self, resident: dict, system) -> None:
        self._resident = resident
        for index in range(len(self.sides)):
            self._show_memory(index)
            self.pane_of(index).gauges.set_system_memory(system)

    def _show_memory(self, index: int) -> None:
        """Side `index`'s memory on its pane: measured here for a file, the server's for a served model."""
        model, gauges = self.sides[index].model, self.pane_of(index).gauges
        if model is not None and model.card is None:
            gauges.set_served_memory()
        else:
            gauges.set_model_memory(self.side_memory(index))


def read_header(path: str) -> ModelCard | GGUFFileError:
    """A file's card, or the error that refuses it."""
    try:
        return read_card(path)
    except GGUFFileError as error:
        return error
