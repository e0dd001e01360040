"""The blind vote under the answers: which side is better (keys 1–4), a rubric (optional or required) and a comment."""

import itertools

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

# (outcome value as votes store it, words for people, what a screen reader says); keys 1–4 in this order.
OUTCOMES = (
    ("left", "Left better", "The left answer is better"),
    ("right", "Right better", "The right answer is better"),
    ("tie", "Tie", "Both answers are as good"),
    ("both_bad", "Both bad", "Both answers are bad"),
)
OUTCOME_WORDS = {value: words for value, words, _ in OUTCOMES}
RUBRIC = (
    "0 wrong",
    "1 right direction, key steps missing",
    "2 complete reasoning, imprecise conclusion",
    "3 rigorous, correct, clear",
)
_NO_SCORE = "—"


class ScoreCombo(QComboBox):
    """A 0–3 rubric score or none; a digit typed on it picks that score instead of voting."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.addItem(_NO_SCORE, None)
        for score, text in enumerate(RUBRIC):
            self.addItem(text, score)
        self.setAccessibleName(name)
        self.name = name
        self.set_required(False)
        # The longest description would make the bar wider than the window.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(14)

    def event(self, event: QEvent) -> bool:
        # Claim plain digits before the window's vote shortcuts see them: here they choose a score.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.text().isdigit()
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            event.accept()
            return True
        return super().event(event)

    def score(self) -> int | None:
        return self.currentData()

    def set_required(self, required: bool) -> None:
        """Say in the tooltip whether a vote needs this score."""
        need = "required" if required else "optional"
        self.setToolTip(f"{self.name}: {need}, 0 (wrong) to 3 (rigorous, correct, clear)")


def _typing_in(widget: QWidget | None) -> bool:
    """Whether the focus is in an editable text field that already holds text."""
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly() and bool(widget.text())
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return not widget.isReadOnly() and not widget.document().isEmpty()
    return False


class RatingBar(QFrame):
    """Asks for one vote on the round just answered; hidden until ask().

    Keys 1–4 vote while the bar is shown and enabled, except in a text field, where a digit
    is text (and on a score box, where it picks the score). Asked with scores required, a vote
    without both scores is refused: the bar says which is missing and keeps what was entered.

    Signals:
        voteCast(str, object, object, str): outcome ("left", "right", "tie", "both_bad"),
            the left and right rubric scores (0–3, or None), and the comment. Once per ask().
    """

    voteCast = Signal(str, object, object, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._open = False
        self._scores_required = False

        question = QLabel("Which answer is better?")
        font = question.font()
        font.setBold(True)
        question.setFont(font)
        self.buttons: list[QPushButton] = []
        buttons = QHBoxLayout()
        buttons.addWidget(question)
        for key, (outcome, words, name) in enumerate(OUTCOMES, start=1):
            button = QPushButton(f"{key} {words}")
            button.setAccessibleName(name)
            button.setToolTip(f"Key {key}")
            button.clicked.connect(lambda _checked=False, o=outcome: self._vote(o))
            # Window-wide but owned by the bar, so a hidden or disabled bar takes no keys.
            shortcut = QShortcut(QKeySequence(str(key)), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setWhatsThis(f"Vote › {words}")  # its line in the shortcuts sheet (F1)
            shortcut.activated.connect(lambda o=outcome: self._vote(o))
            buttons.addWidget(button)
            self.buttons.append(button)
        buttons.addStretch(1)

        self.left_score = ScoreCombo("Left score")
        self.right_score = ScoreCombo("Right score")
        self.comment = QLineEdit()
        self.comment.setAccessibleName("Comment")
        self.comment.setPlaceholderText("Comment (optional)")
        details = QHBoxLayout()
        for caption, field in (("Left score", self.left_score), ("Right score", self.right_score)):
            label = QLabel(caption)
            label.setBuddy(field)
            details.addWidget(label)
            details.addWidget(field)
        details.addWidget(self.comment, 1)

        self.result = QLabel()
        self.result.setObjectName("voteResult")
        self.result.setAccessibleName("Vote result")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addLayout(details)
        layout.addWidget(self.result)

        for first, second in itertools.pairwise(self._inputs()):
            QWidget.setTabOrder(first, second)
        self.hide()

    def _inputs(self) -> list[QWidget]:
        return [*self.buttons, self.left_score, self.right_score, self.comment]

    @Slot()
    def ask(self, scores_required: bool = False) -> None:
        """Show the bar ready for a new vote: no scores, no comment; `scores_required` refuses a vote without both."""
        self._open = True
        self._scores_required = scores_required
        for combo in (self.left_score, self.right_score):
            combo.set_required(scores_required)
        self.left_score.setCurrentIndex(0)
        self.right_score.setCurrentIndex(0)
        self.comment.clear()
        self.result.clear()
        self.result.hide()
        for widget in self._inputs():
            widget.setEnabled(True)
        self.show()
        # Keys 1–4 should work at once, unless that would pull the rater out of half-typed text.
        if not _typing_in(QApplication.focusWidget()):
            self.buttons[0].setFocus()

    @Slot(str)
    def done(self, text: str) -> None:
        """Say what was saved, e.g. "Vote saved: Left better. Left was X, Right was Y."; no more votes."""
        self._close()
        self.result.setText(text)
        self.result.show()

    @Slot()
    def hide_bar(self) -> None:
        self._close()
        self.hide()

    def _close(self) -> None:
        self._open = False
        for widget in self._inputs():
            widget.setEnabled(False)

    @Slot(str)
    def _vote(self, outcome: str) -> None:
        if not self._open:
            return
        missing = [combo for combo in (self.left_score, self.right_score) if combo.score() is None]
        if self._scores_required and missing:
            names = " and ".join(combo.name.lower() for combo in missing)
            self.result.setText(
                f"Not saved: give the {names} (0–3) first; this protocol needs a rubric score for each answer."
            )
            self.result.show()
            missing[0].setFocus()
            return
        # Closed before anyone hears of the vote: a slot that opens a dialog must not let a second one in.
        self._close()
        self.voteCast.emit(outcome, self.left_score.score(), self.right_score.score(), self.comment.text().strip())
