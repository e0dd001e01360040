"""The blind-rating leaderboard: Bradley–Terry ratings with bootstrap intervals, and the rater checks."""

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from gui.core.rubric import RubricAgreement, rubric_agreement
from gui.core.rubric import agreement_line as rubric_agreement_line
from gui.core.votes import Outcome, Vote

# scipy and statsmodels take about a second and 140 MB to import: each function imports what it
# uses, so the window opens without them and they load with the first leaderboard.

SCALE = 400 / math.log(10)  # Chatbot Arena's scale: 400 points per factor of 10 in the odds
MEAN_RATING = 1000.0
# A model that won every one of its votes has no finite maximum-likelihood rating; this
# vanishing ridge holds it about 2000 points clear, while moving any other rating by under 0.001.
_RIDGE = 1e-6
# Newton's method on the likelihood: converged once no strength moves by more than this (natural-log units,
# 2e-5 rating points; rounding leaves steps of 1e-10 where a model won every vote and only the ridge holds it).
_STEP_DONE = 1e-7
_MAX_NEWTON_STEPS = 100
_MAX_HALVINGS = 40
_LOSS_SLACK = 1e-12  # a loss may "rise" by rounding alone once a row has converged
_BOOTSTRAP_BLOCK = 100  # resamples fitted together; `should_stop` is polled between blocks
_SAME_RATING = 1e-3  # closer ratings are equal: below the table's precision, above the fit's error
_OUTCOMES = tuple(Outcome)


@dataclass(frozen=True)
class Row:
    """One model's standing; ties count both ties and both-bad votes."""

    model: str
    rating: float
    ci_low: float
    ci_high: float
    wins: int
    losses: int
    ties: int
    both_bad: int
    votes: int


@dataclass(frozen=True)
class PositionBias:
    """How often the Left side won a decisive vote, against a fair coin."""

    left_share: float
    p_value: float
    decisive: int


@dataclass(frozen=True)
class Agreement:
    """Chance-corrected agreement between raters who rated the same rounds."""

    method: str  # "cohen" (exactly two raters) or "fleiss" (three or more)
    kappa: float | None  # None when every rating was the same outcome: chance agreement is 1
    rounds: int
    raters: int


@dataclass(frozen=True)
class Leaderboard:
    """Everything the blind votes say: standings best first, rubric means and rater checks."""

    rows: tuple[Row, ...]
    rubric_by_category: dict[str, dict[str, float]]
    votes_to_separate: int | None
    position_bias: PositionBias | None
    agreement: Agreement | None
    rubric_agreement: RubricAgreement | None  # Krippendorff's alpha on the 0–3 scores
    flip_rates: dict[str, tuple[int, int]]
    control_picks: dict[str, tuple[int, int]]


class Cancelled(Exception):
    """A computation was asked to stop (its `should_stop` returned True) before it finished."""


def compute_leaderboard(
    votes: Iterable[Vote],
    *,
    include_leaks: bool = False,
    bootstrap_rounds: int = 1000,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
) -> Leaderboard:
    """The leaderboard of `votes`.

    Identity-leak votes count nowhere unless `include_leaks`. Votes with the same model on
    both sides (controls) are left out of the ratings and W/L/T counts only: they still
    carry rubric scores, position bias, agreement and consistency. Votes on swapped repeats
    count only for flip rates: counting them again would weigh a pair twice. `should_stop` is
    polled between blocks of bootstrap resamples; once it returns True, Cancelled is raised.
    """
    if bootstrap_rounds < 1:
        raise ValueError(f"bootstrap_rounds must be at least 1, got {bootstrap_rounds}")
    counted = [vote for vote in votes if include_leaks or not vote.identity_leak]
    first_looks = [vote for vote in counted if vote.repeat_of is None]
    rated = [vote for vote in first_looks if vote.model_left != vote.model_right]
    rows = _rows(rated, bootstrap_rounds, seed, should_stop)
    return Leaderboard(
        rows=rows,
        rubric_by_category=rubric_by_category(first_looks),
        votes_to_separate=votes_to_separate(rows, rated),
        position_bias=position_bias(first_looks),
        agreement=agreement(first_looks),
        rubric_agreement=rubric_agreement(first_looks),
        flip_rates=flip_rates(counted),
        control_picks=control_picks(first_looks),
    )


class _Battles:
    """Rated votes as counts per model pair and result: a resample is a count vector, a fit works on totals.

    Bradley–Terry has no side term, so a pair (first, second) with first < second gathers both
    seatings; its cells are first won, second won, tie (both-bad is a tie too). Drawing the votes
    again with replacement gives the cells' counts a multinomial law: the bootstrap draws that.
    """

    def __init__(self, rated: list[Vote]):
        self.kinds = Counter((vote.model_left, vote.model_right, vote.outcome) for vote in rated)
        self.models = sorted({model for left, right, _ in self.kinds for model in (left, right)})
        index = {model: i for i, model in enumerate(self.models)}
        pairs = sorted({tuple(sorted((index[left], index[right]))) for left, right, _ in self.kinds})
        pair_of = {pair: p for p, pair in enumerate(pairs)}
        self.first, self.second = np.array(pairs, dtype=int).reshape(-1, 2).T
        self.counts = np.zeros(3 * len(pairs))  # cell 3p + (0 first won, 1 second won, 2 tie)
        for (left, right, outcome), n in self.kinds.items():
            i, j = index[left], index[right]
            winner = {Outcome.LEFT: i, Outcome.RIGHT: j}.get(outcome)
            cell = 2 if winner is None else int(winner != min(i, j))
            self.counts[3 * pair_of[min(i, j), max(i, j)] + cell] += n

    def ratings(self, counts: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Ratings for each row of cell counts, fitted from `start`; NaN for a model a row has no vote of."""
        cells = counts.reshape(len(counts), -1, 3)
        played = cells.sum(axis=2)
        won = cells[:, :, 0] + 0.5 * cells[:, :, 2]
        strengths = _fit(self.first, self.second, won, played, start)
        present = played @ np.abs(_incidence(self.first, self.second, len(self.models))) > 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row without any vote has no mean
            centre = np.nanmean(np.where(present, strengths, np.nan), axis=1, keepdims=True)
        return np.where(present, MEAN_RATING + SCALE * (strengths - centre), np.nan)

    def resamples(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Cell counts of `size` bootstrap resamples of the votes, drawn with replacement."""
        total = self.counts.sum()
        return rng.multinomial(int(total), self.counts / total, size=size).astype(float)

    def tallies(self) -> dict[str, dict[str, int]]:
        """Wins, losses, ties (both-bad included), both-bad and votes of each model."""
        tallies = defaultdict(Counter)
        for (left, right, outcome), n in self.kinds.items():
            for model, won, lost in ((left, Outcome.LEFT, Outcome.RIGHT), (right, Outcome.RIGHT, Outcome.LEFT)):
                tally = tallies[model]
                tally["votes"] += n
                tally["wins"] += n * (outcome is won)
                tally["losses"] += n * (outcome is lost)
                tally["ties"] += n * (outcome in (Outcome.TIE, Outcome.BOTH_BAD))
                tally["both_bad"] += n * (outcome is Outcome.BOTH_BAD)
        keys = ("wins", "losses", "ties", "both_bad", "votes")
        return {model: {key: tally[key] for key in keys} for model, tally in tallies.items()}


def _incidence(first: np.ndarray, second: np.ndarray, n_models: int) -> np.ndarray:
    """Pairs × models: +1 at each pair's first model, -1 at its second."""
    signed = np.zeros((len(first), n_models))
    signed[np.arange(len(first)), first] = 1.0
    signed[np.arange(len(first)), second] = -1.0
    return signed


def _fit(first, second, won, played, start: np.ndarray) -> np.ndarray:
    """Natural-log strengths maximising the Bradley–Terry likelihood (ties are half a win each), a row per row
    of pair totals (`won` by the first model, `played`): Newton's method on every row at once, steps damped."""
    signed = _incidence(first, second, start.shape[1])
    theta = start.astype(float)
    active = np.arange(len(theta))
    for _ in range(_MAX_NEWTON_STEPS):
        rows = (signed, won[active], played[active], theta[active])
        step = _newton_step(first, second, *rows)
        theta[active] += _damped(*rows, step)
        active = active[np.abs(step).max(axis=1) > _STEP_DONE]
        if not len(active):
            return theta
    raise ArithmeticError(f"the Bradley–Terry fit did not converge in {_MAX_NEWTON_STEPS} Newton steps")


def _newton_step(first, second, signed, won, played, theta) -> np.ndarray:
    """Each row's Newton step: minus the gradient through the inverse Hessian."""
    n_rows, n_models = theta.shape
    p = _sigmoid(theta @ signed.T)
    gradient = (played * p - won) @ signed + _RIDGE * theta
    weight = played * p * (1 - p)
    hessian = np.zeros((n_rows, n_models * n_models))
    hessian[:, first * n_models + second] = -weight  # each pair once: no two pairs write the same cell
    hessian[:, second * n_models + first] = -weight
    hessian = hessian.reshape(n_rows, n_models, n_models)
    diagonal = np.arange(n_models)
    hessian[:, diagonal, diagonal] = weight @ np.abs(signed) + _RIDGE
    # The likelihood ignores a shift of every strength, so only the 1e-6 ridge made the Hessian invertible:
    # a constant in every cell conditions it and leaves the step unchanged where the gradient sums to zero.
    hessian += 1.0 / n_models
    return -np.linalg.solve(hessian, gradient[:, :, None])[:, :, 0]


def _damped(signed, won, played, theta, step) -> np.ndarray:
    """`step`, halved for each row until that row's loss does not rise: a full Newton step can overshoot."""
    scale = np.ones(len(theta))
    before = _loss(signed, won, played, theta)
    for _ in range(_MAX_HALVINGS):
        after = _loss(signed, won, played, theta + scale[:, None] * step)
        worse = after > before + _LOSS_SLACK * np.abs(before)
        if not worse.any():
            break
        scale[worse] /= 2
    return scale[:, None] * step


def _loss(signed, won, played, theta) -> np.ndarray:
    """Each row's negative log-likelihood plus the ridge."""
    diff = theta @ signed.T
    # -log sigmoid(x) = logaddexp(0, -x), stable for large |x|
    nll = won * np.logaddexp(0, -diff) + (played - won) * np.logaddexp(0, diff)
    return nll.sum(axis=1) + 0.5 * _RIDGE * (theta * theta).sum(axis=1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 0.5 * (1 + np.tanh(0.5 * x))


def _rows(rated: list[Vote], bootstrap_rounds: int, seed: int, should_stop: Callable[[], bool]) -> tuple[Row, ...]:
    """Standings best first, with percentile bootstrap intervals over resampled votes."""
    if not rated:
        return ()
    battles = _Battles(rated)
    centred = battles.ratings(battles.counts[None], np.zeros((1, len(battles.models))))
    point = centred[0]
    # Each resample starts from the full data's fit, a few Newton steps from its own.
    start = (point - MEAN_RATING) / SCALE
    rng = np.random.default_rng(seed)
    blocks = []
    for done in range(0, bootstrap_rounds, _BOOTSTRAP_BLOCK):
        if should_stop():
            raise Cancelled(f"stopped after {done} of {bootstrap_rounds} bootstrap resamples")
        size = min(_BOOTSTRAP_BLOCK, bootstrap_rounds - done)
        blocks.append(battles.ratings(battles.resamples(rng, size), np.tile(start, (size, 1))))
    samples = np.concatenate(blocks)
    with warnings.catch_warnings():
        # A model missing from every resample (only with very few rounds) gets a NaN interval.
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(samples, [2.5, 97.5], axis=0)
    tallies = battles.tallies()
    rows = [
        Row(model, float(rating), float(lo), float(hi), **tallies[model])
        for model, rating, lo, hi in zip(battles.models, point, low, high)
    ]
    return tuple(sorted(rows, key=lambda row: (-row.rating, row.model)))


def votes_to_separate(rows: tuple[Row, ...], rated: list[Vote]) -> int | None:
    """About how many more votes the top two models need before their intervals stop overlapping.

    0 when they already separate; None (undecided) with fewer than two models or equal ratings.
    Assumes more votes come in the present mix and each interval's half-width facing the
    other model shrinks as 1/sqrt(n), n the votes either of the two took part in: the edges
    part once n grows by the factor ((half-width of the first + of the second) / gap)².
    """
    if len(rows) < 2 or rows[0].rating - rows[1].rating < _SAME_RATING:
        return None
    first, second = rows[0], rows[1]
    if first.ci_low > second.ci_high:
        return 0
    widths = (first.rating - first.ci_low) + (second.ci_high - second.rating)
    if not math.isfinite(widths):  # a model missing from every resample has no interval
        return None
    pair = {first.model, second.model}
    involved = sum(1 for vote in rated if vote.model_left in pair or vote.model_right in pair)
    growth = (widths / (first.rating - second.rating)) ** 2
    return max(1, math.ceil(involved * (growth - 1)))


def rubric_by_category(votes: Iterable[Vote]) -> dict[str, dict[str, float]]:
    """Mean rubric score of each model in each prompt category; a side's score belongs to its model."""
    scores = defaultdict(list)
    for vote in votes:
        for model, score in ((vote.model_left, vote.rubric_left), (vote.model_right, vote.rubric_right)):
            if score is not None:
                scores[model, vote.category].append(score)
    means: dict[str, dict[str, float]] = {}
    for (model, category), values in sorted(scores.items()):
        means.setdefault(model, {})[category] = sum(values) / len(values)
    return means


def position_bias(votes: Iterable[Vote]) -> PositionBias | None:
    """Share of decisive votes won by the Left side, with a two-sided binomial test; None without any."""
    decisive = [vote.outcome for vote in votes if vote.outcome in (Outcome.LEFT, Outcome.RIGHT)]
    if not decisive:
        return None
    left = decisive.count(Outcome.LEFT)
    from scipy import stats

    p_value = stats.binomtest(left, len(decisive), 0.5).pvalue
    return PositionBias(left / len(decisive), float(p_value), len(decisive))


def agreement(votes: Iterable[Vote]) -> Agreement | None:
    """Cohen's kappa (two raters) or Fleiss' kappa (three or more) over rounds several raters rated.

    A rater's last vote on a round counts. Fleiss' kappa needs as many ratings per round
    throughout, so it uses the rounds with the most common number of raters (the larger
    number on a tie). None when no round has two raters.
    """
    shared = {round_id: ratings for round_id, ratings in _ratings_by_round(votes).items() if len(ratings) >= 2}
    if not shared:
        return None
    raters = sorted({rater for ratings in shared.values() for rater in ratings})
    if len(raters) == 2:
        return _cohen(shared.values(), raters)
    return _fleiss(list(shared.values()))


def _ratings_by_round(votes: Iterable[Vote]) -> dict[str, dict[str, Outcome]]:
    """{round: {rater: outcome}}, a rater's last vote on a round replacing earlier ones."""
    by_round = defaultdict(dict)
    for vote in _latest(votes).values():
        by_round[vote.round_id][vote.rater] = vote.outcome
    return by_round


def _latest(votes: Iterable[Vote]) -> dict[tuple[str, str], Vote]:
    """Each rater's last vote on each round, keyed (round, rater)."""
    return {(vote.round_id, vote.rater): vote for vote in votes}


def _cohen(rounds: Iterable[dict[str, Outcome]], raters: list[str]) -> Agreement:
    """Cohen's kappa of two raters over the four outcomes."""
    from statsmodels.stats import inter_rater

    table = np.zeros((len(_OUTCOMES), len(_OUTCOMES)))
    for ratings in rounds:
        table[_OUTCOMES.index(ratings[raters[0]]), _OUTCOMES.index(ratings[raters[1]])] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = inter_rater.cohens_kappa(table, return_results=False)
    return Agreement("cohen", _defined(kappa), int(table.sum()), 2)


def _fleiss(rounds: list[dict[str, Outcome]]) -> Agreement:
    """Fleiss' kappa over the rounds sharing the most common number of raters."""
    sizes = Counter(len(ratings) for ratings in rounds)
    size = max(sizes, key=lambda n: (sizes[n], n))
    used = [ratings for ratings in rounds if len(ratings) == size]
    table = [[list(ratings.values()).count(outcome) for outcome in _OUTCOMES] for ratings in used]
    raters = {rater for ratings in used for rater in ratings}
    return Agreement("fleiss", fleiss_kappa(table), len(used), len(raters))


def fleiss_kappa(table) -> float | None:
    """Fleiss' kappa of a subjects × categories count table; None when chance agreement is 1."""
    from statsmodels.stats import inter_rater

    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or len(counts) == 0:
        raise ValueError("Fleiss' kappa needs a non-empty subjects × categories table")
    per_subject = counts.sum(axis=1)
    if per_subject.min() != per_subject.max() or per_subject[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (at least 2) of ratings for every subject")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _defined(inter_rater.fleiss_kappa(counts))


def _defined(kappa) -> float | None:
    """Kappa as a float, or None where it is 0/0."""
    return None if math.isnan(kappa) else float(kappa)


def flip_rates(votes: Iterable[Vote]) -> dict[str, tuple[int, int]]:
    """{rater: (flips, pairs)} over rounds and their swapped repeats; a flip changes the preferred model."""
    latest = _latest(votes)
    tallies = defaultdict(lambda: [0, 0])
    for repeat in latest.values():
        original = latest.get((repeat.repeat_of, repeat.rater)) if repeat.repeat_of is not None else None
        if original is None:
            continue
        tallies[repeat.rater][0] += _preferred(original) != _preferred(repeat)
        tallies[repeat.rater][1] += 1
    return {rater: tuple(tallies[rater]) for rater in sorted(tallies)}


def control_picks(votes: Iterable[Vote]) -> dict[str, tuple[int, int]]:
    """{rater: (decisive votes, control votes)}: how often a rater picked a side when one model was on both."""
    tallies = defaultdict(lambda: [0, 0])
    for vote in votes:
        if vote.control:
            tallies[vote.rater][0] += vote.outcome in (Outcome.LEFT, Outcome.RIGHT)
            tallies[vote.rater][1] += 1
    return {rater: tuple(tallies[rater]) for rater in sorted(tallies)}


def _preferred(vote: Vote) -> str | None:
    """The model the vote preferred; None (no preference) for a tie or both bad."""
    return {Outcome.LEFT: vote.model_left, Outcome.RIGHT: vote.model_right}.get(vote.outcome)


def format_table(board: Leaderboard) -> str:
    """The leaderboard as plain text: standings, then position bias, agreement and separation."""
    return "\n".join([*_standing_lines(board.rows), "", *summary_lines(board)])


def _standing_lines(rows: tuple[Row, ...]) -> list[str]:
    """Header and one line per model, best first."""
    if not rows:
        return ["No rated votes."]
    width = max(len("model"), *(len(row.model) for row in rows))
    lines = [f"{'rank':>4}  {'model':<{width}}  {'rating':>7}  {'95% CI':<15}  {'W/L/T':<11}  {'votes':>5}"]
    for rank, row in enumerate(rows, 1):
        interval = f"{row.ci_low:.1f}–{row.ci_high:.1f}"
        record = f"{row.wins}/{row.losses}/{row.ties}"
        lines.append(
            f"{rank:>4}  {row.model:<{width}}  {row.rating:>7.1f}  {interval:<15}  {record:<11}  {row.votes:>5}"
        )
    return lines


def summary_lines(board: Leaderboard) -> list[str]:
    """Position bias, rater agreement (votes, rubric), votes to separate the top two and flip rates, one line each."""
    bias = board.position_bias
    if bias is None:
        bias_line = "Position bias: no decisive votes"
    else:
        bias_line = (
            f"Position bias: Left won {bias.left_share:.1%} of {bias.decisive} decisive votes "
            f"(two-sided binomial p = {bias.p_value:.3g})"
        )
    lines = [bias_line, _agreement_line(board.agreement), rubric_agreement_line(board.rubric_agreement),
             _separation_line(board.votes_to_separate)]
    for rater, (flips, pairs) in board.flip_rates.items():
        lines.append(f"Flip rate of {rater or 'unnamed rater'}: {flips} of {pairs} swapped repeats")
    for rater, (decisive, controls) in board.control_picks.items():
        lines.append(
            f"Controls of {rater or 'unnamed rater'}: picked a side in {decisive} of {controls} rounds "
            "with the same model on both"
        )
    return lines


def _agreement_line(found: Agreement | None) -> str:
    """One line on rater agreement."""
    if found is None:
        return "Agreement: no round was rated by two raters"
    name = "Cohen's" if found.method == "cohen" else "Fleiss'"
    value = "undefined (every rating the same)" if found.kappa is None else f"{found.kappa:.3f}"
    return f"Agreement: {name} kappa {value} over {found.rounds} rounds, {found.raters} raters"


def _separation_line(needed: int | None) -> str:
    """One line on how far the top two are from separating."""
    if needed is None:
        return "Votes to separate the top two: undecided"
    if needed == 0:
        return "Votes to separate the top two: 0 (their 95% intervals no longer overlap)"
    return f"Votes to separate the top two: about {needed} more"


def to_json_rows(board: Leaderboard) -> list[dict]:
    """Standings best first as JSON-ready dicts; a missing interval bound is None, not NaN."""
    return [
        {
            "model": row.model,
            "rating": row.rating,
            "ci_low": _finite_or_none(row.ci_low),
            "ci_high": _finite_or_none(row.ci_high),
            "wins": row.wins,
            "losses": row.losses,
            "ties": row.ties,
            "votes": row.votes,
        }
        for row in board.rows
    ]


def _finite_or_none(value: float) -> float | None:
    """`value`, or None where it is NaN (strict JSON has no NaN)."""
    return None if math.isnan(value) else value
