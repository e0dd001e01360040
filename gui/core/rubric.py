"""Rubric scores (0–3 per answer): agreement between raters by Krippendorff's alpha, and means with 95% intervals."""

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from gui.core.votes import RUBRIC_SCORES, Vote

# krippendorff and scipy are imported where they are used: the window opens without them.


@dataclass(frozen=True)
class Alpha:
    """Krippendorff's alpha for ordinal scores over the answers that two raters or more scored."""

    value: float | None  # None when every score was the same: expected disagreement is 0, alpha is 0/0
    answers: int
    raters: int


@dataclass(frozen=True)
class RubricAgreement:
    """Alpha over every scored answer and per prompt category (a category without a shared answer is absent)."""

    overall: Alpha
    by_category: dict[str, Alpha]


@dataclass(frozen=True)
class ScoreMean:
    """One model's mean rubric score in one category, with a t-based 95% interval over its answers, clipped to 0–3.

    Each answer's scores are averaged over its raters first: several raters' scores of one answer
    are not independent samples of the model.
    """

    mean: float
    low: float | None  # None with one answer: no spread to build an interval from
    high: float | None
    n: int  # answers scored
    scores: int  # scores given, every rater's counted


@dataclass(frozen=True)
class _Unit:
    """One answer as shown: a round's side, its model and category, and each rater's score of it."""

    model: str
    category: str
    scores: dict[str, int]


def ordinal_alpha(matrix: list[list[int | None]]) -> float | None:
    """Krippendorff's alpha (ordinal, values 0–3) of a raters × answers matrix, None where unscored.

    None when alpha is undefined (every pairable score the same). Needs an answer scored twice.
    """
    import krippendorff

    data = np.array([[np.nan if score is None else score for score in row] for row in matrix], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(
            reliability_data=data, value_domain=list(RUBRIC_SCORES), level_of_measurement="ordinal"
        )
    return None if math.isnan(value) else float(value)


def rubric_agreement(votes: Iterable[Vote]) -> RubricAgreement | None:
    """Alpha overall and per category; None when no answer was scored by two raters."""
    shared = [unit for unit in _units(votes) if len(unit.scores) >= 2]
    if not shared:
        return None
    by_category = defaultdict(list)
    for unit in shared:
        by_category[unit.category].append(unit)
    return RubricAgreement(
        overall=_alpha(shared),
        by_category={category: _alpha(units) for category, units in sorted(by_category.items())},
    )


def _alpha(units: list[_Unit]) -> Alpha:
    """Alpha of these answers; a rater who did not score an answer leaves a gap, which alpha allows."""
    raters = sorted({rater for unit in units for rater in unit.scores})
    matrix = [[unit.scores.get(rater) for unit in units] for rater in raters]
    return Alpha(ordinal_alpha(matrix), len(units), len(raters))


def score_means(votes: Iterable[Vote]) -> dict[str, dict[str, ScoreMean]]:
    """{model: {category: ScoreMean}} of every scored answer; a side's score belongs to its model."""
    grouped = defaultdict(list)
    for unit in _units(votes):
        if unit.scores:
            grouped[unit.model, unit.category].append(list(unit.scores.values()))
    means: dict[str, dict[str, ScoreMean]] = {}
    for (model, category), answers in sorted(grouped.items()):
        means.setdefault(model, {})[category] = _mean(answers)
    return means


def _mean(answers: list[list[int]]) -> ScoreMean:
    """The mean of per-answer means, and mean ± t(0.975, n − 1) · sd / √n within 0–3."""
    per_answer = np.array([sum(scores) / len(scores) for scores in answers])
    n, mean = len(per_answer), float(per_answer.mean())
    scores = sum(len(given) for given in answers)
    if n < 2:
        return ScoreMean(mean, None, None, n, scores)
    from scipy import stats

    half = float(stats.t.ppf(0.975, n - 1) * per_answer.std(ddof=1) / math.sqrt(n))
    # The mean of 0–3 scores lies in 0–3: a bound past either end would say no more than the end does.
    low, high = max(mean - half, RUBRIC_SCORES[0]), min(mean + half, RUBRIC_SCORES[-1])
    return ScoreMean(mean, float(low), float(high), n, scores)


def _units(votes: Iterable[Vote]) -> list[_Unit]:
    """Every answer scored, in order of first vote; a rater's last vote on a round gives their scores."""
    latest = {(vote.round_id, vote.rater): vote for vote in votes}
    units: dict[tuple[str, str], _Unit] = {}
    for vote in latest.values():
        if vote.rubric_left is None and vote.rubric_right is None:
            # No unit for alpha nor for a mean: skipped, not made (100,000 unscored votes made 200,000 objects).
            continue
        for side, model, score in (("left", vote.model_left, vote.rubric_left),
                                   ("right", vote.model_right, vote.rubric_right)):
            unit = units.setdefault((vote.round_id, side), _Unit(model, vote.category, {}))
            if score is not None:
                unit.scores[vote.rater] = score
    return list(units.values())


def agreement_line(found: RubricAgreement | None) -> str:
    """One line on rubric agreement, overall then by category."""
    if found is None:
        return "Rubric agreement: no answer was scored by two raters"
    parts = [f"Rubric agreement: Krippendorff's alpha (ordinal) {alpha_text(found.overall)}"]
    if found.by_category:
        parts.append("by category: " + ", ".join(
            f"{category or '(no category)'} {_value_text(alpha.value)}" for category, alpha in found.by_category.items()
        ))
    return "; ".join(parts)


def alpha_text(alpha: Alpha) -> str:
    """"0.712 over 24 answers, 2 raters"."""
    return f"{_value_text(alpha.value)} over {alpha.answers} answers, {alpha.raters} raters"


def _value_text(value: float | None) -> str:
    return "undefined (every score the same)" if value is None else f"{value:.3f}"
