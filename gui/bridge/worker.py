"""One engine on its own QThread: load, generate and close all happen on that thread."""

import ctypes
import functools
import logging
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from gui.core.backend import AnswerOutcome, EngineError
from gui.core.metrics import LLAMA_COUNTERS, TOKEN_TIMESTAMPS, GenerationStats, StopReason, TokenClock
from gui.core.params import LoadParams, SamplingParams
from gui.core.paths import LOG_FILE

log = logging.getLogger(__name__)
# Neutral: a worker serves the window and the batch command alike.
TRACEBACK_HINT = f"The traceback is in {LOG_FILE} in the data folder (View › Log in the app)."


@dataclass(frozen=True)
class Answer:
    """One side's finished (stopped or failed) answer to one request."""

    request_id: int
    text: str
    stats: GenerationStats
    counters: AnswerOutcome | None  # llama.cpp's own counters; None when the request failed


@dataclass(frozen=True)
class GenerateRequest:
    """One answer asked of a worker; `cancel` is polled between tokens."""

    request_id: int
    messages: list[dict]
    sampling: SamplingParams
    n_threads: int
    contended: bool
    cancel: threading.Event
    reuse_prefix: bool = True  # False: process the whole prompt, as a timed batch answer must


@dataclass(frozen=True)
class TokenEvent:
    """What the worker queues for the GUI: the request's start (text None), or text that arrived."""

    request_id: int
    text: str | None
    at: float
    is_token: bool = True  # False for text held back to the end, which is no token


# glibc's malloc.h: allocations from this size up get their own mmap, unmapped again when freed.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 2**20


@functools.cache
def keep_large_buffers_returnable() -> None:
    """Pin glibc's mmap threshold, so a freed model's buffers go back to the system (Linux; once a process).

    By default glibc raises the threshold to the size of each mmapped block freed (up to 32 MiB),
    so after a model is freed the next one's KV and compute buffers come from the heap, which
    keeps them when they are freed: switching and reloading models grew RSS by one or two such
    buffers (20-90 MiB) at random (`make soak`). A threshold set by hand stays where it is.
    """
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return  # the user chose one; other C libraries keep their own policy
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)


def unexpected_answer_error(loaded, failure: Exception) -> str:
    """The message for an answer that failed in a way nobody planned for, its traceback logged."""
    name = f"'{Path(loaded.source).name}'" if loaded is not None else "The model"
    log.exception("%s failed while answering", name)
    return (f"{name} failed while answering: something unexpected went wrong ({failure}). Ask again; "
            f"if it fails again, load it again. {TRACEBACK_HINT}")


class AnswerRecorder:
    """One answer as it streams: each piece into the token queue, timed; its Answer with figures at the end.

    Used on the engine's thread (a local model) and on the event loop (a served one), so both
    answers reach the panes by the same queue and carry the same figures.
    """

    def __init__(self, request: GenerateRequest, tokens: queue.SimpleQueue):
        self.request = request
        self._tokens = tokens
        self.started = time.perf_counter()
        self.clock = TokenClock(self.started)
        self.pieces: list[str] = []
        tokens.put(TokenEvent(request.request_id, None, self.started))

    def add(self, text: str, at: float) -> None:
        """A token's text (or a served chunk's) that arrived at `at`."""
        self.clock.tick(at)
        self.pieces.append(text)
        self._tokens.put(TokenEvent(self.request.request_id, text, at))

    def finish(self, counters: AnswerOutcome | None, error: str | None, first_after_load: bool,
               arrival: str = TOKEN_TIMESTAMPS) -> Answer:
        """The answer with its figures and their sources.

        Decode speed is the clock's (`arrival` names it: the engine's token timestamps, or a served
        stream's chunks as they reached us), except where a server gave its own decode timings: a
        chunk is not always one token, and the network jitters the arrivals.
        """
        if counters is not None and counters.tail:
            self.pieces.append(counters.tail)
            self._tokens.put(TokenEvent(self.request.request_id, counters.tail, time.perf_counter(), is_token=False))
        server_decode = (counters is not None and counters.counters_source not in (None, LLAMA_COUNTERS)
                         and counters.counter_eval_s > 0)
        prompt_counted = counters is not None and counters.prompt_eval_s > 0
        stats = GenerationStats(
            prompt_tokens=counters.prompt_tokens if counters else 0,
            tokens=self.clock.count,
            ttft_s=self.clock.ttft_s,
            prompt_tps=counters.prompt_tokens / counters.prompt_eval_s if prompt_counted else None,
            decode_tps=counters.counter_eval_tokens / counters.counter_eval_s if server_decode
            else self.clock.decode_tps,
            elapsed_s=time.perf_counter() - self.started,
            stop_reason=counters.stop_reason if counters else StopReason.ERROR,
            threads=self.request.n_threads,
            contended=self.request.contended,
            first_after_load=first_after_load,
            error=error,
            decode_source=counters.counters_source if server_decode else arrival,
            prompt_source=counters.counters_source if prompt_counted else None,
        )
        return Answer(self.request.request_id, "".join(self.pieces), stats, counters)


class EngineWorker(QObject):
    """Runs one backend's calls on the thread it was moved to; tokens go to a queue, not to signals.

    Each signal carries the request id it answers, so the Side can drop what a newer request superseded.

    Signals:
        loadProgressed(int, float): the load `request_id` reached this fraction (0 to 1).
        loaded(int, LoadedModel): the load `request_id` is ready.
        loadFailed(int, str): the load `request_id` failed; the message says why and what to do.
        formatChanged(FormatChoice): the loaded model answers in this chat format from now on.
        finished(Answer): an answer ended (done, stopped or failed), with its text and figures.
        partingFound(int, object): the Parting asked for by request `request_id`, or the EngineError why not.
        closed(): the model was freed on this thread.
    """

    loadProgressed = Signal(int, float)
    loaded = Signal(int, object)
    loadFailed = Signal(int, str)
    formatChanged = Signal(object)
    finished = Signal(object)
    partingFound = Signal(int, object)
    closed = Signal()

    def __init__(self, engine, tokens: queue.SimpleQueue):
        super().__init__()
        keep_large_buffers_returnable()  # before any model is loaded
        self._engine = engine
        self._tokens = tokens
        self._first_after_load = False

    @Slot(int, str, object, object, object)
    def load(self, request_id: int, path: str, params: LoadParams, cancel: threading.Event, card) -> None:
        """Load a model, reporting llama.cpp's progress; `cancel` aborts it; `card`, its header if read already."""

        def on_progress(fraction: float) -> bool:
            self.loadProgressed.emit(request_id, fraction)
            return not cancel.is_set()

        try:
            loaded = self._engine.load(path, params, on_progress, card)
        except EngineError as error:
            self.loadFailed.emit(request_id, str(error))
            return
        except Exception as error:  # noqa: BLE001 - a slot must answer, or the side waits for ever
            log.exception("loading %s failed", path)
            self.loadFailed.emit(
                request_id,
                f"'{Path(path).name}' did not load: something unexpected went wrong ({error}). Load it again; "
                f"if it fails again, pick another file. {TRACEBACK_HINT}",
            )
            return
        self._first_after_load = True
        self.loaded.emit(request_id, loaded)

    @Slot(object)
    def set_chat_format(self, override: str | None) -> None:
        """Change the chat format of the loaded model."""
        if self._engine.loaded is not None:
            self.formatChanged.emit(self._engine.set_chat_format(override))

    @Slot(object)
    def generate(self, request: GenerateRequest) -> None:
        """Stream one answer into the token queue, then emit `finished` with its figures."""
        recorder = AnswerRecorder(request, self._tokens)
        first_after_load, self._first_after_load = self._first_after_load, False
        counters = None
        error = None
        try:
            stream = self._engine.generate(
                request.messages, request.sampling, request.n_threads, request.cancel.is_set,
                reuse_prefix=request.reuse_prefix,
            )
            while True:
                try:
                    text = next(stream)
                except StopIteration as end:
                    counters = end.value
                    break
                recorder.add(text, time.perf_counter())
        except EngineError as failure:
            error = str(failure)
        except Exception as failure:  # noqa: BLE001 - a slot must answer, or the round waits for ever
            error = unexpected_answer_error(self._engine.loaded, failure)
        self.finished.emit(recorder.finish(counters, error, first_after_load))

    @Slot(int, object, object, int)
    def parting(self, request_id: int, messages: list[dict], answer_ids: tuple[int, ...], index: int) -> None:
        """The model's token and top candidates where two answers part (after the answers: not timed)."""
        try:
            found = self._engine.parting(messages, answer_ids, index)
        except EngineError as error:
            found = error
        except Exception as error:  # noqa: BLE001 - a slot must answer, or the arena waits for ever
            log.exception("reading the parting failed")
            found = EngineError(f"Where the answers part could not be read ({error}). {TRACEBACK_HINT}")
        self.partingFound.emit(request_id, found)

    @Slot()
    def close(self) -> None:
        """Free the model on this thread."""
        self._engine.close()
        self.closed.emit()
