"""A served model on one side of the arena: picked, shown, answered, stored, and hidden while blind."""

import asyncio

from fakes import FakeEngine
from fault_server import closed_port, fault_server, one_model
from gui.core.sources import ServedParts, source_label
from test_blind_round import KEEP_SEED, visible_strings
from test_server_dialog import open_dialog, settle
from gguf_files import write_gguf

MODEL_ID = "Zetamodel-14B-Instruct"


served = one_model(MODEL_ID)


def arena_with_a_server(make_arena, event_loop, tmp_path, url, blind=True):
    """Side A holds a tiny local file (a fake engine), side B the served model; both loaded on the app's loop."""
    arena = make_arena([FakeEngine([["Par", "is."]]), FakeEngine()], KEEP_SEED, blind=blind)
    arena.rater = "tester"

    async def load_both():
        ended = [side.load_ended() for side in arena.sides]
        assert arena.choose_file(0, str(write_gguf(tmp_path / "Alphamodel-7B.Q5_K_M.gguf")))
        assert arena.choose_served(1 ^ arena.swapped, ServedParts(url, MODEL_ID))
        assert await asyncio.gather(*ended) == [None, None]

    event_loop.run_until_complete(load_both())
    return arena


def test_a_served_model_answers_beside_a_file_and_the_round_is_stored(make_arena, qtbot, tmp_path, event_loop):
    with fault_server(served) as (url, _):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url, blind=False)
        pane = arena.pane_of(1)
        assert f"{MODEL_ID} — served at {url}" in pane._card.text()
        with qtbot.waitSignal(arena.monitor.sampled, timeout=3000):
            pass  # the monitor's once-a-second sample must not turn the served side's words into dashes
        assert "memory: on the server" in " ".join(visible_strings(arena.window))
        event_loop.run_until_complete(arena.send("Capital of Italy?"))
    assert "Rome." in pane.chat.toPlainText() and "Paris." in arena.pane_of(0).chat.toPlainText()
    record = arena.store.rounds()[0]
    served_side = record.right_model if not record.swapped else record.left_model
    assert served_side["server"] == url and served_side["label"] == MODEL_ID
    metrics = record.right_metrics if not record.swapped else record.left_metrics
    assert metrics["tokens"] == 2 and metrics["served_by"] == url and metrics["weights_bytes"] is None


def test_nothing_names_the_server_or_its_model_while_blind(make_arena, qtbot, tmp_path, event_loop):
    with fault_server(served) as (url, _):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url)
        host_port = url.split("//")[1]
        identifying = (MODEL_ID, "Zetamodel", host_port, url, "served at", "Alphamodel")

        def leaks():
            return [s for s in visible_strings(arena.window) for word in identifying if word.lower() in s.lower()]

        assert leaks() == []

        async def round_():
            task = arena.send(f"Are you {MODEL_ID}?")
            await task

        event_loop.run_until_complete(round_())
        # The prompt names the model: it is the rater's own text, so only the answers and panes are checked.
        assert [s for s in leaks() if "Are you" not in s] == []
        assert arena.window.rating.isVisibleTo(arena.window)


def test_a_server_that_cannot_be_reached_says_so_in_the_dialog(make_arena, qtbot, tmp_path, event_loop):
    arena = make_arena([FakeEngine(), FakeEngine()], KEEP_SEED, blind=False)
    dialog = open_dialog(arena, event_loop, 0)
    dialog.url.setCurrentText(f"http://127.0.0.1:{closed_port()}/v1")
    dialog.list_button.click()
    settle(event_loop, lambda: "Could not connect" in dialog.status.text())
    assert dialog.url.currentText().startswith("http://127.0.0.1:")  # nothing typed is lost
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert arena.window.panes[0].error_text() == ""  # the pane's model is untouched


def test_the_file_list_names_a_served_model_by_model_and_host():
    assert source_label("served+http://gpu.lan:8000/v1?key_env=KEY#qwen3-4b") == "qwen3-4b @ gpu.lan:8000"
    assert source_label("/models/SmolLM2.gguf") == "SmolLM2.gguf"


def test_the_log_is_told_what_to_hide_until_the_vote(make_arena, qtbot, tmp_path, event_loop):
    with fault_server(served) as (url, _):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url)
        names = arena.blind_names()
        # The loaded card's name counts too (the fake engine's card here).
        assert {MODEL_ID, url.split("//")[1], "Alphamodel-7B.Q5_K_M", "SmolLM2 135M Instruct"} <= names
        event_loop.run_until_complete(arena.send("Capital of Italy?"))
        with qtbot.waitSignal(arena.blindNamesChanged) as told:
            arena.cast_vote("tie", None, None, "")
    assert told.args == [None] and arena.blind_names() is None
    with qtbot.waitSignal(arena.blindNamesChanged) as told:
        arena.new_chat()  # a new blind chat hides them again
    assert MODEL_ID in told.args[0]


def test_the_report_and_the_leaderboard_treat_a_served_model_like_any(make_arena, qtbot, tmp_path, event_loop):
    from gui.core.leaderboard import compute_leaderboard
    from gui.core.report_data import gather
    from gui.report.html import write_report

    with fault_server(served) as (url, _):
        arena = arena_with_a_server(make_arena, event_loop, tmp_path, url)
        event_loop.run_until_complete(arena.send("Capital of Italy?"))
        arena.cast_vote("right" if not arena.swapped else "left", None, None, "")
    rounds, votes = arena.store.rounds(), arena.store.votes()
    assert [row.model for row in compute_leaderboard(votes).rows][0] == MODEL_ID
    page = write_report(gather(rounds, votes, title="Served"), tmp_path / "report").read_text()
    assert MODEL_ID in page and url in page  # the server stands where a file's path would
