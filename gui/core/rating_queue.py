"""The rating queue: a rater's unrated rounds one by one, with rated pairs coming back swapped at a set rate."""

import random
import uuid
from collections.abc import Iterable

from gui.core.records import now, swapped_copy
from gui.core.store import RoundRecord
from gui.core.votes import Vote

# A repeat comes back only after this many other rounds, so the rater cannot simply remember it.
MIN_GAP = 3


class RatingQueue:
    """Which round a rater sees next.

    Fresh rounds (no vote by this rater, both sides answered) come oldest first. Before each
    one, with probability `repeat_rate`, a pair this rater already rated comes back instead
    with its sides swapped; it is shown exactly like a fresh round and stored only once rated.
    Each pair comes back at most once per rater.
    """

    def __init__(self, rounds: Iterable[RoundRecord], votes: Iterable[Vote], rater: str, *,
                 repeat_rate: float = 0.0, rng: random.Random | None = None, exclude: Iterable[str] = ()):
        if not 0.0 <= repeat_rate <= 1.0:
            raise ValueError(f"repeat_rate is a probability from 0 to 1, got {repeat_rate!r}")
        self.rater = rater
        self.repeat_rate = repeat_rate
        self.rng = rng or random.Random()
        excluded = set(exclude)
        rounds = [r for r in rounds if r.id not in excluded]
        mine = [vote for vote in votes if vote.rater == rater]
        rated = {vote.round_id for vote in mine}
        repeated = {vote.repeat_of for vote in mine if vote.repeat_of is not None}
        originals = [r for r in rounds if r.repeat_of is None]
        self._fresh = [r for r in originals if r.id not in rated and _both_answered(r)]
        self._by_id = {r.id: r for r in originals}
        # Pairs rated in an earlier session may come back at once; this session's wait MIN_GAP rounds.
        self._repeatable = {r.id: -MIN_GAP for r in originals if r.id in rated and r.id not in repeated}
        self._shown = 0
        self.current: RoundRecord | None = None

    def next(self) -> RoundRecord | None:
        """The round to show now (a repeat is a new, not yet stored record); None when nothing is left."""
        due = [rid for rid, shown_at in self._repeatable.items() if self._shown - shown_at >= MIN_GAP]
        if due and self.rng.random() < self.repeat_rate:
            original = self._by_id[self.rng.choice(sorted(due))]
            del self._repeatable[original.id]
            self.current = swapped_copy(original, uuid.uuid4().hex, now())
        elif self._fresh:
            self.current = self._fresh.pop(0)
        else:
            self.current = None
        self._shown += 1
        return self.current

    def rated(self, record: RoundRecord) -> None:
        """The rater voted on `record`: a fresh pair may now come back later."""
        if record.repeat_of is None:
            self._repeatable[record.id] = self._shown


def _both_answered(record: RoundRecord) -> bool:
    """A pair can be judged only when both sides produced an answer (an error text is an answer too)."""
    return record.left_metrics is not None and record.right_metrics is not None
