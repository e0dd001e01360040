"""A round: one user turn sent to both sides, together (parallel) or one after the other (sequential)."""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

from gui.bridge.worker import Answer
from gui.core.params import LoadParams, SamplingParams

PARALLEL = "parallel"
SEQUENTIAL = "sequential"


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
    """Ask every loaded side the same user turn; a side with no model gets None."""

    def __init__(self, sides, user_text: str, mode: str, request_for: Callable[[int], SideRequest]):
        if mode not in (PARALLEL, SEQUENTIAL):
            raise ValueError(f"unknown round mode {mode!r}: use {PARALLEL!r} or {SEQUENTIAL!r}")
        self.sides = list(sides)
        self.user_text = user_text
        self.mode = mode
        self._request_for = request_for
        self.stopped = False

    async def run(self) -> list[Answer | None]:
        """Parallel awaits both answers together; sequential awaits one after the other."""
        ready = [index for index, side in enumerate(self.sides) if side.model is not None]
        answers: list[Answer | None] = [None] * len(self.sides)
        contended = self.mode == PARALLEL and len(ready) > 1

        def ask(index: int):
            request = self._request_for(index)
            n_threads = threads_for(request.load.n_threads, self.mode, len(ready))
            return self.sides[index].answer(self.user_text, request.sampling, n_threads, contended)

        if self.mode == PARALLEL:
            for index, answer in zip(ready, await asyncio.gather(*(ask(index) for index in ready))):
                answers[index] = answer
        else:
            for index in ready:
                if self.stopped:
                    break
                answers[index] = await ask(index)
        return answers

    def stop(self) -> None:
        """Stop the answers under way, and in sequential mode the ones not yet started."""
        self.stopped = True
        for side in self.sides:
            side.stop()
