"""The llama.cpp backend: the one module that imports llama_cpp, lazily, on the first load."""

import codecs
import contextlib
import ctypes
import dataclasses
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gui.core.backend import AnswerOutcome, EngineError, LoadedModel
from gui.core.chat import (
    NO_SYSTEM_ROLE,
    FormatChoice,
    StopStringFilter,
    choose_format,
    fold_system_prompt,
    refused_template,
)
from gui.core.cpu import build_has_amx, choose_weight_path, cpu_info, weight_path_name, weights_text
from gui.core.gguf_header import GGUFFileError, ModelCard, read_card
from gui.core.identity import model_identity
from gui.core.load_errors import explain_load_failure
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.parting import TOP_K, Parting

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("gui.llama")

# Models load one at a time: two loads at once double peak memory and muddle the captured log.
_LOAD_LOCK = threading.Lock()
_log_state = threading.local()
_log_callback = None  # the ctypes callback must outlive every call llama.cpp makes to it
_BUFFER_LINE = re.compile(r"(\S+) +(model|KV|compute|output) buffer size *= *([\d.]+) MiB")
# ggml's levels: 1 debug, 2 info, 3 warn, 4 error; 5 continues the previous line's level.
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_CONTINUE = 5
# llama-cpp-python's formatter functions are named format_<name> with "-" as "_", except these.
_FORMATTERS = {"llama-2": "format_llama2", "llama-3": "format_llama3", "vicuna": "format"}
# The chat a file's own template must render before it is used: the plainest there is.
_TRIAL_CHAT = [
    {"role": "user", "content": "Hello."},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "What is 2 + 2?"},
]


def _install_log_callback(llama_cpp) -> None:
    """Route llama.cpp's log into Python logging, and into the capture of the load under way."""
    global _log_callback
    if _log_callback is not None:
        return

    @llama_cpp.llama_log_callback
    def on_log(level: int, text: bytes, _user_data) -> None:
        line = text.decode("utf-8", errors="replace")
        captured = getattr(_log_state, "lines", None)
        if captured is not None:
            captured.append(line)
        if level != _CONTINUE:
            _log_state.level = _LEVELS.get(level, logging.INFO)
        if line.strip():
            log.log(getattr(_log_state, "level", logging.INFO), line.rstrip())

    _log_callback = on_log
    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))


def weight_buffers_from_log(lines: list[str]) -> tuple[str, ...]:
    """The buffers llama.cpp says it put a model's weights in, in its order (CPU_Mapped, CPU_REPACK, AMX…)."""
    found = (match.group(1) for match in map(_BUFFER_LINE.search, lines) if match and match.group(2) == "model")
    return tuple(dict.fromkeys(found))


def buffer_bytes_from_log(lines: list[str]) -> tuple[int, int]:
    """(weight bytes outside the mapping, context bytes) summed from llama.cpp's buffer-size lines."""
    unmapped = context = 0.0
    for line in lines:
        match = _BUFFER_LINE.search(line)
        if not match:
            continue
        where, kind, mib = match.groups()
        if kind == "model":
            if not where.endswith("_Mapped"):
                unmapped += float(mib)
        else:
            context += float(mib)
    return int(unmapped * 2**20), int(context * 2**20)


def _template_refusal(llama_chat_format, template: str, eos: str, bos: str) -> str | None:
    """Why a file's own chat template is refused, from a trial render of a sample chat; None when it is fine.

    The trial runs in a sandbox stricter than llama-cpp-python's, which renders an unsafe attribute
    as nothing until it is used further: here any unsafe access, and any include, import or extends,
    refuses the template at once, so the user learns it at load time rather than on sending.
    """
    import jinja2
    import jinja2.ext
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    formatter = llama_chat_format.Jinja2ChatFormatter

    class StrictSandbox(ImmutableSandboxedEnvironment):
        def unsafe_undefined(self, obj, attribute):
            raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    class NoFiles(jinja2.BaseLoader):
        def get_source(self, environment, template):
            raise SecurityError(f"loading the file {template!r}")

    # The same set-up and variables as llama-cpp-python's Jinja2ChatFormatter, so a good template passes.
    environment = StrictSandbox(
        loader=NoFiles(),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[formatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    environment.filters["tojson"] = formatter.tojson

    def raise_exception(message: str):
        raise ValueError(message)

    try:
        environment.from_string(template).render(
            messages=_TRIAL_CHAT, eos_token=eos, bos_token=bos, raise_exception=raise_exception,
            add_generation_prompt=True, functions=None, function_call=None, tools=None, tool_choice=None,
            strftime_now=formatter.strftime_now,
        )
    except SecurityError as error:
        return f"it tried something unsafe ({_quote(error)})"
    except Exception as error:  # noqa: BLE001 - the template is the file's code: whatever it raises, it is not used
        return f"it fails on a simple conversation ({type(error).__name__}: {_quote(error)})"
    return None


def _quote(error: Exception, limit: int = 160) -> str:
    """An error's text short enough for a one-line note (a template can raise with any text it likes)."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.cache
def _llama_class():
    """llama-cpp-python's Llama with a cheaper greedy pick (made once, after llama_cpp is imported)."""
    import llama_cpp
    import numpy as np

    class Llama(llama_cpp.Llama):
        def sample(self, **kwargs) -> int:
            """Greedy with nothing else in the chain: the first highest logit, read off llama.cpp's logits row.

            llama.cpp's sampler copies every logit into a candidate array first: 0.65 ms a token over
            Gemma's 262,144-token vocabulary (2% of its decode time), outside llama.cpp's eval timer.
            The argmax picks the very token llama.cpp's greedy sampler picks (the first of equal logits).
            """
            if not _plain_greedy(kwargs):
                return super().sample(**kwargs)
            row = -1 if kwargs.get("idx") is None else kwargs["idx"] - self.n_tokens
            logits = llama_cpp.llama_get_logits_ith(self.ctx, row)
            return int(np.argmax(np.ctypeslib.as_array(logits, shape=(self.n_vocab(),))))

    return Llama


def _plain_greedy(sampling: dict) -> bool:
    """Whether Llama.sample's arguments ask for greedy decoding and nothing that changes the logits first."""
    return (
        sampling.get("temp") == 0.0
        and sampling.get("repeat_penalty", 1.0) == 1.0
        and sampling.get("frequency_penalty", 0.0) == 0.0
        and sampling.get("presence_penalty", 0.0) == 0.0
        and sampling.get("grammar") is None
        and sampling.get("logits_processor") is None
    )


_system_info: str | None = None


def system_info() -> str:
    """llama.cpp's system line (its CPU features and build), read once, under the load lock.

    llama.cpp builds it in one static buffer: the other side's load reading it at the same moment (as
    Llama() does) garbled the text and corrupted the heap ("malloc(): unaligned tcache chunk").
    """
    global _system_info
    import llama_cpp

    with _LOAD_LOCK:
        if _system_info is None:
            _system_info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    return _system_info


@contextlib.contextmanager
def model_defaults(extra_buffers: bool, progress=None):
    """Loads inside get these model params: llama.cpp's extra weight buffers allowed or not, and a progress callback.

    Llama() takes neither, but builds its model params from llama_model_default_params: it stands in
    for that function for the loads inside, one load at a time (the load lock).
    """
    import llama_cpp.llama as llama_module

    with _LOAD_LOCK:
        # Read under the lock: outside it, a load waiting here took the other load's stand-in
        # for the original and "restored" it for good, one more wrapper per race (`make soak`).
        default_params = llama_module.llama_cpp.llama_model_default_params

        def params():
            model_params = default_params()
            if progress is not None:
                model_params.progress_callback = progress
            model_params.use_extra_bufts = extra_buffers
            return model_params

        llama_module.llama_cpp.llama_model_default_params = params
        try:
            yield
        finally:
            llama_module.llama_cpp.llama_model_default_params = default_params


class LlamaEngine:
    """The llama.cpp backend (gui.core.backend.Backend): one model, owned by one thread for its whole life."""

    def __init__(self):
        self._llm = None
        self._formatter = None
        self._format_name: str | None = None
        self._bos_text = ""
        self.loaded: LoadedModel | None = None

    def load(self, path: str, params: LoadParams, on_progress: Callable[[float], bool],
             card: ModelCard | None = None) -> LoadedModel:
        """Load `path`; `on_progress(fraction)` returning False cancels. Raises EngineError.

        `card`, the file's header when the caller has read it already, is not read again: stepping
        over a vocabulary holds Python's lock for 15-45 ms, and two sides reading at once starved the GUI.
        """
        self.close()
        if card is None:
            try:
                card = read_card(path)  # refuses a bad file before llama.cpp can abort the process on it
            except GGUFFileError as error:
                raise EngineError(str(error)) from error
        import llama_cpp
        from jinja2.exceptions import TemplateError

        _install_log_callback(llama_cpp)
        weight_path = choose_weight_path(params.weight_repack, cpu_info(), build_has_amx(system_info()))
        cancelled = False

        @llama_cpp.llama_progress_callback
        def progress(fraction: float, _user_data) -> bool:
            nonlocal cancelled
            cancelled = not on_progress(fraction)
            return not cancelled

        with model_defaults(weight_path.extra_buffers, progress):
            # The clock starts here: waiting for the other side's load is not this model's cost.
            started = time.perf_counter()
            _log_state.lines = lines = []
            try:
                llm = _llama_class()(
                    model_path=path,
                    n_ctx=params.n_ctx,
                    # Each request sets its own thread count (llama_set_n_threads); this is the start value.
                    n_threads=max(1, params.n_threads),
                    n_threads_batch=max(1, params.n_threads),
                    n_gpu_layers=params.n_gpu_layers,
                    seed=0,
                )
            except TemplateError as error:
                # llama-cpp-python compiles the file's templates while loading and refuses the file.
                raise EngineError(
                    f"The chat template inside {Path(path).name} does not parse ({error}): fix it (gguf's "
                    "gguf_new_metadata.py --chat-template) or pick another file."
                ) from error
            except (ValueError, RuntimeError) as error:
                if cancelled:
                    raise EngineError("Load cancelled.") from error
                raise EngineError(explain_load_failure(path, lines)) from error
            finally:
                _log_state.lines = None
            load_s = time.perf_counter() - started
        unmapped, context = buffer_bytes_from_log(lines)
        buffers = list(weight_buffers_from_log(lines))
        self._llm = llm
        choice = self._set_chat_format(card, params.chat_format)
        self.loaded = LoadedModel(
            card=card,
            load_s=load_s,
            model_bytes=llama_cpp.llama_model_size(llm.model),
            unmapped_weight_bytes=unmapped,
            context_bytes=context,
            n_ctx=llm.n_ctx(),
            chat_format=choice,
            identity=model_identity(card),
            source=path,
            runtime={"weight_path": weight_path_name(buffers), "weight_buffers": buffers},
        )
        log.info("%s: %s weights (%s)", Path(path).name, weights_text(self.loaded.runtime), weight_path.reason)
        return self.loaded

    def set_chat_format(self, override: str | None) -> FormatChoice:
        """Switch the loaded model's chat format (None: automatic) without reloading."""
        choice = self._set_chat_format(self.loaded.card, override)
        self.loaded = dataclasses.replace(self.loaded, chat_format=choice)
        return choice

    def _set_chat_format(self, card: ModelCard, override: str | None) -> FormatChoice:
        from llama_cpp import llama_chat_format

        choice = choose_format(card.architecture, card.has_chat_template, override)
        llm = self._llm
        eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", errors="replace")
        self._bos_text = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", errors="replace")
        if choice.name is None:
            refusal = _template_refusal(llama_chat_format, card.chat_template, eos, self._bos_text)
            if refusal is None:
                self._format_name = None
                self._formatter = llama_chat_format.Jinja2ChatFormatter(
                    template=card.chat_template, eos_token=eos, bos_token=self._bos_text
                )
                return choice
            log.warning("%s: chat template refused: %s", card.path, refusal)
            choice = refused_template(card.architecture, refusal)
        self._format_name = choice.name
        attribute = _FORMATTERS.get(choice.name, "format_" + choice.name.replace("-", "_"))
        self._formatter = getattr(llama_chat_format, attribute)
        return choice

    def _prompt_tokens(self, messages: list[dict]) -> tuple[list[int], list[str]]:
        """Render the chat format and tokenize it, special tokens included."""
        import llama_cpp
        from jinja2.exceptions import SecurityError, TemplateError, TemplateNotFound

        if self._format_name in NO_SYSTEM_ROLE:
            messages = fold_system_prompt(messages)
        try:
            rendered = self._formatter(messages=messages)
        except SecurityError as error:
            raise EngineError(
                f"Chat template refused: it tried something unsafe ({_quote(error)}). "
                "Pick a built-in chat format for this side."
            ) from error
        except TemplateNotFound as error:
            # include, import and extends: a chat template has no business loading anything else.
            raise EngineError(
                f"Chat template refused: it tried to load the file '{error.name}'. "
                "Pick a built-in chat format for this side."
            ) from error
        except (TemplateError, ValueError, TypeError) as error:
            raise EngineError(
                f"The chat template failed on this conversation ({error}). Start a new chat or pick a built-in format."
            ) from error
        stops = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
        llm = self._llm
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        # A template that writes the BOS text itself must not get a second one.
        add_bos = llama_cpp.llama_vocab_get_add_bos(vocab) and not rendered.prompt.startswith(self._bos_text)
        return llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=add_bos, special=True), stops

    def generate(
        self,
        messages: list[dict],
        sampling: SamplingParams,
        n_threads: int,
        should_stop: Callable[[], bool],
        *,
        reuse_prefix: bool = True,
    ) -> Generator[str, None, AnswerOutcome]:
        """Yield the text of each generated token ("" while a character is incomplete); return the AnswerOutcome.

        With `reuse_prefix` the cache keeps what the last prompt shares with this one (a chat's
        earlier turns); without, the whole prompt is processed, so TTFT compares like with like.
        """
        import llama_cpp

        llm = self._llm
        if llm is None:
            raise EngineError("No model is loaded on this side: pick a GGUF file first.")
        tokens, stops = self._prompt_tokens(messages)
        n_ctx = llm.n_ctx()
        if len(tokens) >= n_ctx:
            raise EngineError(
                f"The conversation is {len(tokens)} tokens, more than this side's context of {n_ctx}: "
                "start a new chat or raise the context size."
            )
        llama_cpp.llama_set_n_threads(llm.ctx, n_threads, n_threads)
        llm.set_seed(sampling.seed)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        if not reuse_prefix:
            llm.reset()  # forget the cached tokens: llama-cpp-python matches the new prompt against them
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stop_filter = StopStringFilter(stops)
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        reason = StopReason.MAX_TOKENS
        produced: list[int] = []
        for token in llm.generate(
            tokens,
            temp=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k,
            min_p=0.0,
            repeat_penalty=sampling.repeat_penalty,
        ):
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                reason = StopReason.END_OF_TEXT
                break
            produced.append(token)
            text = stop_filter.feed(decoder.decode(llm.detokenize([token])))
            yield text
            if stop_filter.hit:
                reason = StopReason.STOP_STRING
                break
            if should_stop():
                reason = StopReason.STOPPED_BY_USER
                break
            if len(produced) >= sampling.max_tokens:
                break
            if llm.n_tokens + 1 > n_ctx:  # no room left to decode the token just given
                reason = StopReason.CONTEXT_FULL
                break
        tail = "" if stop_filter.hit else stop_filter.flush() + decoder.decode(b"", final=True)
        counters = llama_cpp.llama_perf_context(llm.ctx)
        return AnswerOutcome(
            stop_reason=reason,
            prompt_tokens=counters.n_p_eval,
            prompt_eval_s=counters.t_p_eval_ms / 1000,
            counter_eval_tokens=counters.n_eval,
            counter_eval_s=counters.t_eval_ms / 1000,
            tail=tail,
            token_ids=tuple(produced),
        )

    def parting(self, messages: list[dict], answer_ids: Sequence[int], index: int, k: int = TOP_K) -> Parting:
        """This model where two answers part: its token at `index` of its answer and its top `k` there.

        The prompt and the answer's first `index` tokens are evaluated again, after the timed answer, so
        no figure pays for it; the probabilities are the softmax of the raw logits (no sampling settings).
        """
        import llama_cpp
        import numpy as np

        llm = self._model()
        context = self._prompt_tokens(messages)[0] + list(answer_ids[:index])
        if len(context) >= llm.n_ctx():
            raise EngineError(f"The answers part at token {index + 1}, beyond this side's context: "
                              "raise the context size to see where.")
        llm.reset()
        llm.eval(context)
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
        probabilities = np.exp(logits - logits.max(), dtype=np.float64)
        probabilities /= probabilities.sum()
        top = np.argpartition(probabilities, -k)[-k:]
        top = top[np.argsort(probabilities[top])[::-1]]
        chosen = answer_ids[index] if index < len(answer_ids) else llm.token_eos()  # an answer ended there

        def text(token: int) -> str:
            return llm.detokenize([int(token)]).decode("utf-8", errors="replace")

        before = llm.detokenize(list(answer_ids[:index])).decode("utf-8", errors="replace")
        return Parting(index, before, text(chosen) if index < len(answer_ids) else "", float(probabilities[chosen]),
                       tuple((text(token), float(probabilities[token])) for token in top))

    def scoring_tokens(self, text: str) -> tuple[list[int], int | None]:
        """The text's tokens as llama.cpp's perplexity tool makes them, and the BOS every chunk starts with.

        BOS first where the model adds one (None: it adds none); special tokens in the text are read as
        plain text, since the text is data, not a chat.
        """
        import llama_cpp

        llm = self._model()
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        add_bos = llama_cpp.llama_vocab_get_add_bos(llama_cpp.llama_model_get_vocab(llm.model))
        return tokens, (llm.token_bos() if add_bos else None)

    def chunk_log_probs(self, tokens: list[int], first: int, block_rows: int) -> Iterator["np.ndarray"]:
        """Evaluate `tokens` from an empty cache; yield the log-softmax (float64) of the rows at positions
        `first` to len-2, each predicting the token after it, `block_rows` rows at a time, in order.

        Only those rows' logits are asked of llama.cpp, and they are read where llama.cpp keeps them: a
        whole chunk's rows over Gemma's 262,144-token vocabulary would be half a gigabyte in float64. The
        decode is split at the context's batch size, each piece's rows yielded before the next overwrites them.
        """
        import llama_cpp
        import numpy as np

        llm = self._model()
        n_vocab, n_batch, ctx = llm.n_vocab(), llm.n_batch, llm.ctx
        if len(tokens) > llm.n_ctx():
            raise EngineError(f"A chunk of {len(tokens)} tokens does not fit this context of {llm.n_ctx()}.")
        llm.reset()  # llama-cpp-python's own record of the cached tokens no longer holds
        memory = llama_cpp.llama_get_memory(ctx)
        llama_cpp.llama_memory_clear(memory, True)
        batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        try:
            for start in range(0, len(tokens), n_batch):
                piece = tokens[start : start + n_batch]
                outputs = 0
                for i, token in enumerate(piece):
                    position = start + i
                    wanted = first <= position < len(tokens) - 1
                    batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, position, 1
                    batch.seq_id[i][0] = 0
                    batch.logits[i] = wanted
                    outputs += wanted
                batch.n_tokens = len(piece)
                status = llama_cpp.llama_decode(ctx, batch)
                if status != 0:
                    raise EngineError(f"llama.cpp could not evaluate the text (llama_decode returned {status}).")
                if not outputs:
                    continue
                rows = np.ctypeslib.as_array(llama_cpp.llama_get_logits(ctx), shape=(outputs, n_vocab))
                for at in range(0, outputs, block_rows):
                    block = rows[at : at + block_rows].astype(np.float64)
                    block -= block.max(axis=1, keepdims=True)
                    block -= np.log(np.exp(block).sum(axis=1, keepdims=True))
                    yield block
        finally:
            llama_cpp.llama_batch_free(batch)
            llama_cpp.llama_memory_clear(memory, True)

    def token_bytes(self, ids: list[int]) -> list[bytes]:
        """Each token's bytes as the model spells it, special tokens as their text."""
        llm = self._model()
        return [llm.detokenize([token], special=True) for token in ids]

    def _model(self):
        """The loaded Llama, or EngineError saying to load one."""
        if self._llm is None:
            raise EngineError("No model is loaded on this side: pick a GGUF file first.")
        return self._llm

    def close(self) -> None:
        """Free the model; call it on the owning thread."""
        if self._llm is not None:
            self._llm.close()
        self._llm = None
        self._formatter = None
        self.loaded = None
