"""Server…: a server, its key (none, an environment variable, the system keyring) and a model, picked in a dialog."""

import asyncio
import logging
import sqlite3
import time

import pytest

from fakes import FakeEngine
from fault_server import fault_server, one_model, response_head
from gguf_files import write_gguf
from gui.core import api_keys
from gui.core.backend import EngineError
from gui.core.sources import ServedParts, served_parts, served_source_of
from test_blind_round import KEEP_SEED

KEY = "sk-test-4f9c1e77b2"  # what must never reach a file of the app
MODEL_ID = "Keyed-8B"


SERVED = one_model(MODEL_ID)


def keyed(request, wfile, connection):
    """A server that answers only with its key: a model list and a two-chunk answer."""
    if request.headers.get("authorization") != f"Bearer {KEY}":
        wfile.write(response_head("401 Unauthorized", "application/json") + b'{"error": "bad key"}')
        return
    SERVED(request, wfile, connection)


def settle(event_loop, until, timeout_s: float = 5.0) -> None:
    """Run the app's loop until `until()` holds (the dialog's work is tasks on it)."""
    async def wait():
        deadline = time.monotonic() + timeout_s
        while not until():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.01)

    event_loop.run_until_complete(wait())


def open_dialog(arena, event_loop, slot: int):
    """Server… on the pane in `slot`, once the dialog knows whether there is a keyring."""
    dialog = arena.open_server_dialog(slot)
    settle(event_loop, lambda: "Looking" not in dialog.key_kind.model().item(2).toolTip())
    return dialog


def ok_button(dialog):
    return dialog.buttons.button(dialog.buttons.StandardButton.Ok)


def test_a_source_says_where_its_key_is_and_never_holds_it():
    for parts in (ServedParts("http://h:1/v1", "m"), ServedParts("http://h:1/v1", "m", key_env="K"),
                  ServedParts("http://h:1/v1", "m", key_in_keyring=True)):
        assert served_parts(served_source_of(parts)) == parts
    assert served_source_of(ServedParts("http://h:1/v1/", "m", key_in_keyring=True)) == "served+http://h:1/v1?key=keyring#m"


def test_a_key_kept_in_the_keyring_is_used_and_written_nowhere(make_arena, qtbot, tmp_path, event_loop, caplog,
                                                                 memory_keyring):
    from gui.core.report_data import gather
    from gui.core.votes_io import write_jsonl
    from gui.report.html import write_report
    from gui.widgets.remembered import save_window, settings_in

    caplog.set_level(logging.DEBUG)
    arena = make_arena([FakeEngine([["Par", "is."]]), FakeEngine()], KEEP_SEED, blind=True)
    arena.rater = "tester"
    with fault_server(keyed) as (url, received):
        dialog = open_dialog(arena, event_loop, 1)
        dialog.url.setCurrentText(url)
        dialog.key_kind.setCurrentIndex(2)
        dialog.key.setText(KEY)
        dialog.list_button.click()
        settle(event_loop, lambda: ok_button(dialog).isEnabled())
        assert dialog.key.text() == ""  # the key left the dialog for the keyring
        assert memory_keyring.secrets == {("gguf-arena", url): KEY}

        async def pick():
            ended = [side.load_ended() for side in arena.sides]
            assert arena.choose_file(0, str(write_gguf(tmp_path / "Alphamodel-7B.Q5_K_M.gguf")))
            ok_button(dialog).click()
            return await asyncio.gather(*ended)

        assert event_loop.run_until_complete(pick()) == [None, None]
        source = arena.sides[1 ^ arena.swapped].model.source
        assert source == f"served+{url}?key=keyring#{MODEL_ID}"
        api_keys._cache.clear()  # as in a later session: the key comes from the keyring again
        event_loop.run_until_complete(arena.send("Capital of Italy?"))
        arena.cast_vote("tie", None, None, "")
    assert "Rome." in arena.pane_of(1 ^ arena.swapped).chat.toPlainText()
    assert all(request.headers["authorization"] == f"Bearer {KEY}" for request in received)

    settings = settings_in(tmp_path / "data")
    save_window(settings, arena.window, arena.model_paths())
    settings.sync()
    write_jsonl(arena.store.votes(), tmp_path / "votes.jsonl")
    report = write_report(gather(arena.store.rounds(), arena.store.votes(), title="Keyed"), tmp_path / "report")
    arena.store.close()
    stored = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert stored and report.is_file()
    assert [blob for blob in stored if KEY.encode() in blob] == []
    assert KEY not in caplog.text
    rows = sqlite3.connect(tmp_path / "results-0.sqlite").execute("SELECT * FROM rounds").fetchall()
    assert rows and KEY not in repr(rows)


def test_a_second_server_dialog_says_a_key_is_kept(make_arena, event_loop, memory_keyring):
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    memory_keyring.set_password("gguf-arena", "http://127.0.0.1:9/v1", KEY)
    arena.window.set_recent_files([served_source_of(ServedParts("http://127.0.0.1:9/v1", "m", key_in_keyring=True))])
    dialog = open_dialog(arena, event_loop, 0)
    assert "a key is kept" in dialog.key.placeholderText()
    assert dialog.key_kind.model().item(2).isEnabled()
    assert dialog.url.currentText() == "http://127.0.0.1:9/v1"  # recent servers come first


def test_without_a_keyring_the_choice_says_why_and_a_key_is_refused(make_arena, event_loop):
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    dialog = open_dialog(arena, event_loop, 0)
    item = dialog.key_kind.model().item(2)
    assert not item.isEnabled() and "no system keyring" in item.toolTip()
    with pytest.raises(EngineError, match="The key was not kept: this machine has no system keyring"):
        api_keys.keep_key("http://127.0.0.1:9/v1", KEY)


def test_a_key_from_an_environment_variable_lists_the_models(make_arena, event_loop, monkeypatch):
    monkeypatch.setenv("ARENA_TEST_KEY", KEY)
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    with fault_server(keyed) as (url, _):
        dialog = open_dialog(arena, event_loop, 0)
        dialog.url.setCurrentText(url)
        dialog.key_kind.setCurrentIndex(1)
        dialog.key_env.setText("ARENA_TEST_KEY")
        dialog.list_button.click()
        settle(event_loop, lambda: ok_button(dialog).isEnabled())
    assert dialog.server() == ServedParts(url, MODEL_ID, key_env="ARENA_TEST_KEY")
    dialog.url.setCurrentText(url + "/")
    assert not ok_button(dialog).isEnabled()  # another server: its models must be listed again


def test_a_wrong_key_says_so_and_keeps_what_was_typed(make_arena, event_loop, memory_keyring):
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    with fault_server(keyed) as (url, _):
        dialog = open_dialog(arena, event_loop, 0)
        dialog.url.setCurrentText(url)
        dialog.key_kind.setCurrentIndex(2)
        dialog.key.setText("sk-wrong")
        dialog.list_button.click()
        settle(event_loop, lambda: "401" in dialog.status.text())
    assert "the API key is missing or wrong" in dialog.status.text()
    assert dialog.url.currentText() == url and dialog.list_button.isEnabled()


@pytest.mark.parametrize("kind, fields, words", [
    (0, {"url": ""}, "Give the server's base URL"),
    (1, {"url": "http://127.0.0.1:9/v1"}, "Name the environment variable"),
])
def test_a_missing_field_is_asked_for_before_any_request(make_arena, event_loop, kind, fields, words):
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    dialog = open_dialog(arena, event_loop, 0)
    dialog.url.setCurrentText(fields["url"])
    dialog.key_kind.setCurrentIndex(kind)
    dialog.list_button.click()
    assert words in dialog.status.text() and dialog.list_button.isEnabled()
