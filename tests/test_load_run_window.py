"""Results › Load run…: a served side under N requests at once, level by level, from the window; cancellable."""

import asyncio
import json
import threading
import time

from fault_server import fault_server, response_head, sse
from gui.controllers.load_runs import LoadRunSession
from test_served_arena import MODEL_ID, arena_with_a_server, served


def session_on(arena, tmp_path) -> LoadRunSession:
    session = LoadRunSession(arena, tmp_path / "data")
    arena.window.load_run_action.trigger()
    return session


def rows(view) -> list[list[str]]:
    return [[view.table.item(row, column).text() for column in range(view.table.columnCount())]
            for row in range(view.table.rowCount())]


def test_a_load_run_fills_one_row_per_level_and_gives_the_verdict(make_arena, qtbot, tmp_path, event_loop):
    with fault_server(served) as (url, received):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url, blind=False)
        session = session_on(arena, tmp_path)
        view = session.view
        assert view.isVisible() and view.target.count() == 1 and MODEL_ID in view.target.currentText()
        view.levels.setText("1,2")
        assert view.suites.currentText() == "logic"
        before = len(received)
        view.start_button.click()
        assert not view.start_button.isEnabled() and view.cancel_button.isEnabled()
        event_loop.run_until_complete(session.task)
    assert [row[0] for row in rows(view)] == ["1", "2"] and [row[4] for row in rows(view)] == ["0", "0"]
    assert all(row[1] != "—" and row[3].endswith(" s") for row in rows(view))
    assert len(received) - before == 3  # 1 request, then 2 at once
    assert "Largest N with TTFT P95 within 2 s and no error: 2" in view.status.text()
    assert view.start_button.isEnabled() and not view.cancel_button.isEnabled()


def test_cancel_stops_the_run_and_keeps_the_levels_measured(make_arena, qtbot, tmp_path, event_loop):
    release = threading.Event()

    def slow_after_the_first(request, wfile, connection):
        """The model list and the first chat at once; every later chat starts and never ends."""
        if not request.path.endswith("/models"):
            received_chats.append(request)
        if request.path.endswith("/models") or len(received_chats) == 1:
            return served(request, wfile, connection)
        wfile.write(response_head("200 OK", "text/event-stream"))
        wfile.write(sse(json.dumps({"choices": [{"delta": {"content": "…"}, "finish_reason": None}]})))
        wfile.flush()
        release.wait(10)  # never finishes until the test ends

    received_chats = []
    with fault_server(slow_after_the_first) as (url, _):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url, blind=False)
        received_chats.clear()  # the arena's own load sent no chat; the run's first one answers at once
        session = session_on(arena, tmp_path)
        task = session.start(session.view.target.currentData(), "1,4", "logic", 16, 2.0)

        async def cancel_once_the_second_level_waits():
            deadline = time.monotonic() + 5
            while len(received_chats) < 5:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            session.view.cancel_button.click()
            await session.stop()

        event_loop.run_until_complete(cancel_once_the_second_level_waits())
        release.set()
    assert task.cancelled()
    assert [row[0] for row in rows(session.view)] == ["1"]  # the level measured stays
    assert "Cancelled after 1 of 2 levels" in session.view.status.text()
    assert session.view.start_button.isEnabled()


def test_bad_levels_are_refused_before_any_request(make_arena, qtbot, tmp_path, event_loop):
    with fault_server(served) as (url, received):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url, blind=False)
        session = session_on(arena, tmp_path)
        before = len(received)
        assert session.start(session.view.target.currentData(), "1,two,500", "logic", 16, 2.0) is None
    assert "Not started: give levels as numbers from 1 to 64" in session.view.status.text()
    assert len(received) == before and session.view.start_button.isEnabled()


def test_without_a_served_side_there_is_nothing_to_start(make_arena, qtbot, tmp_path):
    from fakes import FakeEngine
    from test_blind_round import KEEP_SEED

    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    session = session_on(arena, tmp_path)
    assert not session.view.start_button.isEnabled()
    assert "No side holds a served model" in session.view.status.text()


def test_the_load_run_is_off_while_blind(make_arena, qtbot, tmp_path, event_loop):
    with fault_server(served) as (url, _):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url, blind=True)
    assert not arena.window.load_run_action.isEnabled()  # its window names the served model
    arena.window.blind_action.setChecked(False)
    assert arena.window.load_run_action.isEnabled()
