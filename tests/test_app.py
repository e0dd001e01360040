"""The composition root with fake engines: file choice, refusals, a round into the panes, new chat."""

import asyncio

import pytest
from PySide6.QtWidgets import QLabel

from fakes import FakeEngine
from gguf_files import write_giant, write_gguf
from gui.core.gguf_header import read_card
from gui.core.fit import estimate, spec_of
from gui.core.history import HistoryRow
from gui.core.memory import SystemMemory
from gui.core.params import LoadParams


@pytest.fixture
def arena(make_arena):
    return make_arena((FakeEngine([["Hi", " there"]], token_delay_s=0.01), FakeEngine([["Hello"]], token_delay_s=0.01)),
                      blind=False)


def label(widget, name: str) -> str:
    return widget.findChild(QLabel, name).text()


def test_a_file_larger_than_free_memory_is_refused_before_loading(arena, tmp_path):
    giant = write_giant(tmp_path / "giant.gguf", 8 * 2**30)  # 32 GiB of F32, sparse on disk
    assert not arena.choose_file(0, str(giant))
    error = arena.window.left.error_text()
    assert "giant.gguf" in error and "GiB" in error and "free" in error
    assert not arena.sides[0].loading and arena.sides[0].model is None


def test_the_fit_check_counts_a_model_still_loading_on_the_other_side(arena, tmp_path, monkeypatch):
    paths = [str(write_gguf(tmp_path / name)) for name in ("one.gguf", "two.gguf")]
    need = estimate(spec_of(read_card(paths[0])), LoadParams().n_ctx).total_bytes
    free = SystemMemory(process_rss_bytes=0, free_ram_bytes=int(need * 1.5), vram_bytes=None)
    monkeypatch.setattr("gui.controllers.arena.system_memory", lambda: free)
    assert arena.choose_file(0, paths[0])  # one fits
    assert not arena.choose_file(1, paths[1])  # both do not: the first is not resident yet
    assert "Both models need about" in arena.window.right.error_text() and "one.gguf" in arena.window.right.error_text()
    roomy = SystemMemory(process_rss_bytes=0, free_ram_bytes=need * 3, vram_bytes=None)
    monkeypatch.setattr("gui.controllers.arena.system_memory", lambda: roomy)
    assert arena.choose_file(1, paths[1])


def test_a_directory_is_refused_with_its_reason(arena, tmp_path):
    assert not arena.choose_file(1, str(tmp_path))
    assert "directory" in arena.window.right.error_text()


def test_a_good_file_shows_its_card_then_loads(qtbot, arena, tmp_path):
    tiny = write_gguf(tmp_path / "tiny.gguf")
    with qtbot.waitSignal(arena.sides[0].loaded, timeout=5000):
        assert arena.choose_file(0, str(tiny))
        assert "llama" in label(arena.window.left, "card")
    assert "loaded in" in label(arena.window.left, "loadStatus")
    assert arena.window.left.files.currentData() == str(tiny)


def test_send_with_no_model_loaded_says_what_to_do(arena):
    arena.window.sendRequested.emit("hello")
    assert "No model is loaded" in arena.window.statusBar().currentMessage()


def test_a_round_fills_both_panes_and_new_chat_clears_them(qtbot, arena, event_loop, tmp_path):
    tiny = write_gguf(tmp_path / "tiny.gguf")
    with qtbot.waitSignals([arena.sides[0].loaded, arena.sides[1].loaded], timeout=5000):
        arena.load_pair(str(tiny), str(tiny))
    event_loop.run_until_complete(arena.send("greet me"))
    left, right = arena.window.panes
    assert "greet me" in left.chat.toPlainText() and "Hi there" in left.chat.toPlainText()
    assert "Hello" in right.chat.toPlainText()
    assert label(left, "stop") == "end of text"
    assert [HistoryRow._make(r).prompt for r in arena.store.history()] == ["greet me"]  # committed though nobody votes
    assert arena.pending is None and arena.window.rating.isHidden()  # no blind vote in an open chat
    arena.window.newChatRequested.emit()
    assert left.chat.toPlainText() == "" and right.chat.toPlainText() == ""
    assert arena.sides[0].conversation.turns == []


def test_the_pair_is_read_off_the_gui_thread_and_a_bad_file_is_refused_in_its_pane(arena, event_loop, tmp_path,
                                                                                   monkeypatch):
    import threading

    import gui.controllers.arena

    readers = []

    def recording_read_card(path):
        readers.append(threading.current_thread())
        return read_card(path)

    monkeypatch.setattr(gui.controllers.arena, "read_card", recording_read_card)
    tiny = write_gguf(tmp_path / "tiny.gguf")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF")
    started = event_loop.run_until_complete(arena.load_pair(str(broken), str(tiny)))
    assert started == [1]
    assert "truncated or damaged" in arena.pane_of(0).error_text()
    assert len(readers) == 2 and threading.main_thread() not in readers


def recording_reads(monkeypatch, slow: str | None = None) -> list:
    """(path, thread) of every header the arena reads from now on; reading `slow` takes half a second."""
    import threading
    import time

    import gui.controllers.arena

    reads = []

    def recording_read_card(path):
        reads.append((path, threading.current_thread()))
        if path == slow:
            time.sleep(0.5)
        return read_card(path)

    monkeypatch.setattr(gui.controllers.arena, "read_card", recording_read_card)
    return reads


def test_a_file_chosen_in_the_pane_has_its_header_read_off_the_gui_thread(qtbot, arena, tmp_path, monkeypatch):
    import threading

    reads = recording_reads(monkeypatch)
    tiny = str(write_gguf(tmp_path / "tiny.gguf"))
    with qtbot.waitSignal(arena.sides[0].loaded, timeout=5000):
        arena.window.left.fileChosen.emit(tiny)  # as the list, Browse…, a drop or File › Open recent do
        assert arena.sides[0].path != tiny  # nothing chosen until the header is read
    assert [path for path, _ in reads] == [tiny] and reads[0][1] is not threading.main_thread()
    assert "llama" in label(arena.window.left, "card")


def test_a_second_choice_while_the_first_is_read_supersedes_it(arena, event_loop, tmp_path, monkeypatch):
    first, second = (str(write_gguf(tmp_path / name)) for name in ("first.gguf", "second.gguf"))
    recording_reads(monkeypatch, slow=first)
    earlier = arena.pick_file(0, first)
    later = arena.pick_file(0, second)
    assert event_loop.run_until_complete(asyncio.gather(earlier, later)) == [False, True]
    # The first file was never chosen: not loaded, its card never shown.
    assert arena.sides[0].path == second and arena.window.left.files.currentData() == second


def test_a_file_that_cannot_be_read_is_refused_in_its_pane_after_the_read(arena, event_loop, tmp_path):
    assert not event_loop.run_until_complete(arena.pick_file(1, str(tmp_path)))
    assert "is a folder, not a file" in arena.window.right.error_text() and arena.sides[1].path is None
