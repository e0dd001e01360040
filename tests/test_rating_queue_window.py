"""Rating stored rounds: shown blind, voted by keyboard, committed, revealed; swapped repeats stored with their vote."""

import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fakes import FakeEngine
from gui.controllers.arena import Arena
from gui.core.store import RoundRecord, Store
from gui.core.votes import Outcome
from gui.controllers.rating import RatingSession
from gui.widgets.main_window import MainWindow
from test_blind_round import leaks

ALPHA = {"label": "Alphamodel-7B.Q5_K_M", "path": "/m/Alphamodel-7B.Q5_K_M.gguf", "quantization": "Q5_K_M",
         "architecture": "llama", "file_size": 5 * 2**30}
BETA = {"label": "Betamodel-3B.Q8_0", "path": "/m/Betamodel-3B.Q8_0.gguf", "quantization": "Q8_0",
        "architecture": "llama", "file_size": 3 * 2**30}
METRICS = {"prompt_tokens": 9, "tokens": 12, "ttft_s": 0.25, "prompt_tps": 36.0, "decode_tps": 40.0,
           "elapsed_s": 0.5, "stop_reason": "end of text", "threads": 2, "contended": False,
           "first_after_load": False, "error": None, "load_s": 0.3, "weights_bytes": 2**20, "context_bytes": 2**19}


def a_round(number: int, swapped=False) -> RoundRecord:
    left, right = (BETA, ALPHA) if swapped else (ALPHA, BETA)
    return RoundRecord(
        id=f"r{number}", created_at=f"2026-11-23T10:{number:02d}:00+00:00", chat_id=f"c{number}", turn=1,
        prompt=f"Question {number}?", category="math", mode="sequential",
        params={"left": {}, "right": {}}, swapped=swapped, left_model=left, right_model=right,
        left_output=f"{left['label'][:4]}-answer {number}", right_output=f"{right['label'][:4]}-answer {number}",
        left_metrics=METRICS, right_metrics=METRICS, environment={}, batch_id="b", batch_key=f"k{number}",
        left_checks=[{"kind": "number", "passed": True, "detail": "last number 4 = 4"}], right_checks=None,
    )


@pytest.fixture
def session(qtbot, event_loop, tmp_path):
    """A rating session over five stored rounds, its window shown; the rater already named."""
    store = Store(tmp_path / "results.sqlite")
    for number in range(1, 6):
        store.add_round(a_round(number, swapped=number % 2 == 0))
    window = MainWindow()
    qtbot.addWidget(window)
    arena = Arena(window, store, (FakeEngine(), FakeEngine()), rng=random.Random(0))
    arena.rater = "kim"
    rating = RatingSession(arena, store, rng=random.Random(1))
    qtbot.addWidget(rating.window)
    yield rating
    arena.shutdown()
    store.close()


def press(qtbot, key) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key)


def test_a_stored_round_is_shown_blind_then_a_keyboard_vote_commits_and_reveals(qtbot, session):
    session.repeat_rate = 0.0
    session.open()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    view = session.window
    assert view.prompt.toPlainText().endswith("Question 1?") and "Category: math" in view.prompt.toPlainText()
    assert view.left.answer.toPlainText() == "Alph-answer 1"
    # The answers' own first words are the fixture's; the walk looks for names, sizes and quantizations.
    assert [s for s in leaks(view) if "-answer" not in s] == []
    press(qtbot, Qt.Key.Key_1)
    (vote,) = session.store.votes()
    assert (vote.round_id, vote.outcome, vote.rater, vote.model_left) == ("r1", Outcome.LEFT, "kim", ALPHA["label"])
    assert "Alphamodel-7B.Q5_K_M" in view.left.revealed.text() and "✓ number" in view.left.revealed.text()
    assert "40.0 tok/s" in view.right.revealed.text()
    press(qtbot, Qt.Key.Key_Return)
    assert view.prompt.toPlainText().endswith("Question 2?") and view.left.revealed.isHidden()


def test_skip_leaves_a_round_unrated_for_next_time(qtbot, session):
    session.repeat_rate = 0.0
    session.open()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    press(qtbot, Qt.Key.Key_S)
    assert session.window.prompt.toPlainText().endswith("Question 2?")
    assert session.store.votes() == []
    session.open()
    assert session.window.prompt.toPlainText().endswith("Question 1?")


def test_swapped_repeats_come_back_unannounced_and_are_stored_with_their_vote(qtbot, session):
    session.window.repeats.setValue(50)  # the most it offers
    assert session.repeat_rate == 0.5
    session.open()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    statuses = []
    while session.queue.current is not None:
        statuses.append(session.window.status.text())
        press(qtbot, Qt.Key.Key_2)
        press(qtbot, Qt.Key.Key_N)
    votes = session.store.votes()
    repeats = [v for v in votes if v.repeat_of]
    assert len(votes) == 5 + len(repeats) and repeats
    for repeat in repeats:
        original = next(v for v in votes if v.round_id == repeat.repeat_of)
        assert (repeat.model_left, repeat.model_right) == (original.model_right, original.model_left)
        stored = session.store.round(repeat.round_id)
        assert stored.repeat_of == original.round_id and stored.left_output == session.store.round(original.round_id).right_output
    # Nothing tells a repeat apart: the status moves on by one at every round, fresh or repeated.
    assert statuses == [f"{n} rated this session · rater: kim" for n in range(len(votes))]
    assert "Nothing left to rate" in session.window.status.text()


def test_the_round_waiting_for_its_vote_in_the_chat_is_not_offered_twice(qtbot, session):
    session.arena.pending = session.store.round("r1")
    session.repeat_rate = 0.0
    session.open()
    assert session.window.prompt.toPlainText().endswith("Question 2?")
