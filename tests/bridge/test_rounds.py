"""Rounds on a qasync loop: parallel answers overlap, sequential ones follow each other, stop stops both."""

import asyncio
import time

import pytest

from fakes import FakeEngine
from gui.bridge.pump import TokenPump
from gui.bridge.rounds import MEASURE, PARALLEL, SEQUENTIAL, Round, SideRequest, threads_for
from gui.core.measure import measure_schedule
from gui.bridge.side import Side
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams


class TimedEngine(FakeEngine):
    """Records when each answer started and ended."""

    def generate(self, messages, sampling, n_threads, should_stop, *, reuse_prefix=True):
        self.started_at = time.perf_counter()
        outcome = yield from super().generate(messages, sampling, n_threads, should_stop, reuse_prefix=reuse_prefix)
        self.ended_at = time.perf_counter()
        return outcome


@pytest.fixture
def arena(qtbot, event_loop):
    """Two loaded fake sides, a pump and a qasync loop."""
    loop = event_loop
    engines = [TimedEngine([["a"] * 20], token_delay_s=0.01), TimedEngine([["b"] * 20], token_delay_s=0.01)]
    sides = [Side(name, engine) for name, engine in zip(("left", "right"), engines)]
    pump = TokenPump(sides)
    pump.start()
    for side in sides:
        with qtbot.waitSignal(side.loaded, timeout=5000):
            side.load(f"/models/{side.objectName()}.gguf", LoadParams())
    yield loop, sides, engines
    pump.stop()
    for side in sides:
        side.shutdown()


def request(_index):
    return SideRequest(SamplingParams(max_tokens=100), LoadParams())


def test_parallel_round_runs_both_at_once_on_split_cores(arena):
    loop, sides, engines = arena
    answers = loop.run_until_complete(Round(sides, "hi", PARALLEL, request).run())
    assert [a.text for a in answers] == ["a" * 20, "b" * 20]
    assert engines[0].started_at < engines[1].ended_at and engines[1].started_at < engines[0].ended_at
    assert all(a.stats.contended for a in answers)
    assert [call[2] for e in engines for call in e.calls if call[0] == "generate"] == [
        threads_for(0, PARALLEL, 2)
    ] * 2


def test_sequential_round_runs_left_then_right_isolated(arena):
    loop, sides, engines = arena
    answers = loop.run_until_complete(Round(sides, "hi", SEQUENTIAL, request).run())
    assert engines[0].ended_at <= engines[1].started_at
    assert not any(a.stats.contended for a in answers)


def test_stopping_a_sequential_round_skips_the_side_not_started(arena):
    loop, sides, engines = arena
    engines[0].answers = [["a"] * 500]
    round_ = Round(sides, "hi", SEQUENTIAL, request)

    async def stop_soon():
        await asyncio.sleep(0.1)
        round_.stop()

    answers, _ = loop.run_until_complete(asyncio.gather(round_.run(), stop_soon()))
    assert answers[0].stats.stop_reason is StopReason.STOPPED_BY_USER
    assert answers[1] is None
    assert not any(call[0] == "generate" for call in engines[1].calls)


def test_a_side_without_a_model_is_left_out(arena):
    loop, sides, engines = arena
    sides[1].model = None
    answers = loop.run_until_complete(Round(sides, "hi", PARALLEL, request).run())
    assert answers[1] is None and answers[0].text == "a" * 20
    assert not answers[0].stats.contended


@pytest.mark.parametrize(
    "requested, mode, cores, expected",
    [(0, PARALLEL, 2, 1), (0, SEQUENTIAL, 2, 2), (0, PARALLEL, 16, 8), (0, PARALLEL, 1, 1), (3, PARALLEL, 2, 3)],
)
def test_threads_split_the_cores_in_parallel_mode(requested, mode, cores, expected):
    assert threads_for(requested, mode, 2, cores) == expected


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown round mode"):
        Round([], "hi", "both", request)


def test_the_measure_schedule_warms_up_then_alternates():
    steps = [(step.side, step.run) for step in measure_schedule([0, 1], 3)]
    assert steps == [(0, None), (1, None), (0, 0), (1, 0), (1, 1), (0, 1), (0, 2), (1, 2)]
    assert [(s.side, s.run) for s in measure_schedule([1], 2)] == [(1, None), (1, 0), (1, 1)]
    with pytest.raises(ValueError, match="at least one run"):
        measure_schedule([0, 1], 0)


def test_measure_runs_each_side_alone_and_keeps_only_its_last_run(arena):
    loop, sides, engines = arena
    for engine, text in zip(engines, "ab"):
        engine.answers = [[text] * 5 for _ in range(4)]
    measured = Round(sides, "hi", MEASURE, request, runs=3)
    answers = loop.run_until_complete(measured.run())
    assert [a.text for a in answers] == ["a" * 5, "b" * 5]
    assert {index: len(runs) for index, runs in measured.measurements.items()} == {0: 3, 1: 3}
    assert all(not stats.contended and not stats.first_after_load for runs in measured.measurements.values()
               for stats in runs)  # the warm-up took the first request after load
    calls = [call for engine in engines for call in engine.calls if call[0] == "generate"]
    assert len(calls) == 8 and not any(call[3] for call in calls)  # 1 warm-up + 3 runs each, no cached prefix
    assert all(call[2] == threads_for(0, MEASURE, 2) for call in calls)
    assert [len(side.conversation.messages("", "next")) for side in sides] == [3, 3]  # one kept turn, not four
