"""Seeded blind votes of known shapes, for the leaderboard's reference figures, its tests and the bench."""

import math
import random

from gui.core.votes import Outcome, Vote

# name: (models, votes, share of ties, share of both-bad, whether model m0 wins every vote it is in)
SHAPES = {
    "three_models_30_votes": (3, 30, 0.0, 0.0, False),
    "eight_models_3000_votes": (8, 3000, 0.15, 0.05, False),
    "a_model_with_only_wins": (4, 200, 0.1, 0.05, True),
}
LARGE = (20, 100_000, 0.1, 0.05, False)  # the bench's size: 100,000 votes over 20 models


def seeded_votes(models: int, votes: int, ties: float, both_bad: float, unbeaten: bool, seed: int = 1) -> list[Vote]:
    """`votes` votes between `models` models of spread strengths (Bradley–Terry draws), reproducible by `seed`."""
    rng = random.Random(seed)
    names = [f"m{i}" for i in range(models)]
    strength = {name: 1.5 * (models - i) / models for i, name in enumerate(names)}  # natural-log odds
    raters = ("ann", "bob", "cy")
    drawn = []
    for number in range(votes):
        left, right = rng.sample(names, 2)
        draw = rng.random()
        if unbeaten and "m0" in (left, right):
            outcome = Outcome.LEFT if left == "m0" else Outcome.RIGHT
        elif draw < ties:
            outcome = Outcome.TIE
        elif draw < ties + both_bad:
            outcome = Outcome.BOTH_BAD
        else:
            left_wins = rng.random() < 1 / (1 + math.exp(strength[right] - strength[left]))
            outcome = Outcome.LEFT if left_wins else Outcome.RIGHT
        drawn.append(Vote(f"r{number}", left, right, outcome, rater=raters[number % 3], category="math",
                          cast_at=f"2026-01-01T00:00:{number:06d}"))
    return drawn
