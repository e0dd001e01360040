"""A round: one user turn sent to both sides, together (parallel) or one after the other (sequential)."""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

from gui.bridge.worker import Answer
from gui.core.measure import measure_schedule
from gui.core.params import DEFAULT_RUNS, MEASURE, PARALLEL, SEQUENTIAL, LoadParams, SamplingParams

MODES = (PARALLEL, SEQUENTIAL, MEASURE)


def threads_for(requested: int, mode: str, sides: int, cores: int | None = None) -> int:
    """The user's thread count, or else each side's share of the cores (no oversubscription)."""
    if requested > 0:
        return requested
    cores = cores or os.cpu_count() or 1
    return max(1, cores // sides) if mode == PARALLEL else cores


@dataclass(frozen=True)
class SideRequest:
    """What one side is asked in a round."""

    sampling: SamplingParams
    load: LoadParams


class Round:
    """Ask every loaded side the same user turn; a side with no model gets None.

    Measure mode asks each side alone: a warm-up answer, then `runs` answers in alternating
    order, each processing its whole prompt; the last run of each side is its answer, and
    `measurements` holds the figures of every run.
    """

    def __init__(self, sides, user_text: str, mode: str, request_for: Callable[[int], SideRequest],
                 runs: int = DEFAULT_RUNS):
        if mode not in MODES:
            raise ValueError(f"unknown round mode {mode!r}: use one of {', '.join(MODES)}")
        self.sides = list(sides)
        self.user_text = user_text
        self.mode = mode
        self.runs = runs
        self._request_for = request_for
        self.stopped = False
        self.measurements: dict[int, list] = {}  # side -> GenerationStats of each measured run

    async def run(self) -> list[Answer | None]:
        """Parallel awaits both answers together; sequential awaits one after the other."""
        ready = [index for index, side in enumerate(self.sides) if side.model is not None]
        answers: list[Answer | None] = [None] * len(self.sides)
        contended = self.mode == PARALLEL and len(ready) > 1

        async def ask(index: int) -> Answer | None:
            # A stop that came before this side was asked (Esc right after Send, a new chat) must hold:
            # Side.ask starts its request with a fresh cancel flag.
            if self.stopped:
                return None
            request = self._request_for(index)
            n_threads = threads_for(request.load.n_threads, self.mode, len(ready))
            return await self.sides[index].answer(self.user_text, request.sampling, n_threads, contended)

        if self.mode == PARALLEL:
            for index, answer in zip(ready, await asyncio.gather(*(ask(index) for index in ready))):
                answers[index] = answer
        elif self.mode == MEASURE:
            await self._measure(ready, answers)
        else:
            for index in ready:
                if self.stopped:
                    break
                answers[index] = await ask(index)
        return answers

    async def _measure(self, ready: list[int], answers: list) -> None:
        """Warm-ups, then the runs; only each side's last run joins its conversation."""
        self.measurements = {index: [] for index in ready}
        for step in measure_schedule(ready, self.runs):
            if self.stopped:
                return
            request = self._request_for(step.side)
            n_threads = threads_for(request.load.n_threads, MEASURE, len(ready))
            last = step.run == self.runs - 1
            answer = await self.sides[step.side].answer(
                self.user_text, request.sampling, n_threads, False, reuse_prefix=False, keep=last
            )
            if step.run is not None:
                self.measurements[step.side].append(answer.stats)
                answers[step.side] = answer

    def stop(self) -> None:
        """Stop the answers under way, and in sequential and measure modes the ones not yet started."""
        self.stopped = True
        for side in self.sides:
            side.stop()
