"""Batch plans: every item and repeat once, controls mixed in, order alternating, and resume by settings."""

import random
from collections import Counter

import pytest

from gui.core.batch import (
    batch_settings,
    duration_text,
    eta_s,
    items_of,
    plan_batch,
    progress_bar,
    remaining,
    start_or_resume,
)
from gui.core.params import LoadParams, SamplingParams
from gui.core.store import Store
from gui.core.suites import Suite, SuiteItem


def test_a_plan_runs_every_item_each_repeat_a_whole_pass_at_a_time():
    plan = plan_batch(["a", "b", "c"], repeats=2, controls=0, rng=random.Random(0))
    assert [(e.item_id, e.run) for e in plan] == [("a", 0), ("b", 0), ("c", 0), ("a", 1), ("b", 1), ("c", 1)]
    assert len({e.key for e in plan}) == 6
    assert [e.first for e in plan] == [0, 1, 0, 1, 0, 1]  # A B, B A …: neither model always runs warm


def test_controls_share_out_the_models_and_have_their_own_keys():
    plan = plan_batch(["a", "b"], repeats=1, controls=4, rng=random.Random(3))
    controls = [e for e in plan if e.control is not None]
    assert Counter(e.control for e in controls) == {0: 2, 1: 2}
    assert len(plan) == 6 and len({e.key for e in plan}) == 6
    assert all("control" in e.key for e in controls)


def test_sides_are_drawn_per_round_and_the_plan_is_reproducible():
    first = plan_batch([f"p{n}" for n in range(40)], 1, 2, random.Random(5))
    again = plan_batch([f"p{n}" for n in range(40)], 1, 2, random.Random(5))
    assert first == again
    swaps = Counter(e.swapped for e in first)
    assert swaps[True] > 5 and swaps[False] > 5


@pytest.mark.parametrize("items, repeats, controls, message", [
    ([], 1, 0, "at least one prompt"), (["a"], 0, 0, "repeats"), (["a"], 1, -1, "controls"),
])
def test_a_plan_that_cannot_run_is_refused(items, repeats, controls, message):
    with pytest.raises(ValueError, match=message):
        plan_batch(items, repeats, controls, random.Random(0))


def a_suite() -> Suite:
    items = (SuiteItem("m1", "math", "2+2?", checks=({"kind": "number", "value": 4},)), SuiteItem("m2", "math", "3+3?"))
    return Suite(name="tiny", title="Tiny", path="/s/tiny.toml", items=items)


def test_the_same_settings_resume_the_unfinished_batch_and_other_settings_start_a_new_one(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    settings = batch_settings(a_suite(), ["/m/a.gguf", "/m/b.gguf"], SamplingParams(), [LoadParams()] * 2, 2, 1)
    batch, resumed = start_or_resume(store, settings, random.Random(0))
    assert not resumed and len(batch.plan) == 5 and store.batch(batch.id).state == "paused"
    again, resumed = start_or_resume(store, settings, random.Random(99))
    assert resumed and again.id == batch.id and again.plan == batch.plan
    store.set_batch_state(batch.id, "finished")
    _new, resumed = start_or_resume(store, settings, random.Random(0))
    assert not resumed
    other = batch_settings(a_suite(), ["/m/a.gguf", "/m/b.gguf"], SamplingParams(seed=1), [LoadParams()] * 2, 2, 1)
    assert start_or_resume(store, other, random.Random(0))[0].id != batch.id


def test_a_batch_keeps_its_suite_items_and_knows_what_is_left(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    settings = batch_settings(a_suite(), ["/m/a.gguf", "/m/b.gguf"], SamplingParams(), [LoadParams()] * 2, 1, 0)
    batch, _ = start_or_resume(store, settings, random.Random(0))
    assert items_of(store.batch(batch.id)) == {item.id: item for item in a_suite().items}
    assert [e.key for e in remaining(batch, {"m1#0"})] == ["m2#0"]


def test_eta_duration_and_progress_texts():
    assert eta_s([], 5) is None
    assert eta_s([10.0, 20.0], 4) == 60.0
    assert [duration_text(s) for s in (None, 42, 190, 3725)] == ["…", "42s", "3m 10s", "1h 02m"]
    assert progress_bar(9, 30, width=10) == "[###.......]  9/30"
    assert progress_bar(0, 0, width=4) == "[####] 0/0"
