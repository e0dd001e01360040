"""Batches on fake sides: every planned round once, answers alone and in turn, cancel and resume lose nothing."""

import asyncio
import random
import time

import pytest

from fakes import FakeEngine
from gui.bridge.batch_runner import BatchRunner
from gui.bridge.side import Side
from gui.core.batch import batch_settings, items_of, start_or_resume
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.store import Store
from gui.core.suites import Suite, SuiteItem

ITEMS = (
    SuiteItem("add", "math", "2 + 2?", checks=({"kind": "number", "value": 4},)),
    SuiteItem("say", "chat", "Say hi.", system="Be brief."),
    SuiteItem("sub", "math", "5 - 3?", checks=({"kind": "number", "value": 2},)),
)


class NamedEngine(FakeEngine):
    """Answers '<name> <seed> 4', so a stored answer tells which model and which seed wrote it."""

    def __init__(self, name: str, token_delay_s: float = 0.0):
        super().__init__(token_delay_s=token_delay_s)
        self.name = name
        self.spans: list[tuple[float, float]] = []

    def generate(self, messages, sampling, n_threads, should_stop, *, reuse_prefix=True):
        started = time.perf_counter()
        self.answers = [[f"{self.name} ", f"{sampling.seed} ", "4"]]
        outcome = yield from super().generate(messages, sampling, n_threads, should_stop, reuse_prefix=reuse_prefix)
        self.spans.append((started, time.perf_counter()))
        return outcome


@pytest.fixture
def pair(qtbot, event_loop, tmp_path):
    """Two loaded fake sides (models A and B), a store, and the loop."""
    engines = [NamedEngine("A", 0.002), NamedEngine("B", 0.002)]
    sides = [Side(name, engine) for name, engine in zip("ab", engines)]
    for side, name in zip(sides, "AB"):
        with qtbot.waitSignal(side.loaded, timeout=5000):
            side.load(f"/models/{name}.gguf", LoadParams())
    store = Store(tmp_path / "results.sqlite")
    yield event_loop, sides, engines, store
    for side in sides:
        side.shutdown()
    store.close()


def a_batch(store, repeats=1, controls=0, seed=0):
    suite = Suite("tiny", "Tiny", "/s/tiny.toml", ITEMS)
    settings = batch_settings(suite, ["/models/A.gguf", "/models/B.gguf"], SamplingParams(seed=100),
                              [LoadParams()] * 2, repeats, controls)
    return start_or_resume(store, settings, random.Random(seed))[0]


def runner_for(sides, store, batch):
    return BatchRunner(sides, store, batch, items_of(batch), {"cores": 2})


def test_every_planned_round_is_stored_once_with_the_right_model_on_each_side(pair):
    loop, sides, engines, store = pair
    batch = a_batch(store, repeats=2)
    assert loop.run_until_complete(runner_for(sides, store, batch).run()) == "finished"
    rounds = store.rounds(batch.id)
    assert sorted(r.batch_key for r in rounds) == sorted(e["key"] for e in batch.plan)
    for record in rounds:
        for model, output in ((record.left_model, record.left_output), (record.right_model, record.right_output)):
            assert output.startswith(model["label"] + " ")  # what is shown Left was written by the Left model
        entry = next(e for e in batch.plan if e["key"] == record.batch_key)
        assert record.swapped == entry["swapped"] == (record.left_model["label"] == "B")
        assert record.left_metrics["contended"] is False and record.mode == "sequential"
        assert record.left_metrics["stop_reason"] == StopReason.END_OF_TEXT.value
        assert record.left_metrics["weights_bytes"] == 1000 and record.left_metrics["load_s"] == 0.01
    assert store.batch(batch.id).state == "finished"


def test_each_answer_runs_alone_in_a_fresh_conversation_with_the_items_system_prompt(pair):
    loop, sides, engines, store = pair
    batch = a_batch(store)
    loop.run_until_complete(runner_for(sides, store, batch).run())
    calls = [call for engine in engines for call in engine.calls if call[0] == "generate"]
    assert not any(call[3] for call in calls)  # no cached prefix: every TTFT includes the whole prompt
    messages = [call[1] for call in calls]
    assert all(m[-1]["role"] == "user" and len([x for x in m if x["role"] == "user"]) == 1 for m in messages)
    assert {"role": "system", "content": "Be brief."} in [m[0] for m in messages]
    # One at a time: no answer starts while another is under way.
    spans = sorted(engines[0].spans + engines[1].spans)
    assert len(spans) == 6
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:]))
    order = sorted([(start, "A") for start, _ in engines[0].spans] + [(start, "B") for start, _ in engines[1].spans])
    assert "".join(name for _, name in order) == "ABBAAB"  # the models take turns going first


def test_checks_run_on_every_answer_of_an_item_that_has_them(pair):
    loop, sides, engines, store = pair
    batch = a_batch(store)
    loop.run_until_complete(runner_for(sides, store, batch).run())
    by_item = {r.item_id: r for r in store.rounds(batch.id)}
    assert by_item["add"].left_checks[0]["passed"] is True  # "… 4" answers 2 + 2
    assert by_item["sub"].right_checks[0]["passed"] is False
    assert by_item["say"].left_checks is None


def test_a_control_round_has_one_model_on_both_sides_with_two_samples(pair):
    loop, sides, engines, store = pair
    batch = a_batch(store, controls=2, seed=4)
    loop.run_until_complete(runner_for(sides, store, batch).run())
    controls = [r for r in store.rounds(batch.id) if r.control]
    assert len(controls) == 2
    assert {r.left_model["label"] for r in controls} == {"A", "B"}
    for record in controls:
        assert record.left_model == record.right_model
        assert record.left_output != record.right_output  # different seeds: two samples, not one shown twice


def test_a_cancelled_batch_keeps_its_finished_rounds_and_a_resume_runs_only_the_rest(pair):
    loop, sides, engines, store = pair
    batch = a_batch(store, repeats=3)
    runner = runner_for(sides, store, batch)
    runner.roundStored.connect(lambda _record: len(store.rounds(batch.id)) == 4 and runner.cancel())
    assert loop.run_until_complete(runner.run()) == "cancelled"
    assert len(store.rounds(batch.id)) == 4 and store.batch(batch.id).state == "cancelled"
    resumed = a_batch(store, repeats=3)
    assert resumed.id == batch.id
    progress = []
    second = runner_for(sides, store, resumed)
    second.progressed.connect(lambda done, total, _eta: progress.append((done, total)))
    assert loop.run_until_complete(second.run()) == "finished"
    keys = [r.batch_key for r in store.rounds(batch.id)]
    assert len(keys) == len(set(keys)) == 9
    assert progress[0] == (4, 9) and progress[-1] == (9, 9)


def test_pause_waits_between_rounds_and_resume_goes_on(pair):
    loop, sides, engines, store = pair
    batch = a_batch(store)
    runner = runner_for(sides, store, batch)
    states = []
    runner.stateChanged.connect(states.append)
    runner.roundStored.connect(lambda _record: runner.pause() if len(states) == 1 else None)

    async def pause_then_resume():
        task = asyncio.ensure_future(runner.run())
        while runner.state != "paused":
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        stored_while_paused = len(store.rounds(batch.id))
        runner.resume()
        return stored_while_paused, await task

    stored, final = loop.run_until_complete(pause_then_resume())
    assert stored == 1 and final == "finished"
    assert states == ["running", "paused", "running", "finished"]
    assert len(store.rounds(batch.id)) == 3
