"""Rating stored rounds: shown blind, voted by keyboard, committed, revealed; swapped repeats stored with their vote."""

import dataclasses
import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fakes import FakeEngine
from gui.controllers.arena import Arena
from gui.core.store import BatchRecord, RoundRecord, Store
from gui.core.suites import SuiteItem
from gui.core.votes import Outcome, Vote
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
    yield from rating_session(qtbot, store)


def rating_session(qtbot, store: Store):
    """A rating session on `store` for rater kim, wired as gui.app wires it; the arena and store closed after."""
    window = MainWindow()
    qtbot.addWidget(window)
    arena = Arena(window, store, (FakeEngine(), FakeEngine()), rng=random.Random(0))
    arena.rater = "kim"
    rating = RatingSession(arena, store, rng=random.Random(1))
    window.switchRaterRequested.connect(rating.switch_rater)
    qtbot.addWidget(rating.window)
    yield rating
    arena.shutdown()
    store.close()


def press(qtbot, key) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key)


def focus_in(qtbot, view) -> None:
    """Wait until the keyboard focus is in the queue window (not in a window an earlier test left behind)."""
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and view.isAncestorOf(QApplication.focusWidget()))


def test_a_stored_round_is_shown_blind_then_a_keyboard_vote_commits_and_reveals(qtbot, session):
    session.repeat_rate = 0.0
    session.open()
    focus_in(qtbot, session.window)
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
    focus_in(qtbot, session.window)
    press(qtbot, Qt.Key.Key_S)
    assert session.window.prompt.toPlainText().endswith("Question 2?")
    assert session.store.votes() == []
    session.open()
    assert session.window.prompt.toPlainText().endswith("Question 1?")


def test_swapped_repeats_come_back_unannounced_and_are_stored_with_their_vote(qtbot, session):
    session.window.repeats.setValue(50)  # the most it offers
    assert session.repeat_rate == 0.5
    session.open()
    focus_in(qtbot, session.window)
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


def protocol_store(store: Store, protocol: bool) -> None:
    """Rounds r1–r5 become batch b's answers to item "p1", which has a reference and a rubric note."""
    item = SuiteItem("p1", "proof", "Prove it.", reference="By contradiction: …", rubric="3: every step named")
    settings = {"items": [dataclasses.asdict(item)], **({"protocol": True} if protocol else {})}
    store.add_batch(BatchRecord("b", "2026-11-23T09:00:00+00:00", "logic", [], settings, "finished"))


@pytest.fixture
def protocol_session(qtbot, event_loop, tmp_path):
    """Like `session`, the five rounds answering a protocol batch's item p1."""
    store = Store(tmp_path / "results.sqlite")
    for number in range(1, 6):
        store.add_round(dataclasses.replace(a_round(number, swapped=number % 2 == 0), item_id="p1"))
    protocol_store(store, protocol=True)
    yield from rating_session(qtbot, store)


def test_a_protocol_round_shows_its_guide_and_refuses_a_vote_without_both_scores(qtbot, protocol_session):
    session = protocol_session
    session.repeat_rate = 0.0
    session.open()
    focus_in(qtbot, session.window)
    view = session.window
    assert view.guide.isVisible()
    assert "3: every step named" in view.guide.toPlainText() and "By contradiction: …" in view.guide.toPlainText()
    view.rating.left_score.setCurrentIndex(view.rating.left_score.findData(3))
    view.rating.comment.setText("left is rigorous")
    view.rating.buttons[0].click()
    assert session.store.votes() == [] and session.queue.current.id == "r1"
    assert "Not saved: give the right score" in view.rating.result.text() and not view.next_button.isEnabled()
    view.rating.right_score.setCurrentIndex(view.rating.right_score.findData(1))
    view.rating.buttons[0].click()
    (vote,) = session.store.votes()
    assert (vote.round_id, vote.rubric_left, vote.rubric_right, vote.comment) == ("r1", 3, 1, "left is rigorous")


def test_a_swapped_repeat_of_a_protocol_round_needs_its_scores_too(qtbot, protocol_session):
    session = protocol_session
    session.store.add_vote(Vote("r1", ALPHA["label"], BETA["label"], Outcome.LEFT, rater="kim", rubric_left=3,
                                rubric_right=1, cast_at="2026-11-23T11:00:00+00:00"))
    session.repeat_rate = 1.0  # r1 was rated in an earlier session: its repeat is due at once
    session.open()
    assert session.queue.current.repeat_of == "r1" and session.window.guide.isVisible()
    session.window.rating.buttons[1].click()
    assert len(session.store.votes()) == 1 and len(session.store.rounds()) == 5


def test_a_plain_batch_round_shows_its_guide_with_the_scores_optional(qtbot, session):
    protocol_store(session.store, protocol=False)
    session.store.add_round(dataclasses.replace(a_round(9), id="r9", item_id="p1", batch_key="k9"))
    session.repeat_rate = 0.0
    session.open()
    while session.queue.current.id != "r9":
        session.show_next()
    assert "By contradiction" in session.window.guide.toPlainText()
    session.window.rating.buttons[2].click()
    assert [vote.outcome for vote in session.store.votes()] == [Outcome.TIE]
    session.show_next()
    assert session.queue.current is None and session.window.guide.isHidden()


def test_switch_rater_starts_the_queue_over_for_the_next_rater_blind_to_the_first(qtbot, session, monkeypatch):
    session.repeat_rate = 0.0
    session.open()
    session.window.rating.buttons[0].click()
    monkeypatch.setattr("gui.controllers.arena.QInputDialog.getText", lambda *args: ("  lee ", True))
    session.arena.window.switch_rater_action.trigger()
    view = session.window
    assert session.queue.rater == session.arena.rater == "lee"
    assert view.prompt.toPlainText().endswith("Question 1?") and view.status.text() == "0 rated this session · rater: lee"
    # Nothing of kim's vote shows: the bar asks afresh and nothing is revealed.
    assert view.rating.result.isHidden() and view.left.revealed.isHidden()
    view.rating.buttons[1].click()
    assert [(v.round_id, v.rater, v.outcome) for v in session.store.votes()] == [
        ("r1", "kim", Outcome.LEFT), ("r1", "lee", Outcome.RIGHT)]


def test_switching_to_a_blank_name_or_cancelling_keeps_the_rater(qtbot, session, monkeypatch):
    session.repeat_rate = 0.0
    session.open()
    for answer in (("   ", True), ("lee", False)):
        monkeypatch.setattr("gui.controllers.arena.QInputDialog.getText", lambda *args, a=answer: a)
        session.window.switch_rater_button.click()
        assert session.arena.rater == session.queue.rater == "kim"
    assert "Rater not switched: type a name" in session.arena.window.status.currentMessage()
