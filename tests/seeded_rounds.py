"""Seeded stored rounds with votes by several raters, for the history window's tests and the bench."""

import random

from gui.core.store import RoundRecord, Store
from gui.core.votes import Outcome, Vote

RATERS = ("ann", "bob", "cy")
CATEGORIES = ("math", "poetry", "json", "code", "logic", "multilingual")
_SUBJECTS = ("the sea", "prime numbers", "a lighthouse", "rain", "a JSON schema", "binary search", "Paris", "owls")
_ASKS = ("Explain {} to a child.", "Write a haiku about {}.", "Return {} as JSON.", "What is true of {}?\nSay why.")
_ANSWER_WORDS = 120  # an answer of a paragraph or two: the rows SQLite steps over are of a real round's size


def seeded_rounds(count: int, models: int = 20, seed: int = 1) -> tuple[list[RoundRecord], list[Vote]]:
    """`count` rounds between `models` models, oldest first, and a vote on two rounds in three (one in fifty
    flagged as a leak) by RATERS in turn; reproducible by `seed`."""
    rng = random.Random(seed)
    words = " ".join(_SUBJECTS).split()
    rounds, votes = [], []
    for number in range(count):
        left, right = (f"m{index}" for index in rng.sample(range(models), 2))
        when = f"2026-01-01T00:00:00.{number:06d}+00:00"
        rounds.append(RoundRecord(
            id=f"r{number}", created_at=when, chat_id=f"c{number}", turn=1,
            prompt=rng.choice(_ASKS).format(rng.choice(_SUBJECTS)), category=rng.choice(CATEGORIES),
            mode="parallel", params={"left": {}, "right": {}}, swapped=False,
            left_model={"label": left}, right_model={"label": right},
            left_output=" ".join(rng.choices(words, k=_ANSWER_WORDS)),
            right_output=" ".join(rng.choices(words, k=_ANSWER_WORDS)),
            left_metrics={"tokens": _ANSWER_WORDS}, right_metrics={"tokens": _ANSWER_WORDS}, environment={},
        ))
        if number % 3:
            votes.append(Vote(f"r{number}", left, right, rng.choice(list(Outcome)), rater=RATERS[number % 3],
                              identity_leak=number % 50 == 1, cast_at=when))
    return rounds, votes


def store_seeded_rounds(store: Store, count: int, models: int = 20, seed: int = 1) -> None:
    """Add seeded_rounds(count, models, seed) to `store`, the rounds in one transaction (one by one, each waits for
    the disk) and the votes in another."""
    rounds, votes = seeded_rounds(count, models, seed)
    with store._transaction():
        for record in rounds:
            store.add_round(record)
    store.add_votes(votes)
