"""A fake engine that plays back queued answers, for tests of the threads and the views."""

import threading
import time
import zlib
from pathlib import Path

from gui.core.chat import FormatChoice
from gui.core.backend import AnswerOutcome, EngineError, LoadedModel
from gui.core.metrics import StopReason
from gui.core.parting import TOP_K, Parting


def fake_card(path: str = "/models/SmolLM2-135M-Instruct.Q4_1.gguf", **changes):
    """A ModelCard as the header reader gives for SmolLM2, with any field changed."""
    from gui.core.gguf_header import ModelCard

    fields = dict(
        path=path,
        file_size=98_362_432,
        architecture="llama",
        name="SmolLM2 135M Instruct",
        parameter_count=134_515_008,
        quantization="Q4_1",
        context_length=8192,
        chat_template="{% for m in messages %}{{ m.content }}{% endfor %}",
    )
    return ModelCard(**{**fields, **changes})


def fake_token_id(piece: str) -> int:
    """A fake token's id: the same piece, the same id."""
    return zlib.crc32(piece.encode())


class FakeEngine:
    """Plays back queued answers token by token, at a set pace, and honours stop like the real one."""

    def __init__(self, answers=(), token_delay_s: float = 0.0, load_delay_s: float = 0.0, fail_load: str | None = None):
        self.answers = [list(a) for a in answers]
        self.token_delay_s = token_delay_s
        self.load_delay_s = load_delay_s
        self.fail_load = fail_load
        self.loaded = None
        self.calls: list[tuple] = []
        self.threads: set[str] = set()
        self.closed = 0
        self.tokens_after_stop = 0

    def _note(self, *call):
        self.calls.append(call)
        self.threads.add(threading.current_thread().name)

    def load(self, path, params, on_progress, card=None):
        self._note("load", path)
        for step in range(5):
            time.sleep(self.load_delay_s / 5)
            if not on_progress(step / 4):
                raise EngineError("Load cancelled.")
        if self.fail_load:
            raise EngineError(self.fail_load)
        self.loaded = LoadedModel(
            card=fake_card(path), load_s=0.01, model_bytes=1000, unmapped_weight_bytes=0,
            context_bytes=500, n_ctx=params.n_ctx, chat_format=FormatChoice(None, "Chat template: the file's own."),
            identity={"label": Path(path).stem, "path": path, "architecture": "llama", "fingerprint": "fake"},
            source=path,
            runtime={"weight_path": "plain", "weight_buffers": ["CPU_Mapped"]},
        )
        return self.loaded

    def set_chat_format(self, override):
        self._note("format", override)
        return FormatChoice(override, f"format {override}")

    def generate(self, messages, sampling, n_threads, should_stop, *, reuse_prefix=True):
        self._note("generate", messages, n_threads, reuse_prefix)
        pieces = self.answers.pop(0) if self.answers else ["ok"]
        reason = StopReason.END_OF_TEXT
        for count, piece in enumerate(pieces, 1):
            time.sleep(self.token_delay_s)
            yield piece
            if should_stop():
                reason = StopReason.STOPPED_BY_USER
                break
            if count >= sampling.max_tokens:
                reason = StopReason.MAX_TOKENS
                break
        self.given = pieces[:count]
        return AnswerOutcome(reason, prompt_tokens=3, prompt_eval_s=0.001, counter_eval_tokens=count,
                             counter_eval_s=0.01, tail="", token_ids=tuple(map(fake_token_id, self.given)))

    def parting(self, messages, answer_ids, index, k=TOP_K):
        """Its last answer's piece at `index`, sure of it, then the other pieces of that answer."""
        self._note("parting", messages, tuple(answer_ids), index)
        chosen = self.given[index] if index < len(self.given) else ""
        others = [piece for piece in dict.fromkeys(self.given) if piece != chosen][:k - 1]
        return Parting(index, "".join(self.given[:index]), chosen, 0.9,
                       ((chosen, 0.9), *((piece, 0.1 / len(others)) for piece in others)))

    def close(self):
        self._note("close")
        self.closed += 1
        self.loaded = None
