"""Where two greedy answers of one model's two quantizations part: the first token that differs, and what each
model weighed there."""

from collections.abc import Sequence
from dataclasses import dataclass

TOP_K = 5
CONTEXT_CHARS = 40  # of the shared text before the parting, quoted in the note


@dataclass(frozen=True)
class Parting:
    """One side at the parting: the token it chose there and its top candidates, with their probabilities."""

    index: int  # the parting token's place in the answer, from 0
    before: str  # the answer's text up to there, the same on both sides
    chosen: str
    chosen_p: float
    candidates: tuple[tuple[str, float], ...]  # the top TOP_K, most likely first


def first_difference(a: Sequence[int], b: Sequence[int]) -> int | None:
    """The index of the first token where two answers differ (an answer that stops early differs there); None if
    they are the same token for token."""
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))


def _shown(text: str) -> str:
    """A token as the note quotes it: whitespace made visible, since a parting is often on a space or newline."""
    return "“" + text.replace("\n", "⏎").replace(" ", "␣") + "”" if text else "(the end)"


def parting_note(parting: Parting) -> str:
    """The pane's note: where the answers part, what this model wrote there, and its top candidates."""
    before = parting.before[-CONTEXT_CHARS:].replace("\n", " ")
    where = f"token {parting.index + 1}, after “…{before}”" if parting.index else "token 1, the very first"
    candidates = ", ".join(f"{_shown(text)} {p:.0%}" for text, p in parting.candidates)
    return (f"The two answers part at {where}: this model wrote {_shown(parting.chosen)} "
            f"({parting.chosen_p:.0%}). Its top {len(parting.candidates)} there: {candidates}.")
