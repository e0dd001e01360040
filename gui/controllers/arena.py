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
from gui.core.memory import (
    SideMemory,
    estimate_memory,
    fit_problem,
    resident_bytes_by_path,
    side_memory,
    system_memory,
)
from gui.core.paths import list_models, models_dir
from gui.core.records import ShownAnswer, answer_metrics, round_record, stats_dict, vote_on
from gui.core.sources import is_served
from gui.core.store import RoundRecord, Store
from gui.core.votes import Vote
from gui.widgets.main_window import MainWindow
from gui.widgets.rating_bar import OUTCOME_WORDS

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
        self.environment = environment()
        self._resident: dict[str, int] = {}
        self._loading_needs: dict = {}  # side index -> MemoryEstimate of the model it is loading
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
        pane.fileChosen.connect(lambda path, s=slot: self.choose_file(s ^ self.swapped, path))
        pane.serverRequested.connect(lambda s=slot: self._on_server_requested(s))
        pane.chatFormatChosen.connect(lambda name, s=slot: self.side_at(s).set_chat_format(name or None))
        pane.cancelLoadRequested.connect(lambda s=slot: self.side_at(s).cancel_load())

    def refresh_model_list(self) -> None:
        """Offer the .gguf files found in models/ on both panes."""
        paths = list_models(models_dir())
        for slot, pane in enumerate(self.window.panes):
            pane.set_model_list(paths, self.side_at(slot).path)

    def choose_file(self, index: int, path: str, header: ModelCard | GGUFFileError | None = None) -> bool:
        """Show what the file is, check it fits in memory, then load it on side `index` in the background.

        `header` is the file's card, or the error reading it, when it has been read already. Returns
        whether the load started; a refused file has its error shown in the pane.
        """
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
        need = estimate_memory(card, params.n_ctx)
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
        self.sides[index].load(path, params, card)
        self.refresh_model_list()
        return True

    def server_models(self, slot: int, url: str, key_env: str | None) -> asyncio.Task:
        """The models a server lists, for the pane in `slot`; on failure the pane says why and the task gives []."""
        from gui.core.served import Server, client, list_models

        async def fetch() -> list[str]:
            try:
                async with client() as http:
                    return await list_models(http, Server(url, key_env))
            except EngineError as error:
                self.window.panes[slot].show_error(str(error))
                return []

        self.window.panes[slot].clear_error()
        return asyncio.ensure_future(fetch())

    def _on_server_requested(self, slot: int) -> None:
        """Server…: ask for the base URL and the key's variable, list the server's models, load the one picked."""
        url, ok = QInputDialog.getText(self.window, "Server", "Base URL of an OpenAI-compatible server "
                                       "(llama-server, vLLM, Ollama, LM Studio):", text="http://127.0.0.1:8080/v1")
        if not ok or not url.strip():
            return
        key_env, ok = QInputDialog.getText(self.window, "Server", "The environment variable that holds its API key "
                                           "(leave empty if it needs none; the key itself is never stored):")
        if not ok:
            return
        task = self.server_models(slot, url.strip(), key_env.strip() or None)
        task.add_done_callback(lambda done: self._pick_served_model(slot, url.strip(), key_env.strip() or None,
                                                                    done.result()))

    def _pick_served_model(self, slot: int, url: str, key_env: str | None, models: list[str]) -> None:
        if not models:
            return
        model, ok = QInputDialog.getItem(self.window, "Server", f"Models served at {url}:", models, 0, False)
        if ok:
            self.choose_served(slot, url, key_env, model)

    def choose_served(self, slot: int, url: str, key_env: str | None, model: str) -> bool:
        """Load `model` of the server at `url` on the side shown in `slot`."""
        from gui.core.served import Server, served_source

        return self.choose_file(slot ^ self.swapped, served_source(Server(url, key_env), model))

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
        return [index for index, (path, header) in enumerate(zip(paths, headers))
                if path and self.choose_file(index, path, header)]

    def send(self, text: str) -> asyncio.Task:
        """Run one round with `text` as the next user turn of both conversations."""
        settings = self.window.settings

        def request_for(index: int) -> SideRequest:
            slot = index ^ self.swapped
            return SideRequest(settings.sampling(slot), settings.load_params(slot))

        self.round = Round(self.sides, text, settings.mode(), request_for, runs=settings.measure_runs())
        self._started = set()
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
        for index, runs in round_.measurements.items():
            if runs:
                self.pane_of(index).add_note(measure_summary([stats_dict(stats) for stats in runs]))
        return answers

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
            self.choose_file(slot ^ self.swapped, side.path)

    def _on_loaded(self, index: int, _model) -> None:
        self._loading_needs.pop(index, None)
        slot = index ^ self.swapped
        self.pane_of(index).set_loading(None)
        self._show_side(slot)
        self.window.show_status(f"{('Left', 'Right')[slot]} model loaded.")
        self.window.add_recent_file(self.sides[index].model.source)
        self.monitor.watch([s.model.source for s in self.sides if s.model is not None])
        self._tell_blind_names()  # its card's name is known only now

    def _on_load_failed(self, index: int, message: str) -> None:
        self._loading_needs.pop(index, None)
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
        if not self.batch_running:
            self.pane_of(index).append_text(text)

    def _on_answer_started(self, index: int, text: str) -> None:
        if self.batch_running:
            return
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
