"""The rating queue at work: stored rounds shown blind, each vote committed at once, then revealed."""

import random

from PySide6.QtCore import QObject, Qt, Slot

from gui.core.protocol import Guides
from gui.core.rating_queue import RatingQueue
from gui.core.records import earlier_turns, vote_on
from gui.core.store import RoundRecord, Store
from gui.core.votes import Vote
from gui.widgets.queue_window import QueueWindow
from gui.widgets.rating_bar import OUTCOME_WORDS

NOTHING_LEFT = "Nothing left to rate: run a batch (Results › Run batch) or chat in the main window."


def round_text(record: RoundRecord, rounds: list[RoundRecord]) -> str:
    """The prompt as the rater sees it: category, earlier turns of the chat with both answers, then the question."""
    parts = [f"Category: {record.category}"] if record.category else []
    for number, (prompt, left, right) in enumerate(earlier_turns(record, rounds), start=1):
        parts.append(f"Turn {number}: {prompt}\n  Left: {left}\n  Right: {right}")
    parts.append(record.prompt)
    return "\n\n".join(parts)


def reveal_text(model: dict, metrics: dict | None, checks: list[dict] | None) -> str:
    """Which model wrote an answer, its figures and its automatic checks, for after the vote."""
    lines = [f"{model['label']} · {model.get('quantization') or '?'}"]
    if metrics:
        ttft = "—" if metrics.get("ttft_s") is None else f"{metrics['ttft_s']:.2f} s"
        rate = "—" if metrics.get("decode_tps") is None else f"{metrics['decode_tps']:.1f} tok/s"
        lines.append(f"TTFT {ttft} · {rate} · {metrics['tokens']} tokens · {metrics['stop_reason']}")
        if metrics.get("error"):
            lines.append(metrics["error"])
    for check in checks or ():
        lines.append(f"{'✓' if check['passed'] else '✗'} {check['kind']}: {check['detail']}")
    return "\n".join(lines)


class RatingSession(QObject):
    """Feeds the queue window from the store; the arena's rater name and pending round are shared.

    Several raters take turns on one machine: each has their own queue of every round, blind to
    the others' votes; File › Switch rater (or the window's button) starts the next one's.
    """

    def __init__(self, arena, store: Store, rng: random.Random | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.arena = arena
        self.store = store
        self.rng = rng or random.Random()
        self.repeat_rate = 0.1
        self.window = QueueWindow()
        # Closing the main window ends the app even while this one is open.
        self.window.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.window.set_repeat_rate(self.repeat_rate)
        self.queue: RatingQueue | None = None
        self.rated = 0
        self._rounds: list[RoundRecord] = []
        self._guides = Guides([], [])
        self.window.nextRequested.connect(self.show_next)
        self.window.switchRaterRequested.connect(self.switch_rater)
        self.window.repeatRateChanged.connect(self._on_repeat_rate_changed)
        self.window.rating.voteCast.connect(self._on_vote_cast)

    @Slot()
    def open(self) -> None:
        """Start the queue over from the store (rounds added since are in it) and show the first round."""
        rater = self.arena.ensure_rater()
        self._rounds = self.store.rounds()
        self._guides = Guides(self.store.batches(), self._rounds)
        pending = [self.arena.pending.id] if self.arena.pending is not None else []
        self.queue = RatingQueue(self._rounds, self.store.votes(), rater, repeat_rate=self.repeat_rate,
                                 rng=self.rng, exclude=pending)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()  # keys 1–4 should work at once
        self.show_next()

    @Slot()
    def show_next(self) -> None:
        record = self.queue.next()
        if record is None:
            self.window.show_nothing(NOTHING_LEFT)
            return
        # A count of rounds left would stand still on a repeat and give it away: count votes instead.
        status = f"{self.rated} rated this session · rater: {self.queue.rater or 'unnamed'}"
        guide = self._guides.of(record)
        self.window.show_round(status, round_text(record, self._rounds), record.left_output, record.right_output,
                               guide.text() if guide else "", guide is not None and guide.scores_required)

    def cast_vote(self, outcome: str, rubric_left, rubric_right, comment: str) -> Vote:
        """Commit the vote on the round shown (a repeat is stored with it), then reveal."""
        record = self.queue.current
        vote = vote_on(record, outcome, self.queue.rater, rubric_left, rubric_right, comment)
        if record.repeat_of is None:
            self.store.add_vote(vote)
        else:
            self.store.add_repeat(record, vote)
        self.queue.rated(record)
        self.rated += 1
        note = " An answer named its own model: kept, but left out of the leaderboard." if vote.identity_leak else ""
        self.window.show_reveal(
            f"Vote saved: {OUTCOME_WORDS[outcome]}.{note}",
            reveal_text(record.left_model, record.left_metrics, record.left_checks),
            reveal_text(record.right_model, record.right_metrics, record.right_checks),
        )
        return vote

    @Slot(str, object, object, str)
    def _on_vote_cast(self, outcome: str, rubric_left, rubric_right, comment: str) -> None:
        if self.queue is not None and self.queue.current is not None:
            self.cast_vote(outcome, rubric_left, rubric_right, comment)

    @Slot()
    def switch_rater(self) -> None:
        """Another rater takes over (File › Switch rater, or the queue's button): their own queue starts."""
        if self.arena.switch_rater() is None:
            return
        self.rated = 0  # the status counts this rater's votes
        if self.window.isVisible():
            self.open()

    @Slot(float)
    def _on_repeat_rate_changed(self, rate: float) -> None:
        self.repeat_rate = rate
        if self.queue is not None:
            self.queue.repeat_rate = rate
