"""The rating queue's window: stored rounds shown blind one by one, voted on, then revealed."""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.rating_bar import RatingBar


def _text_view(name: str) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setAccessibleName(name)
    return view


class _AnswerColumn(QWidget):
    """One screen side: its title, its answer, and what the vote reveals about it."""

    def __init__(self, title: str):
        super().__init__()
        self.title = QLabel(title)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.answer = _text_view(f"{title} answer")
        self.revealed = QLabel()
        self.revealed.setAccessibleName(f"{title} revealed")
        self.revealed.setWordWrap(True)
        self.revealed.setTextFormat(Qt.TextFormat.PlainText)
        self.revealed.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.answer, 1)
        layout.addWidget(self.revealed)


class QueueWindow(QWidget):
    """Shows one stored round at a time as Left and Right only; the vote reveals the models.

    Keys: 1–4 vote (the rating bar), Enter or N next round, S skip (the round stays unrated).
    Where the suite gave a reference answer or a rubric note, it shows under the answers as a guide.

    Signals:
        nextRequested(): show the next round (after a vote, or to skip this one unrated).
        repeatRateChanged(float): the share (0–1) of rated pairs that come back, sides swapped.
        switchRaterRequested(): another rater takes over; their queue starts over.
    """

    nextRequested = Signal()
    repeatRateChanged = Signal(float)
    switchRaterRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Rate rounds")
        self.resize(1100, 760)
        self.status = QLabel()
        self.status.setAccessibleName("Queue status")
        self.repeats = QSpinBox()
        self.repeats.setRange(0, 50)
        self.repeats.setSuffix(" %")
        self.repeats.setAccessibleName("Swapped repeats")
        self.repeats.setToolTip(
            "How often a pair you already rated comes back later with its sides swapped, unannounced: "
            "the leaderboard reports how often your verdict flips."
        )
        self.repeats.valueChanged.connect(lambda percent: self.repeatRateChanged.emit(percent / 100))
        repeats_label = QLabel("Swapped repeats")
        repeats_label.setBuddy(self.repeats)
        self.switch_rater_button = QPushButton("Switch rater…")
        self.switch_rater_button.setAccessibleName("Switch rater")
        self.switch_rater_button.setToolTip("Another rater takes over: asks their name and starts their queue")
        self.switch_rater_button.clicked.connect(self.switchRaterRequested)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.switch_rater_button)
        top.addWidget(repeats_label)
        top.addWidget(self.repeats)

        self.prompt = _text_view("Prompt")
        self.prompt.setMaximumHeight(160)
        self.left = _AnswerColumn("Left")
        self.right = _AnswerColumn("Right")
        answers = QSplitter(Qt.Orientation.Horizontal)
        answers.addWidget(self.left)
        answers.addWidget(self.right)
        self.guide = _text_view("Rubric guide")
        self.guide.setMaximumHeight(200)

        self.rating = RatingBar()
        self.next_button = QPushButton("Next round")
        self.next_button.setAccessibleName("Next round")
        self.next_button.setToolTip("Enter or N")
        self.next_button.clicked.connect(self.nextRequested)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setAccessibleName("Skip this round")
        self.skip_button.setToolTip("S: it stays unrated and comes back next time")
        self.skip_button.clicked.connect(self.nextRequested)
        for keys, button in (((Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_N), self.next_button),
                             ((Qt.Key.Key_S,), self.skip_button)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.activated.connect(lambda b=button: self._press(b))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.prompt)
        layout.addWidget(answers, 1)
        layout.addWidget(self.guide)
        layout.addWidget(self.rating)
        layout.addLayout(buttons)
        self.show_nothing("Nothing to rate.")

    @staticmethod
    def _press(button: QPushButton) -> None:
        """A key stands for a button only while that button can be clicked."""
        if button.isEnabled():
            button.click()

    def set_repeat_rate(self, rate: float) -> None:
        """Show the rate without announcing a change."""
        self.repeats.blockSignals(True)
        self.repeats.setValue(round(rate * 100))
        self.repeats.blockSignals(False)

    def show_round(self, status: str, prompt: str, left: str, right: str, guide: str = "",
                   scores_required: bool = False) -> None:
        """A round to judge: its prompt (with earlier turns), the two answers and the rubric guide; the vote is asked."""
        self.status.setText(status)
        self.prompt.setPlainText(prompt)
        self.guide.setPlainText(guide)
        self.guide.setVisible(bool(guide))
        for column, text in ((self.left, left), (self.right, right)):
            column.answer.setPlainText(text)
            column.revealed.clear()
            column.revealed.hide()
        self.rating.ask(scores_required)
        self.next_button.setEnabled(False)
        self.skip_button.setEnabled(True)

    def show_reveal(self, result: str, left: str, right: str) -> None:
        """After the vote: what was saved, and which model wrote each answer with its figures and checks."""
        self.rating.done(result)
        for column, text in ((self.left, left), (self.right, right)):
            column.revealed.setText(text)
            column.revealed.show()
        self.next_button.setEnabled(True)
        self.skip_button.setEnabled(False)
        self.next_button.setFocus()

    @Slot(str)
    def show_nothing(self, status: str) -> None:
        """The queue is empty: say so, and what to do."""
        self.status.setText(status)
        self.prompt.clear()
        self.guide.clear()
        self.guide.hide()
        for column in (self.left, self.right):
            column.answer.clear()
            column.revealed.hide()
        self.rating.hide_bar()
        self.next_button.setEnabled(False)
        self.skip_button.setEnabled(False)
