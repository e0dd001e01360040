"""The rating bar: keys 1–4 and buttons vote once per ask, with the rubric and the comment; text fields keep their digits."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gui.widgets.rating_bar import RatingBar

KEYS = [(Qt.Key.Key_1, "left"), (Qt.Key.Key_2, "right"), (Qt.Key.Key_3, "tie"), (Qt.Key.Key_4, "both_bad")]


@pytest.fixture
def host(qtbot):
    """A window holding a prompt box above the bar, as the main window does."""
    host = QWidget()
    host.prompt = QPlainTextEdit()
    host.bar = RatingBar()
    layout = QVBoxLayout(host)
    layout.addWidget(host.prompt)
    layout.addWidget(host.bar)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow)
    return host


@pytest.fixture
def bar(host):
    return host.bar


def test_hidden_until_asked(bar):
    assert not bar.isVisible()


@pytest.mark.parametrize(("key", "outcome"), KEYS)
def test_each_key_votes_its_outcome(qtbot, bar, key, outcome):
    bar.ask()
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.keyClick(bar.buttons[0], key)
    assert blocker.args == [outcome, None, None, ""]


@pytest.mark.parametrize(("index", "outcome"), [(i, outcome) for i, (_, outcome) in enumerate(KEYS)])
def test_each_button_votes_its_outcome(qtbot, bar, index, outcome):
    bar.ask()
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.mouseClick(bar.buttons[index], Qt.MouseButton.LeftButton)
    assert blocker.args[0] == outcome


def test_buttons_say_their_key_and_outcome(bar):
    assert [button.text() for button in bar.buttons] == ["1 Left better", "2 Right better", "3 Tie", "4 Both bad"]


def test_a_keypad_digit_votes_too(qtbot, bar):
    bar.ask()
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.keyClick(bar.buttons[0], Qt.Key.Key_3, Qt.KeyboardModifier.KeypadModifier)
    assert blocker.args[0] == "tie"


def test_the_vote_carries_rubric_scores_and_the_comment(qtbot, bar):
    bar.ask()
    bar.left_score.setCurrentIndex(4)
    bar.right_score.setCurrentIndex(1)
    qtbot.keyClicks(bar.comment, "  left skips step 2  ")
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.keyClick(bar.buttons[0], Qt.Key.Key_1)
    assert blocker.args == ["left", 3, 0, "left skips step 2"]


def test_rubric_offers_no_score_then_zero_to_three(bar):
    items = [bar.left_score.itemText(i) for i in range(bar.left_score.count())]
    assert items == [
        "—",
        "0 wrong",
        "1 right direction, key steps missing",
        "2 complete reasoning, imprecise conclusion",
        "3 rigorous, correct, clear",
    ]
    assert [bar.right_score.itemData(i) for i in range(bar.right_score.count())] == [None, 0, 1, 2, 3]


def test_a_digit_typed_in_the_prompt_is_text(qtbot, host, bar):
    bar.ask()
    host.prompt.setFocus()
    with qtbot.assertNotEmitted(bar.voteCast, wait=100):
        qtbot.keyClicks(host.prompt, "1234")
    assert host.prompt.toPlainText() == "1234"


def test_a_digit_typed_in_the_comment_is_text(qtbot, bar):
    bar.ask()
    bar.comment.setFocus()
    with qtbot.assertNotEmitted(bar.voteCast, wait=100):
        qtbot.keyClicks(bar.comment, "step 2 wrong")
    assert bar.comment.text() == "step 2 wrong"


def test_a_digit_on_a_score_box_picks_the_score(qtbot, bar):
    bar.ask()
    bar.left_score.setFocus()
    with qtbot.assertNotEmitted(bar.voteCast, wait=100):
        qtbot.keyClick(bar.left_score, Qt.Key.Key_2)
    assert bar.left_score.currentData() == 2


def test_only_one_vote_per_ask(qtbot, bar):
    bar.ask()
    votes = []
    bar.voteCast.connect(lambda *args: votes.append(args))
    qtbot.keyClick(bar.buttons[0], Qt.Key.Key_1)
    qtbot.keyClick(bar, Qt.Key.Key_2)
    bar.buttons[2].click()
    qtbot.wait(50)
    assert [vote[0] for vote in votes] == ["left"]


def test_done_says_what_was_saved_and_closes_the_vote(qtbot, bar):
    bar.ask()
    bar.done("Vote saved: Left better. Left was A, Right was B.")
    assert bar.result.text() == "Vote saved: Left better. Left was A, Right was B."
    assert bar.result.isVisible()
    assert not any(button.isEnabled() for button in bar.buttons)
    with qtbot.assertNotEmitted(bar.voteCast, wait=100):
        qtbot.keyClick(bar, Qt.Key.Key_1)


def test_ask_again_starts_clean(qtbot, bar):
    bar.ask()
    bar.left_score.setCurrentIndex(2)
    bar.comment.setText("meh")
    qtbot.keyClick(bar.buttons[0], Qt.Key.Key_4)
    bar.done("Vote saved: Both bad.")
    bar.ask()
    assert bar.left_score.currentText() == "—"
    assert bar.comment.text() == ""
    assert not bar.result.isVisible()
    assert all(button.isEnabled() for button in bar.buttons)
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.keyClick(bar.buttons[0], Qt.Key.Key_2)
    assert blocker.args == ["right", None, None, ""]


@pytest.mark.parametrize("close", ["never asked", "hidden"])
def test_no_keys_vote_while_the_bar_is_not_asking(qtbot, host, bar, close):
    if close == "hidden":
        bar.ask()
        bar.hide_bar()
    assert not bar.isVisible()
    with qtbot.assertNotEmitted(bar.voteCast, wait=100):
        qtbot.keyClick(host, Qt.Key.Key_1)


def test_asking_moves_the_focus_to_the_vote_from_an_empty_prompt(bar, host):
    host.prompt.setFocus()
    bar.ask()
    assert host.focusWidget() is bar.buttons[0]


def test_asking_leaves_half_typed_text_alone(bar, host):
    host.prompt.setPlainText("Next question: what is")
    host.prompt.setFocus()
    bar.ask()
    assert host.focusWidget() is host.prompt


def test_every_control_has_an_accessible_name(bar):
    controls = bar.findChildren(QPushButton) + bar.findChildren(QComboBox) + bar.findChildren(QLineEdit)
    assert len(controls) == 7
    for control in controls:
        assert control.accessibleName(), control


def test_tab_reaches_every_control_in_order(qtbot, bar):
    bar.ask()
    bar.buttons[0].setFocus()
    order = [bar.focusWidget()]
    for _ in range(6):
        qtbot.keyClick(order[-1], Qt.Key.Key_Tab)
        order.append(bar.focusWidget())
    assert order == [*bar.buttons, bar.left_score, bar.right_score, bar.comment]


def test_with_scores_required_a_vote_without_both_is_refused_and_nothing_entered_is_lost(qtbot, bar):
    bar.ask(scores_required=True)
    bar.left_score.setCurrentIndex(bar.left_score.findData(2))
    bar.comment.setText("close call")
    with qtbot.assertNotEmitted(bar.voteCast):
        qtbot.keyClick(bar.buttons[0], Qt.Key.Key_1)
    assert "Not saved: give the right score (0–3) first" in bar.result.text() and bar.result.isVisible()
    assert bar.right_score.hasFocus() and "required" in bar.right_score.toolTip()
    assert (bar.left_score.score(), bar.comment.text(), bar.buttons[0].isEnabled()) == (2, "close call", True)
    bar.right_score.setCurrentIndex(bar.right_score.findData(0))
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.mouseClick(bar.buttons[1], Qt.MouseButton.LeftButton)
    assert blocker.args == ["right", 2, 0, "close call"]


def test_both_missing_scores_are_named_and_the_next_plain_ask_makes_them_optional_again(qtbot, bar):
    bar.ask(scores_required=True)
    with qtbot.assertNotEmitted(bar.voteCast):
        qtbot.mouseClick(bar.buttons[2], Qt.MouseButton.LeftButton)
    assert "give the left score and right score (0–3) first" in bar.result.text() and bar.left_score.hasFocus()
    bar.ask()
    assert "optional" in bar.left_score.toolTip() and bar.result.isHidden()
    with qtbot.waitSignal(bar.voteCast, timeout=1000) as blocker:
        qtbot.mouseClick(bar.buttons[2], Qt.MouseButton.LeftButton)
    assert blocker.args == ["tie", None, None, ""]
