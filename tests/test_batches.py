"""Batches from the window on fake engines: the chat waits and shows nothing, rounds are stored, cancel and resume."""

import asyncio
import random
import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from fakes import FakeEngine
from gguf_files import write_gguf
from gui.controllers.arena import Arena
from gui.controllers.batches import BatchSession
from gui.core.store import Store
from gui.widgets.main_window import MainWindow

SUITE = Path(__file__).resolve().parent / "fixtures" / "tiny.toml"


@pytest.fixture
def batches(qtbot, event_loop, tmp_path):
    """A batch session on an arena with two loaded fake models and a user suite named tiny in its data directory."""
    data = tmp_path / "chosen"
    (data / "suites").mkdir(parents=True)
    shutil.copyfile(SUITE, data / "suites" / "tiny.toml")
    window = MainWindow()
    qtbot.addWidget(window)
    store = Store(tmp_path / "results.sqlite")
    engines = [FakeEngine(token_delay_s=0.01), FakeEngine(token_delay_s=0.01)]
    arena = Arena(window, store, engines, rng=random.Random(0))
    paths = [write_gguf(tmp_path / name) for name in ("Alpha.gguf", "Beta.gguf")]
    with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=5000):
        arena.load_pair(str(paths[0]), str(paths[1]))
    session = BatchSession(arena, store, data, rng=random.Random(0))
    qtbot.addWidget(session.window)
    yield session
    arena.shutdown()
    store.close()


def test_the_window_lists_shipped_and_user_suites(batches):
    batches.open()
    names = [batches.window.suites.itemData(i) for i in range(batches.window.suites.count())]
    assert {"logic", "math", "json", "poetry", "code", "multilingual", "tiny"} <= set(names)


def test_a_batch_holds_the_chat_stores_every_round_and_shows_nothing_of_the_answers(batches, event_loop):
    arena, window = batches.arena, batches.window
    seen = []

    async def run():
        task = batches.start("tiny", 2, 1)
        await asyncio.sleep(0.05)
        seen.append((arena.window.send_action.isEnabled(), window.cancel_button.isEnabled(),
                     [pane.chat.toPlainText() for pane in arena.window.panes],
                     arena.window.left.chat.placeholderText()))
        return await task

    assert event_loop.run_until_complete(run()) == "finished"
    send_enabled, cancel_enabled, texts, note = seen[0]
    assert not send_enabled and cancel_enabled and texts == ["", ""] and "batch is running" in note
    rounds = batches.store.rounds()
    assert len(rounds) == 7 and sum(r.control for r in rounds) == 1
    assert window.progress.value() == window.progress.maximum() == 7
    assert "Finished: 7 rounds" in window.message.text() and window.unfinished.count() == 0
    assert arena.window.send_action.isEnabled() and arena.window.left.chat.placeholderText() == ""


def test_a_cancelled_batch_is_listed_and_resumes_where_it_stopped(batches, event_loop):
    task = batches.start("tiny", 3, 0)
    batches.runner.roundStored.connect(lambda _r: len(batches.store.rounds()) == 2 and batches.cancel())
    assert event_loop.run_until_complete(task) == "cancelled"
    assert len(batches.store.rounds()) == 2 and batches.window.unfinished.count() == 1
    assert "Cancelled with 2 of 9" in batches.window.message.text()
    batch_id = batches.window.unfinished.item(0).data(Qt.ItemDataRole.UserRole)
    assert event_loop.run_until_complete(batches.resume(batch_id)) == "finished"
    keys = [r.batch_key for r in batches.store.rounds()]
    assert len(keys) == len(set(keys)) == 9


def test_a_batch_resumes_only_on_its_own_pair(batches, event_loop, tmp_path, qtbot):
    task = batches.start("tiny", 1, 0)
    batches.cancel()
    event_loop.run_until_complete(task)
    other = write_gguf(tmp_path / "Gamma.gguf")
    with qtbot.waitSignal(batches.arena.sides[1].loaded, timeout=5000):
        batches.arena.choose_file(1, str(other))
    assert batches.resume(batches.store.batches()[0].id) is None
    assert "load those two" in batches.window.message.text()


def test_after_a_restart_the_window_says_an_unfinished_batch_can_be_resumed(batches, event_loop):
    task = batches.start("tiny", 1, 0)
    batches.cancel()
    event_loop.run_until_complete(task)
    later = BatchSession(batches.arena, batches.store, batches.data)  # as the next start of the app would
    status = batches.arena.window.statusBar()
    assert status.currentMessage() == "1 unfinished batch can be resumed: Results › Run batch."
    later.arena.sides[0].loaded.emit(later.arena.sides[0].model)  # a model loads: its line, then the hint again
    assert status.currentMessage() == "1 unfinished batch can be resumed: Results › Run batch."


def test_the_protocol_runs_its_suite_each_answer_alone_marks_the_batch_and_goes_on_to_rating(
        batches, event_loop, qtbot, monkeypatch):
    monkeypatch.setattr("gui.core.protocol.SUITE", "tiny")  # the logic suite's 48 prompts would take a while
    batches.open()
    with qtbot.waitSignal(batches.window.rateRequested, timeout=10000):
        batches.window.protocol_button.click()
        assert "Running the protocol on tiny" in batches.window.message.text()
        event_loop.run_until_complete(batches.task)
    (batch,) = batches.store.batches()
    assert (batch.suite, batch.settings["protocol"]) == ("tiny", True)
    rounds = batches.store.rounds()
    assert len(rounds) == 3 and {r.mode for r in rounds} == {"sequential"}
    assert not any(m["contended"] for r in rounds for m in (r.left_metrics, r.right_metrics))
    assert "each vote needs a 0–3 score per answer" in batches.window.message.text()


def test_a_plain_batch_carries_no_protocol_mark(batches, event_loop):
    event_loop.run_until_complete(batches.start("tiny", 1, 0))
    (batch,) = batches.store.batches()
    assert "protocol" not in batch.settings


def test_a_suite_file_is_imported_off_the_gui_thread_and_chosen(batches, event_loop, tmp_path, monkeypatch):
    from gui.core.suites import import_suite

    source = tmp_path / "extra.toml"
    source.write_text('title = "Extra"\n[[prompts]]\nid = "x1"\ncategory = "misc"\nprompt = "Say hi."\n')
    threads = []

    def watched(*args):
        threads.append(threading.current_thread().name)
        return import_suite(*args)

    monkeypatch.setattr("gui.controllers.batches.import_suite", watched)
    batches.open()
    suite = event_loop.run_until_complete(batches.import_file(str(source)))
    assert suite.name == "extra" and (batches.data / "suites" / "extra.toml").is_file()
    assert threads and threads[0].startswith("suites")  # not the GUI thread
    assert batches.window.suites.currentData() == "extra"
    assert batches.window.message.text() == "Imported extra: 1 prompt."


def test_a_broken_suite_file_is_refused_and_nothing_is_copied(batches, event_loop, tmp_path):
    source = tmp_path / "broken.toml"
    source.write_text("[[prompts]]\nid = \n")
    assert event_loop.run_until_complete(batches.import_file(str(source))) is None
    assert "not valid TOML" in batches.window.message.text() and not (batches.data / "suites" / "broken.toml").exists()
