"""One side of the arena, on the GUI thread: its worker thread, its conversation, its requests."""

import asyncio
import itertools
import logging
import queue
import threading
import time
from pathlib import Path

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from gui.bridge.worker import (
    TRACEBACK_HINT,
    Answer,
    AnswerRecorder,
    EngineWorker,
    GenerateRequest,
    unexpected_answer_error,
)
from gui.core import crash
from gui.core.backend import EngineError, served_backend
from gui.core.chat import Conversation
from gui.core.cpu import weights_text
from gui.core.gguf_header import ModelCard
from gui.core.metrics import CLIENT_CLOCK, TokenClock
from gui.core.params import LoadParams, SamplingParams
from gui.core.sources import is_served

log = logging.getLogger(__name__)
_request_ids = itertools.count(1)
LIVE_INTERVAL_S = 1.0  # rates update about once a second: faster only makes the gauge flicker


class LoadFailed(Exception):
    """A model did not load; the message says why and what to do."""


class Side(QObject):
    """Commands go to the worker as queued signals; results come back as signals and futures.

    Request ids make late output of a stopped or superseded request harmless: only the current
    request's results are passed on.

    Signals:
        loadProgressed(float): the current load reached this fraction (0 to 1).
        loaded(LoadedModel): the current load is ready; the conversation starts afresh.
        loadFailed(str): the current load failed; the message says why and what to do.
        formatChanged(FormatChoice): the model answers in this chat format from now on.
        answerStarted(str): an answer to this user text was asked for.
        textArrived(str): text of the current answer reached the GUI thread (one pump tick's worth).
        liveUpdated(TokenClock): the current answer's clock, about once a second while it streams.
        answerFinished(Answer): the current answer ended (done, stopped or failed).
    """

    loadProgressed = Signal(float)
    loaded = Signal(object)
    loadFailed = Signal(str)
    formatChanged = Signal(object)
    answerStarted = Signal(str)
    textArrived = Signal(str)
    liveUpdated = Signal(object)
    answerFinished = Signal(object)

    _loadRequested = Signal(int, str, object, object, object)
    _formatRequested = Signal(object)
    _generateRequested = Signal(object)
    _partingRequested = Signal(int, object, object, int)
    _freeRequested = Signal()

    def __init__(self, name: str, engine, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.conversation = Conversation()
        self.model = None  # the LoadedModel once loaded
        self.path: str | None = None
        self._tokens: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = QThread()
        self._thread.setObjectName(f"engine-{name}")
        self._worker = EngineWorker(engine, self._tokens)
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._loadRequested.connect(self._worker.load)
        self._formatRequested.connect(self._worker.set_chat_format)
        self._generateRequested.connect(self._worker.generate)
        self._partingRequested.connect(self._worker.parting)
        self._freeRequested.connect(self._worker.close)
        self._worker.loadProgressed.connect(self._on_load_progressed)
        self._worker.loaded.connect(self._on_loaded)
        self._worker.loadFailed.connect(self._on_load_failed)
        self._worker.formatChanged.connect(self._on_format_changed)
        self._worker.finished.connect(self._on_finished)
        self._worker.partingFound.connect(self._on_parting_found)
        self._load_id = 0
        self._load_cancel = threading.Event()
        self._answer_id = 0
        self._answer_cancel = threading.Event()
        self._user_text = ""
        self.last_messages: list[dict] = []  # what the last answer was asked with (core.parting needs them)
        self._keep = True
        self._clock: TokenClock | None = None
        self._last_live = 0.0
        self._futures: dict[int, asyncio.Future] = {}
        # A served model runs on the event loop, not the thread: made when the user first picks one.
        self._served = None
        self._served_active = False
        self._tasks: set[asyncio.Task] = set()
        self._first_after_load = False
        self._thread.start()

    @property
    def loading(self) -> bool:
        return self._load_id != 0

    @property
    def busy(self) -> bool:
        return self._answer_id != 0

    @property
    def live_tokens(self) -> int:
        """Tokens of the current (or last) answer that reached the GUI so far."""
        return self._clock.count if self._clock is not None else 0

    def load(self, path: str, params: LoadParams, card: ModelCard | None = None) -> None:
        """Load `path` (a file, on the worker thread; a served model, on the event loop), replacing any model.

        `card`: a file's header, if read already.
        """
        self.cancel_load()
        self.model = None
        self.path = path
        self._load_id = next(_request_ids)
        self._load_cancel = threading.Event()
        self._note("loading", Path(path).name)
        if is_served(path):
            self._freeRequested.emit()  # the file this side held gives its memory back
            self._served = self._served or served_backend()
            self._served_active = True
            self._start(self._load_served(self._load_id, path, params, self._load_cancel))
            return
        if self._served_active:
            self._served_active = False
            self._start(self._served.close())
        self._loadRequested.emit(self._load_id, path, params, self._load_cancel, card)

    def _start(self, coroutine) -> None:
        """Run a served model's step on the event loop, held until it ends."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load_served(self, load_id: int, source: str, params: LoadParams, cancel: threading.Event) -> None:
        def on_progress(fraction: float) -> bool:
            self._on_load_progressed(load_id, fraction)
            return not cancel.is_set()

        try:
            model = await self._served.load(source, params, on_progress)
        except EngineError as error:
            self._on_load_failed(load_id, str(error))
            return
        except Exception as error:  # noqa: BLE001 - the side must hear back, or it waits for ever
            log.exception("connecting to %s failed", source)
            self._on_load_failed(load_id, f"The server did not answer as expected ({error}). {TRACEBACK_HINT}")
            return
        self._first_after_load = True
        self._on_loaded(load_id, model)

    async def _answer_served(self, request: GenerateRequest) -> None:
        recorder = AnswerRecorder(request, self._tokens)
        first_after_load, self._first_after_load = self._first_after_load, False
        counters = error = None
        try:
            counters = await self._served.answer(request.messages, request.sampling, request.cancel.is_set,
                                                 recorder.add)
        except EngineError as failure:
            error = str(failure)
        except Exception as failure:  # noqa: BLE001 - the round must hear back, or it waits for ever
            error = unexpected_answer_error(self._served.loaded, failure)
        self._on_finished(recorder.finish(counters, error, first_after_load, arrival=CLIENT_CLOCK))

    def load_ended(self) -> asyncio.Future:
        """A future for the next load to end: None once the model is ready, else the reason it failed."""
        future = asyncio.get_running_loop().create_future()

        def settle(outcome) -> None:
            self.loaded.disconnect(settle)
            self.loadFailed.disconnect(settle)
            future.set_result(outcome if isinstance(outcome, str) else None)

        self.loaded.connect(settle)
        self.loadFailed.connect(settle)
        return future

    async def load_model(self, path: str, params: LoadParams):
        """`load`, then wait: the LoadedModel, or LoadFailed with llama.cpp's reason."""
        ended = self.load_ended()
        self.load(path, params)
        error = await ended
        if error is not None:
            raise LoadFailed(error)
        return self.model

    def cancel_load(self) -> None:
        """Abort the load under way; llama.cpp stops at its next progress report."""
        self._load_cancel.set()

    def set_chat_format(self, override: str | None) -> None:
        """Use another chat format from the next request on (a server applies its own)."""
        if self._served_active:
            if self.model is not None:  # the server's own note stands; a model still being reached has none yet
                self.formatChanged.emit(self.model.chat_format)
            return
        self._formatRequested.emit(override)

    def ask(self, user_text: str, sampling: SamplingParams, n_threads: int, contended: bool,
            reuse_prefix: bool = True, keep: bool = True) -> int:
        """Send the next user turn of this side's conversation; returns the request id.

        With `keep` False the answer does not join the conversation (a measured run that is not the last).
        """
        self.stop()
        self._answer_id = request_id = next(_request_ids)
        self._answer_cancel = threading.Event()
        self._user_text = user_text
        self._keep = keep
        self._clock = None
        self._last_live = 0.0  # the first token's figures (TTFT) show at once
        messages = self.last_messages = self.conversation.messages(sampling.system_prompt, user_text)
        self._note("answering")
        self.answerStarted.emit(user_text)
        request = GenerateRequest(request_id, messages, sampling, n_threads, contended, self._answer_cancel,
                                  reuse_prefix)
        if self._served_active:
            self._start(self._answer_served(request))
        else:
            self._generateRequested.emit(request)
        return request_id

    async def answer(self, user_text: str, sampling: SamplingParams, n_threads: int, contended: bool,
                     reuse_prefix: bool = True, keep: bool = True) -> Answer:
        """`ask`, then wait for the answer (stopped and failed answers included)."""
        future = asyncio.get_running_loop().create_future()
        self._futures[self.ask(user_text, sampling, n_threads, contended, reuse_prefix, keep)] = future
        return await future

    async def parting(self, messages: list[dict], answer_ids: tuple[int, ...], index: int):
        """This side's token at `index` of its answer `answer_ids` to `messages` and its top candidates there,
        read on its thread (core.parting.Parting); EngineError where it cannot tell (a served model)."""
        if self._served_active:
            raise EngineError("A served model does not tell its candidates for a token.")
        request_id = next(_request_ids)
        future = self._futures[request_id] = asyncio.get_running_loop().create_future()
        self._partingRequested.emit(request_id, messages, answer_ids, index)
        found = await future
        if isinstance(found, EngineError):
            raise found
        return found

    def stop(self) -> None:
        """Stop the answer under way; the worker sees it before its next token."""
        self._answer_cancel.set()

    def new_chat(self) -> None:
        """Forget this side's conversation."""
        self.stop()
        self.conversation.clear()

    def drain(self) -> None:
        """Move queued tokens to the views; called by the pump on the GUI thread."""
        texts = []
        while True:
            try:
                event = self._tokens.get_nowait()
            except queue.Empty:
                break
            if event.request_id != self._answer_id:
                continue  # late output of a stopped request
            if event.text is None:
                self._clock = TokenClock(event.at)
                continue
            if event.is_token:
                self._clock.tick(event.at)
            texts.append(event.text)
        text = "".join(texts)
        if text:
            self.textArrived.emit(text)
        now = time.perf_counter()
        streaming = self._answer_id != 0 and self._clock is not None and self._clock.count
        if streaming and now - self._last_live >= LIVE_INTERVAL_S:
            self._last_live = now
            self.liveUpdated.emit(self._clock)

    def shutdown(self) -> None:
        """Stop, quit, wait, free: the model is closed on its own thread before the thread ends."""
        if not self._thread.isRunning():
            return
        self.cancel_load()
        self.stop()
        # Blocking: the worker finishes the token or load step in hand, then frees the model.
        QMetaObject.invokeMethod(self._worker, "close", Qt.ConnectionType.BlockingQueuedConnection)
        self._thread.quit()
        self._thread.wait()
        if self._served is not None:
            self._close_served()
        self._note("closed")

    def _close_served(self) -> None:
        """Let the served model go: its answer under way ends, its connections close."""
        for task in list(self._tasks):
            task.cancel()
        loop = asyncio.get_event_loop()
        if loop.is_running():
            self._start(self._served.close())
        else:
            loop.run_until_complete(self._served.close())

    def _note(self, doing: str, model: str | None = None, weights: str | None = None) -> None:
        """Tell the crash recorder what this side does now, so a native crash can be told of at the next start."""
        crash.note_side(f"model {self.objectName().upper()}", doing, model, weights)

    @Slot(int, float)
    def _on_load_progressed(self, request_id: int, fraction: float) -> None:
        if request_id == self._load_id:
            self.loadProgressed.emit(fraction)

    @Slot(int, object)
    def _on_loaded(self, request_id: int, model) -> None:
        if request_id != self._load_id:
            return
        self._load_id = 0
        self.model = model
        self.conversation.clear()
        self._note("ready", Path(model.source).name, weights_text(model.runtime))
        self.loaded.emit(model)

    @Slot(int, str)
    def _on_load_failed(self, request_id: int, message: str) -> None:
        if request_id != self._load_id:
            return
        self._load_id = 0
        self._note("idle")
        self.loadFailed.emit(message)

    @Slot(object)
    def _on_format_changed(self, choice) -> None:
        self.formatChanged.emit(choice)

    @Slot(int, object)
    def _on_parting_found(self, request_id: int, found) -> None:
        future = self._futures.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(found)

    @Slot(object)
    def _on_finished(self, answer: Answer) -> None:
        future = self._futures.pop(answer.request_id, None)
        if answer.request_id == self._answer_id:
            self.drain()  # the last tokens may still be queued behind this signal
            self._answer_id = 0
            self._note("ready")
            if self._keep:
                self.conversation.record(self._user_text, answer.text if answer.stats.error is None else None)
            self.answerFinished.emit(answer)
        if future is not None and not future.done():
            future.set_result(answer)
