"""The seam between the app and what runs a model: the backend protocols, their neutral types, and their factories.

Controllers, the bridge, the batch runner and the store speak only this. One backend object holds one
model for its whole life on one thread: load, then any number of generate, then close.
"""

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gui.core.chat import FormatChoice
from gui.core.gguf_header import ModelCard
from gui.core.metrics import LLAMA_COUNTERS, StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.parting import TOP_K, Parting


class EngineError(Exception):
    """A failure told in plain words: what went wrong and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    """A ready model and what its load cost."""

    card: ModelCard | None  # the GGUF file's header; None for a model served elsewhere
    load_s: float
    model_bytes: int  # the weights as the backend holds them
    unmapped_weight_bytes: int  # weight buffers outside the file mapping (repacked, offloaded)
    context_bytes: int  # KV cache + compute + output buffers
    n_ctx: int
    chat_format: FormatChoice
    identity: dict  # what results record about the file (gui.core.identity.model_identity)
    source: str  # what the user picked: the file's path
    # The backend's own facts about how it runs the model, stored beside every answer's figures
    # (llama.cpp: weight_path "repacked"/"plain" and weight_buffers, e.g. ["CPU_Mapped", "CPU_REPACK"]).
    runtime: dict


@dataclass(frozen=True)
class AnswerOutcome:
    """How an answer ended, with the backend's own counters for it (llama.cpp's, or a server's timings)."""

    stop_reason: StopReason
    prompt_tokens: int
    prompt_eval_s: float
    counter_eval_tokens: int
    counter_eval_s: float
    tail: str  # text held back at the end (an incomplete stop string or character), not a token
    counters_source: str | None = LLAMA_COUNTERS  # None: the backend counted nothing (a server that tells none)
    token_ids: tuple[int, ...] = ()  # the tokens generated, where the backend knows them: where two answers part


@runtime_checkable
class Backend(Protocol):
    """What runs one model on a thread of its own (load, generate, close on that thread): the llama.cpp engine."""

    loaded: LoadedModel | None

    def load(self, path: str, params: LoadParams, on_progress: Callable[[float], bool],
             card: ModelCard | None = None) -> LoadedModel:
        """Make the model ready; `on_progress(fraction)` returning False cancels. Raises EngineError."""

    def set_chat_format(self, override: str | None) -> FormatChoice:
        """Use another chat format from the next answer on (None: the model's own)."""

    def generate(self, messages: list[dict], sampling: SamplingParams, n_threads: int,
                 should_stop: Callable[[], bool], *, reuse_prefix: bool = True) -> Generator[str, None, AnswerOutcome]:
        """Yield the text of each generated token; return how the answer ended. Raises EngineError."""

    def parting(self, messages: list[dict], answer_ids: Sequence[int], index: int, k: int = TOP_K) -> Parting:
        """Its token at `index` of an answer to `messages` and its top `k` there (core.parting). Raises EngineError."""

    def close(self) -> None:
        """Free the model; the backend may load another."""


@runtime_checkable
class AsyncBackend(Protocol):
    """What runs one model elsewhere, on the event loop with no thread of its own: a served model."""

    loaded: LoadedModel | None

    async def load(self, source: str, params: LoadParams, on_progress: Callable[[float], bool]) -> LoadedModel:
        """Make the model ready (reach the server, find the model). Raises EngineError."""

    async def answer(self, messages: list[dict], sampling: SamplingParams, should_stop: Callable[[], bool],
                     on_text: Callable[[str, float], None]) -> AnswerOutcome:
        """Stream one answer, each piece to `on_text(text, arrival time)`; return how it ended. Raises EngineError."""

    async def close(self) -> None:
        """Let the model go (close the connections)."""


def local_backend() -> Backend:
    """The backend for GGUF files on this machine: llama.cpp's bindings load with its first model, not before."""
    from gui.core.engine import LlamaEngine

    return LlamaEngine()


def served_backend() -> AsyncBackend:
    """The backend for a model on an OpenAI-compatible server: httpx loads with the first one, not before."""
    from gui.core.served import ServedBackend

    return ServedBackend()
