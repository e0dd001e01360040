"""A blind round with fake engines: nothing identifies a model before the vote; the vote is kept, then revealed."""

import asyncio
import random
import signal
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit, QMainWindow, QWidget

from fakes import FakeEngine
from gguf_files import write_gguf
from processes import kill_after
from gui.core.store import Store
from gui.core.votes import Outcome

# A seed whose first draw keeps side A on the Left and one whose first draw swaps, for random.Random.
KEEP_SEED = next(s for s in range(100) if random.Random(s).random() >= 0.5)
SWAP_SEED = next(s for s in range(100) if random.Random(s).random() < 0.5)


@pytest.fixture
def make_arena(make_arena, qtbot, tmp_path):
    """Arenas with the blind pair loaded, a rater named, and fake answers."""

    def make(seed: int, answers=(["Paris", "."], ["Lyon"])):
        arena = make_arena([FakeEngine([list(a)], token_delay_s=0.02) for a in answers], seed)
        arena.rater = "tester"
        paths = [write_gguf(tmp_path / name) for name in ("Alphamodel-7B.Q5_K_M.gguf", "Betamodel-3B.Q8_0.gguf")]
        with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=5000):
            arena.load_pair(str(paths[0]), str(paths[1]))
        return arena

    return make


def visible_strings(window: QWidget) -> list[str]:
    """Every string a rater could see or reach: texts, tooltips, accessible names, combo items, menus."""
    found = [window.windowTitle()]
    if isinstance(window, QMainWindow):
        found.append(window.statusBar().currentMessage())
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        found += [widget.toolTip(), widget.accessibleName(), widget.windowTitle()]
        if isinstance(widget, (QLabel, QAbstractButton, QLineEdit)):
            found.append(widget.text())
        if isinstance(widget, QComboBox):
            found += [widget.itemText(i) for i in range(widget.count())]
            found += [str(widget.itemData(i, Qt.ItemDataRole.ToolTipRole)) for i in range(widget.count())]
        if hasattr(widget, "toPlainText"):
            found.append(widget.toPlainText())
    for action in window.menuBar().actions() if isinstance(window, QMainWindow) else ():
        found += [a.text() for a in action.menu().actions()] if action.menu() else [action.text()]
    return found


IDENTIFYING = ("Alphamodel", "Betamodel", "Q5_K_M", "Q8_0", "F32", "llama", "Tiny Test", "7B", "MiB", ".gguf")


def leaks(window) -> list[str]:
    return [s for s in visible_strings(window) for word in IDENTIFYING if word.lower() in s.lower()]


def test_nothing_identifies_a_model_during_a_blind_round(make_arena, event_loop):
    arena = make_arena(KEEP_SEED, answers=(["a"] * 40, ["b"] * 40))
    window = arena.window
    assert leaks(window) == []

    async def streaming():
        task = arena.send("Which city?")
        while not all(side.live_tokens >= 5 for side in arena.sides):
            await asyncio.sleep(0.01)
        assert leaks(window) == [], "while streaming"
        await task

    event_loop.run_until_complete(streaming())
    assert leaks(window) == [], "after the answers, before the vote"
    assert window.rating.isVisibleTo(window) and not window.chart.isVisibleTo(window)


def test_the_walk_sees_what_an_open_chat_shows(make_arena):
    arena = make_arena(KEEP_SEED)
    arena.window.blind_action.trigger()  # blind mode off: names and cards come back
    assert not arena.blind and leaks(arena.window)


def test_a_keyboard_vote_is_committed_then_the_models_are_revealed(qtbot, make_arena, event_loop):
    arena = make_arena(SWAP_SEED)
    assert arena.swapped
    arena.window.show()
    qtbot.waitExposed(arena.window)
    event_loop.run_until_complete(arena.send("Which city?"))
    left, right = arena.window.panes
    assert "Lyon" in left.chat.toPlainText() and "Paris" in right.chat.toPlainText()  # side B sits on the Left
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)
    votes = arena.store.votes()
    assert [(v.outcome, v.model_left, v.model_right, v.rater) for v in votes] == [
        (Outcome.LEFT, "Betamodel-3B.Q8_0", "Alphamodel-7B.Q5_K_M", "tester")
    ]
    assert arena.store.round(votes[0].round_id).swapped
    assert any("Betamodel" in s for s in visible_strings(arena.window))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_2)
    assert len(arena.store.votes()) == 1, "one vote per round"


def test_an_answer_naming_its_model_flags_the_vote(qtbot, make_arena, event_loop):
    arena = make_arena(KEEP_SEED, answers=(["I am ", "Alphamodel", "."], ["Hello"]))
    event_loop.run_until_complete(arena.send("Who are you?"))
    arena.cast_vote("tie", None, None, "")
    assert arena.store.votes()[0].identity_leak
    assert "left out of the leaderboard" in arena.window.rating.result.text()


def test_sigkill_right_after_a_vote_in_the_app_loses_nothing(tmp_path):
    """The real vote path (rating bar -> arena -> store) in a child process killed at once."""
    tests = Path(__file__).resolve().parent
    script = textwrap.dedent(
        f"""
        import asyncio, random, sys
        from pathlib import Path
        sys.path.insert(0, {str(tests)!r})
        from gui.app import start_qt
        start_qt("offscreen")
        from fakes import FakeEngine
        from gguf_files import write_gguf
        from gui.controllers.arena import Arena
        from gui.core.store import Store
        from gui.widgets.main_window import MainWindow
        window = MainWindow()
        arena = Arena(window, Store({str(tmp_path / "results.sqlite")!r}), [FakeEngine([["a"]]), FakeEngine([["b"]])],
                      rng=random.Random(0))
        arena.rater = "kim"
        loop = asyncio.get_event_loop()
        paths = [str(write_gguf(Path({str(tmp_path)!r}) / n)) for n in ("x.gguf", "y.gguf")]

        async def rate():
            arena.load_pair(*paths)
            while any(side.model is None for side in arena.sides):
                await asyncio.sleep(0.01)
            await arena.send("hello")
            window.rating.buttons[2].click()
            print("voted", flush=True)
            await asyncio.sleep(60)

        loop.run_until_complete(rate())
        """
    )
    assert kill_after(script, "voted") == -signal.SIGKILL
    store = Store(tmp_path / "results.sqlite")
    assert [(v.outcome, v.rater) for v in store.votes()] == [(Outcome.TIE, "kim")]
    assert len(store.history()) == 1 and store.integrity_check() == "ok"
