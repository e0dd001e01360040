"""Overload scenarios on the real app, shared by `make test` (short) and `make soak` (long)."""

import asyncio
import contextlib
import gc
import time
from dataclasses import dataclass, field

import numpy as np
import psutil
from PySide6.QtCore import QThread

from gui.bridge.rounds import PARALLEL
from gui.core.params import LoadParams, SamplingParams

CYCLE_TIMEOUT_S = 120  # a cycle (a round, a model switch, up to two reloads) takes seconds: past this it is stuck
PROMPTS = ("Name three colours.", "What is 2 + 2?", "Say hello in French.", "Write a haiku about rain.")
# The settings of cycle c depend on c % 4 only, as does which model each side holds (each side
# switches every other cycle): cycles 4 apart end in the same state, so their RSS compares.
TEMPERATURES = (0.7, 0.2, 0.9, 0.0)
MAX_TOKENS = (32, 16, 48, 24)
CONTEXTS = (2048, 1024, 1024, 2048)  # a change reloads both sides (the arena honours a new context at once)
LONG_ANSWER_TOKENS = 8000


def rss_bytes() -> int:
    """This process's resident memory, garbage collected first so only what is held counts."""
    gc.collect()
    return psutil.Process().memory_info().rss


def percentile(values: list[float], pct: float) -> float:
    return float(np.percentile(values, pct))


@contextlib.contextmanager
def recording_qthreads():
    """Every QThread started inside the block, so a test can see which are still running."""
    started: list[QThread] = []
    original = QThread.start

    def recording_start(self, *args):
        started.append(self)
        return original(self, *args)

    QThread.start = recording_start
    try:
        yield started
    finally:
        QThread.start = original


def running_names(threads: list[QThread]) -> list[str]:
    return sorted(thread.objectName() or repr(thread) for thread in threads if thread.isRunning())


def library_defaults_restored() -> bool:
    """Whether llama-cpp-python's llama_model_default_params is its own again after the loads.

    A load swaps in a function that adds its progress callback and puts the original back; one
    that read the swapped-in function as "the original" (two sides loading at once) would leave
    it in place for good, each such load wrapping the last: a chain of closures that keeps every
    cancel flag and worker alive and grows by one call per load.
    """
    import llama_cpp

    return "<locals>" not in getattr(llama_cpp.llama_cpp.llama_model_default_params, "__qualname__", "")


def cycle_settings(cycle: int) -> tuple[SamplingParams, LoadParams]:
    step = cycle % 4
    return (SamplingParams(temperature=TEMPERATURES[step], max_tokens=MAX_TOKENS[step], seed=cycle),
            LoadParams(n_ctx=CONTEXTS[step]))


async def settled(arena, timeout_s: float = CYCLE_TIMEOUT_S) -> None:
    """Wait until the round has ended and both sides hold a ready model; fail on a load error or a hang."""
    deadline = time.monotonic() + timeout_s
    while True:
        task = arena.round_task
        round_over = task is None or task.done()
        if round_over and all(side.model is not None and not side.loading and not side.busy for side in arena.sides):
            break
        errors = [pane.error_text() for pane in arena.window.panes if pane.error_text()]
        if round_over and errors and not any(side.loading for side in arena.sides):
            raise AssertionError(f"a side failed: {errors}")
        if time.monotonic() > deadline:
            states = [(side.objectName(), side.model is not None, side.loading, side.busy) for side in arena.sides]
            raise TimeoutError(f"not settled after {timeout_s} s (side, model, loading, busy): {states}, "
                               f"round task done: {round_over}")
        await asyncio.sleep(0.01)
    if task is not None:
        task.result()  # a round that raised fails the cycle


async def churn_cycle(arena, paths: tuple[str, str], cycle: int) -> None:
    """Send, stop (at once, or after the first token), switch one side's model, change the settings; then settle.

    Everything goes through the window as a user's clicks would, without waiting for the
    previous step to finish: the stop and the switch land while the round is still starting
    or streaming, and the new settings while the switched model is still loading.
    """
    window = arena.window
    window.prompt.setPlainText(PROMPTS[cycle % len(PROMPTS)])
    before = arena.round_task
    window.send_action.trigger()
    task = arena.round_task
    if task is before:
        raise AssertionError(f"cycle {cycle}: the window refused to send ({window.status.currentMessage()!r})")
    if cycle % 2:
        deadline = time.monotonic() + CYCLE_TIMEOUT_S
        while not any(side.busy and side.live_tokens for side in arena.sides) and not task.done():
            if time.monotonic() > deadline:
                raise TimeoutError("no token arrived")
            await asyncio.sleep(0.005)
    # Esc: before the round's task has run the action is still disabled, so press it as the shortcut does.
    window.stopRequested.emit()
    side = cycle % 2
    pane = arena.pane_of(side)
    other = paths[1] if arena.sides[side].path == paths[0] else paths[0]
    pane.files.setCurrentIndex(pane.files.findData(other))  # picking the file in the pane's list
    window.settings.set_values(*cycle_settings(cycle))
    await settled(arena)
    answers = task.result()
    if not cycle % 2 and any(answer is not None for answer in answers):
        raise AssertionError(f"cycle {cycle}: a stop pressed right after Send was lost; answers: {answers}")


@dataclass
class ChurnFigures:
    """RSS and thread counts after each cycle."""

    rss: list[int] = field(default_factory=list)
    os_threads: list[int] = field(default_factory=list)
    cycle_s: list[float] = field(default_factory=list)


async def churn(arena, paths: tuple[str, str], cycles: int, progress=None) -> ChurnFigures:
    """`cycles` churn cycles on an arena with `paths` loaded (left, right), blind mode off, parallel rounds."""
    window = arena.window
    window.blind_action.setChecked(False)  # a presenter switching models: the file lists are live
    window.settings.set_mode(PARALLEL)
    window.settings.set_values(*cycle_settings(-1))
    if not all(side.path for side in arena.sides):
        arena.load_pair(*paths)
    await settled(arena)
    figures = ChurnFigures()
    for cycle in range(cycles):
        started = time.perf_counter()
        await churn_cycle(arena, paths, cycle)
        figures.cycle_s.append(time.perf_counter() - started)
        figures.rss.append(rss_bytes())
        figures.os_threads.append(psutil.Process().num_threads())
        if progress:
            progress(cycle, figures)
    return figures


async def reload_cycles(side, path: str, cycles: int, params: LoadParams = LoadParams(n_ctx=2048),
                        progress=None) -> list[int]:
    """Load `path` on `side` `cycles` times (each load frees the model before it); RSS after each load."""
    rss = []
    for cycle in range(cycles):
        await asyncio.wait_for(side.load_model(path, params), CYCLE_TIMEOUT_S)
        rss.append(rss_bytes())
        if progress:
            progress(cycle, rss)
    return rss


@dataclass(frozen=True)
class LongAnswer:
    """One long answer streamed into the window, and how late the GUI thread's 5 ms timer ran meanwhile."""

    tokens: list[int]
    stop_reasons: list[str]
    seconds: float
    late_ms: list[float]

    @property
    def max_late_ms(self) -> float:
        return max(self.late_ms)

    @property
    def p99_late_ms(self) -> float:
        return percentile(self.late_ms, 99)


async def long_answer(arena, probe, prompt: str, sampling: SamplingParams, load: LoadParams) -> LongAnswer:
    """Send one message with these settings to the loaded sides while `probe` (a StallProbe) runs."""
    arena.window.settings.set_values(sampling, load)
    probe.take()
    probe.start()
    started = time.perf_counter()
    try:
        answers = await asyncio.wait_for(arena.send(prompt), 30 * 60)
    finally:
        probe.stop()
    seconds = time.perf_counter() - started
    answers = [a for a in answers if a is not None]
    errors = [a.stats.error for a in answers if a.stats.error]
    if errors:
        raise AssertionError(f"an answer failed: {errors}")
    return LongAnswer([a.stats.tokens for a in answers], [a.stats.stop_reason.value for a in answers], seconds,
                      probe.take())
