"""A Load run: N requests at once to a served model, for N = 1, 2, 4 …: throughput, TTFT and errors at each N."""

import asyncio
import time
from dataclasses import dataclass

import httpx

from gui.core.backend import EngineError
from gui.core.metrics import StopReason
from gui.core.params import MAX_LOAD_CONCURRENCY, SamplingParams
from gui.core.served import ServedOutcome, Server, stream_chat
from gui.core.summary import Distribution, distribution

LEVEL_TIME_LIMIT_S = 300.0  # each request of a level ends by then, whatever the server does


@dataclass(frozen=True)
class LoadLevel:
    """What N requests at once gave: their aggregate speed, their TTFT spread and how many failed."""

    n: int
    errors: int
    tokens: int  # completion tokens of the answers that came back (the server's count where it gave one)
    wall_s: float  # from the first request sent to the last answer ended
    ttft: Distribution | None  # of the answers that came back, by the client clock
    error_texts: tuple[str, ...]

    @property
    def aggregate_tps(self) -> float | None:
        return self.tokens / self.wall_s if self.wall_s > 0 and self.tokens else None


def _tokens(outcome: ServedOutcome) -> int:
    return int(outcome.completion_tokens.value if outcome.completion_tokens.value is not None else outcome.chunks)


async def run_level(http: httpx.AsyncClient, server: Server, model: str, prompts: list[str], n: int,
                    sampling: SamplingParams) -> LoadLevel:
    """N requests sent at once, each with the next prompt in turn; waits for all of them."""
    if not 1 <= n <= MAX_LOAD_CONCURRENCY:
        raise ValueError(f"a Load run sends 1 to {MAX_LOAD_CONCURRENCY} requests at once, not {n}")

    async def one(index: int) -> ServedOutcome:
        messages = [{"role": "user", "content": prompts[index % len(prompts)]}]
        return await stream_chat(http, server, model, messages, sampling, lambda text, at: None, lambda: False,
                                 time_limit_s=LEVEL_TIME_LIMIT_S)

    started = time.perf_counter()
    results = await asyncio.gather(*(one(index) for index in range(n)), return_exceptions=True)
    wall_s = time.perf_counter() - started
    answers, failures = [], []
    for result in results:
        if isinstance(result, ServedOutcome) and result.stop_reason is StopReason.CUT_OFF:
            failures.append(f"cut off after {result.chunks} chunks")
        elif isinstance(result, ServedOutcome) and not result.chunks:
            # llama-cpp-python's own server, by default, ends a request with nothing when the next one comes.
            failures.append("an empty answer (did the server drop the request for another?)")
        elif isinstance(result, ServedOutcome):
            answers.append(result)
        elif isinstance(result, EngineError):
            failures.append(str(result))
        else:
            raise result  # not a server's fault (a cancel, a bug): the caller's to see
    return LoadLevel(
        n=n, errors=len(failures), tokens=sum(_tokens(a) for a in answers), wall_s=wall_s,
        ttft=distribution(a.ttft_s for a in answers if a.ttft_s is not None), error_texts=tuple(failures),
    )


def parse_levels(text: str) -> list[int]:
    """"1,2,4,8" as concurrency levels, each from 1 to MAX_LOAD_CONCURRENCY; ValueError says what is wrong."""
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or any(not 1 <= n <= MAX_LOAD_CONCURRENCY for n in levels):
        raise ValueError(f"give levels as numbers from 1 to {MAX_LOAD_CONCURRENCY}, e.g. 1,2,4,8")
    return levels


def largest_within(levels: list[LoadLevel], ttft_bound_s: float) -> int | None:
    """The largest N whose every request came back with a TTFT P95 within the bound; None if none did."""
    kept = [level.n for level in levels if level.errors == 0 and level.ttft and level.ttft.p95 <= ttft_bound_s]
    return max(kept, default=None)


def verdict(levels: list[LoadLevel], ttft_bound_s: float) -> str:
    """The run's answer to "how many at once?" against the TTFT bound."""
    best = largest_within(levels, ttft_bound_s)
    return f"Largest N with TTFT P95 within {ttft_bound_s:g} s and no error: {best if best else 'none'}"


def format_levels(levels: list[LoadLevel], ttft_bound_s: float) -> str:
    """The run's table, one row per N, and the verdict against the TTFT bound."""
    rows = [f"{'N':>3}  {'tok/s (all)':>11}  {'TTFT P50':>9}  {'TTFT P95':>9}  {'errors':>6}"]
    for level in levels:
        tps = f"{level.aggregate_tps:.1f}" if level.aggregate_tps else "—"
        p50 = f"{level.ttft.p50:.3f} s" if level.ttft else "—"
        p95 = f"{level.ttft.p95:.3f} s" if level.ttft else "—"
        rows.append(f"{level.n:>3}  {tps:>11}  {p50:>9}  {p95:>9}  {level.errors:>6}")
    rows.append(verdict(levels, ttft_bound_s))
    return "\n".join(rows)
