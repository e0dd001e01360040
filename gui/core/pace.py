"""What each pane may show of its answer while blind, so that no pane's progress tells which model is faster.

Speed gives a model away as surely as its name: in a race a rater sees which side writes twice as fast.
While blind the arena shows the answers through a BlindPace, and the true timings are measured and stored
as before (the sides' clocks are untouched) and shown with the vote.

- COMMON_PACE: each pane shows its text no further (in characters) than every other side still writing
  has reached; a side that has ended constrains nobody. So both panes grow together at the slower side's
  pace, an answer appears on both panes at once, and the only difference left is each answer's length.
- WHOLE_AT_END: the panes show nothing of the answers until every side has ended, then both whole.
"""

from dataclasses import dataclass

COMMON_PACE = "common pace"
WHOLE_AT_END = "whole at end"
BLIND_PACES = (COMMON_PACE, WHOLE_AT_END)


@dataclass(frozen=True)
class Shown:
    """One thing a pane may show now: the answer's start (`begin`, the user's text), more text, or its end."""

    index: int
    begin: str | None = None
    text: str = ""
    end: object = None  # the side's Answer, once the whole answer has been shown


@dataclass
class _SideText:
    began: str | None = None
    text: str = ""
    shown: int = 0
    ended: object = None
    begin_shown: bool = False
    end_shown: bool = False


class BlindPace:
    """Holds the sides' answers of one round and releases them to the panes by the pace chosen."""

    def __init__(self, indices: tuple[int, ...], pace: str = COMMON_PACE):
        if pace not in BLIND_PACES:
            raise ValueError(f"unknown blind pace {pace!r}: choose one of {', '.join(BLIND_PACES)}")
        self.pace = pace
        self.sides = {index: _SideText() for index in indices}

    def begin(self, index: int, user_text: str) -> list[Shown]:
        """Side `index` started its answer (a measured run after the first starts it over)."""
        side = self.sides[index]
        side.began = user_text
        side.text, side.shown = "", 0  # a later measured run replaces the earlier one, shown or not
        return self.release()

    def add(self, index: int, text: str) -> list[Shown]:
        self.sides[index].text += text
        return self.release()

    def end(self, index: int, answer) -> list[Shown]:
        """Side `index` ended (answered, stopped or failed); a failure before any start counts as a start."""
        side = self.sides[index]
        side.ended = answer
        return self.release()

    def release(self) -> list[Shown]:
        """What the panes may show now that they have not shown yet, side by side."""
        sides = self.sides.values()
        if not all(side.began is not None or side.ended is not None for side in sides):
            return []  # no pane starts before every side has: a late start would time the other side
        all_ended = all(side.ended is not None for side in sides)
        shown = []
        for index, side in self.sides.items():
            begin = None
            if side.began is not None and not side.begin_shown:
                begin, side.begin_shown = side.began, True
            limit = len(side.text) if all_ended else self._limit(index)
            text = side.text[side.shown:limit] if limit > side.shown else ""
            side.shown = max(side.shown, min(limit, len(side.text)))
            end = None
            whole_shown = side.ended is not None and side.shown == len(side.text)
            if whole_shown and not side.end_shown and (all_ended or self.pace == COMMON_PACE):
                end, side.end_shown = side.ended, True
            if begin is not None or text or end is not None:
                shown.append(Shown(index, begin, text, end))
        return shown

    def _limit(self, index: int) -> int:
        """How far side `index` may show its text before every side has ended."""
        if self.pace == WHOLE_AT_END:
            return 0
        writing = [side for other, side in self.sides.items() if other != index and side.ended is None]
        return min((len(side.text) for side in writing), default=len(self.sides[index].text))
