"""The whole app on the real default pair, offscreen: both stream, Esc-stop, a bad file beside a working side."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from gui.bridge.rounds import MEASURE, PARALLEL, SEQUENTIAL
from gui.core.metrics import StopReason
from gui.core.params import SamplingParams
from gui.core.report_data import gather

pytestmark = pytest.mark.integration


@pytest.fixture
def arena(make_arena):
    return make_arena(blind=False)


def load_pair(qtbot, arena, left, right):
    with qtbot.waitSignals([arena.sides[0].loaded, arena.sides[1].loaded], timeout=120_000):
        arena.load_pair(left, right)



def test_models_load_one_at_a_time(qtbot, arena, default_pair):
    order = []
    for index, side in enumerate(arena.sides):
        side.loadProgressed.connect(lambda fraction, i=index: order.append(i))
    load_pair(qtbot, arena, *default_pair)
    switches = sum(1 for a, b in zip(order, order[1:]) if a != b)
    assert set(order) == {0, 1} and switches == 1


@pytest.mark.parametrize("mode", [PARALLEL, SEQUENTIAL])
def test_both_sides_stream_into_their_panes(qtbot, arena, event_loop, default_pair, mode):
    load_pair(qtbot, arena, *default_pair)
    arena.window.settings.set_mode(mode)
    arena.window.raw_action.trigger()  # the answers as streamed: a finished answer is otherwise rendered as Markdown
    answers = event_loop.run_until_complete(arena.send("What is 2 + 2?"))
    for answer, pane in zip(answers, arena.window.panes):
        assert answer.stats.error is None
        assert answer.stats.tokens > 0 and answer.stats.decode_tps > 0
        assert answer.stats.contended is (mode == PARALLEL)
        assert answer.text.strip() and answer.text.strip()[:20] in pane.chat.toPlainText()


def test_measure_mode_stores_isolated_warm_runs_of_each_model(qtbot, arena, event_loop, default_pair):
    load_pair(qtbot, arena, *default_pair)
    settings = arena.window.settings
    settings.set_mode(MEASURE)
    settings.runs.setValue(3)
    settings.set_values(SamplingParams(max_tokens=24), settings.load_params(0))
    event_loop.run_until_complete(arena.send("Name three colours."))
    (record,) = arena.store.rounds()
    assert record.mode == MEASURE
    for metrics, pane in ((record.left_metrics, arena.window.left), (record.right_metrics, arena.window.right)):
        runs = metrics["runs"]
        assert len(runs) == 3
        assert all(not run["contended"] and not run["first_after_load"] and run["error"] is None for run in runs)
        assert all(run["threads"] == os.cpu_count() for run in runs)  # alone: all the cores
        text = pane.chat.toPlainText()
        assert text.count("You: ") == 1 and "3 runs alone: TTFT P50/P95" in text
    report = gather(arena.store.rounds(), [])
    assert all(model.isolated.answers == 3 for model in report.models)


def test_memory_shown_per_side_agrees_with_llama_cpp_buffers(qtbot, arena, event_loop, default_pair):
    load_pair(qtbot, arena, *default_pair)
    event_loop.run_until_complete(arena.send("Say hello."))  # every weight has been read once
    arena.sample_memory_now()
    for index, side in enumerate(arena.sides):
        shown = arena.side_memory(index)
        # llama.cpp's model buffers: the mapped one (its size is llama_model_size) and any it copied
        # weights into (Gemma's CPU_REPACK); the pane shows the mapping's resident pages + the copies.
        logged = side.model.model_bytes + side.model.unmapped_weight_bytes
        assert shown.weights_bytes == pytest.approx(logged, rel=0.05)
        assert shown.context_bytes == side.model.context_bytes  # KV + compute + output, from its log


def test_stop_ends_both_answers(qtbot, arena, event_loop, default_pair):
    load_pair(qtbot, arena, *default_pair)
    arena.window.settings.set_mode(PARALLEL)

    async def stop_when_streaming():
        task = arena.send("Write a long story about a lighthouse keeper.")
        while min(side.live_tokens for side in arena.sides) < 3 and not task.done():
            await asyncio.sleep(0.01)
        arena.stop()
        return await task

    answers = event_loop.run_until_complete(stop_when_streaming())
    assert [a.stats.stop_reason for a in answers] == [StopReason.STOPPED_BY_USER] * 2


def test_a_bad_file_on_one_side_leaves_the_other_streaming(qtbot, arena, event_loop, default_pair, tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("these are my notes, not a model")
    with qtbot.waitSignal(arena.sides[1].loaded, timeout=120_000):
        arena.load_pair(str(bad), default_pair[1])
    assert "not a GGUF" in arena.window.left.error_text()
    answers = event_loop.run_until_complete(arena.send("Hello"))
    assert answers[0] is None
    assert answers[1].stats.tokens > 0 and answers[1].stats.error is None


def test_smoke_command_writes_screenshot_and_metrics(default_pair, tmp_path, data_dir):
    out = tmp_path / "smoke"
    done = subprocess.run(
        [sys.executable, "-m", "gui", "smoke", "--out", str(out), "--mode", "sequential"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "metrics.json").read_text())
    assert report["mode"] == "sequential"
    for side in report["sides"]:
        assert side["error"] is None
        assert side["tokens"] > 0 and side["decode_tps"] > 0 and side["memory_bytes"] > 0
    assert (out / "screenshot.png").stat().st_size > 10_000
    assert "decode t/s" in done.stdout


def test_smoke_command_fails_when_a_side_fails(default_pair, tmp_path):
    missing = tmp_path / "gone.gguf"
    out = tmp_path / "smoke"
    done = subprocess.run(
        [sys.executable, "-m", "gui", "smoke", "--out", str(out), "--left", str(missing)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 1
    report = json.loads((out / "metrics.json").read_text())
    assert "not found" in report["sides"][0]["error"]
    assert report["sides"][1]["error"] is None and report["sides"][1]["tokens"] > 0
