"""Speed figures of one answer, with the definitions DESIGN.md gives (tokens, not text chunks)."""

import enum
from dataclasses import dataclass


class StopReason(enum.Enum):
    """Why an answer ended."""

    END_OF_TEXT = "end of text"
    STOP_STRING = "stop string"
    MAX_TOKENS = "max tokens"
    CONTEXT_FULL = "context full"
    STOPPED_BY_USER = "stopped by user"
    TIME_LIMIT = "time limit"  # a served stream that went on past its time bound
    CUT_OFF = "cut off"  # a served stream that ended before the server said the answer was done
    ERROR = "error"


# Where a figure came from, stored beside it.
TOKEN_TIMESTAMPS = "token timestamps"  # each token stamped as the engine yielded it
CLIENT_CLOCK = "client clock"  # each chunk of a served stream stamped as it reached us
LLAMA_COUNTERS = "llama.cpp counters"  # llama_perf_context, reset per answer
SERVER_TIMINGS = "server timings"  # llama-server's `timings`
SERVER_USAGE = "server usage"  # the OpenAI `usage` object


@dataclass(frozen=True)
class GenerationStats:
    """The figures of one finished (or stopped) answer; times in seconds."""

    prompt_tokens: int
    tokens: int
    ttft_s: float | None
    prompt_tps: float | None
    decode_tps: float | None
    elapsed_s: float
    stop_reason: StopReason
    threads: int
    contended: bool
    first_after_load: bool
    error: str | None = None
    # Where the figures came from (stored with each answer): decode and TTFT by the timestamps of the tokens
    # as they reached us, or by a server's own timings; the prompt's by llama.cpp's or a server's counters.
    decode_source: str = TOKEN_TIMESTAMPS
    prompt_source: str | None = LLAMA_COUNTERS


class TokenClock:
    """Timestamps of one answer's tokens, from the request reaching the worker.

    Times come from one monotonic clock (time.perf_counter) so differences are exact.
    """

    def __init__(self, started_at: float):
        self.started_at = started_at
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.count = 0
        self._recent: list[float] = []

    def tick(self, at: float) -> None:
        """Record one generated token at time `at`."""
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        self.count += 1
        self._recent.append(at)

    @property
    def ttft_s(self) -> float | None:
        """Time to first token, prompt processing included."""
        return None if self.first_at is None else self.first_at - self.started_at

    @property
    def decode_tps(self) -> float | None:
        """(tokens - 1) / (last token time - first token time); None below two tokens."""
        if self.count < 2 or self.last_at == self.first_at:
            return None
        return (self.count - 1) / (self.last_at - self.first_at)

    def live_tps(self, now: float, window_s: float = 2.0) -> float | None:
        """Decode rate over the last `window_s` seconds, for a gauge that moves while streaming."""
        cutoff = now - window_s
        recent = self._recent
        drop = 0
        while drop < len(recent) and recent[drop] < cutoff:
            drop += 1
        del recent[:drop]
        if len(recent) < 2 or recent[-1] == recent[0]:
            return None
        return (len(recent) - 1) / (recent[-1] - recent[0])

    def elapsed_s(self, now: float) -> float:
        """Seconds since the request reached the worker."""
        return now - self.started_at
