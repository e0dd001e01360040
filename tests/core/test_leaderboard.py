"""The leaderboard's statistics against hand-worked and textbook values, and against the fit they replaced."""

import dataclasses
import json
import math
from pathlib import Path

import pytest

from gui.core.leaderboard import (
    Cancelled,
    agreement,
    compute_leaderboard,
    fleiss_kappa,
    format_table,
    summary_lines,
    to_json_rows,
)
from gui.core.votes import Outcome, Vote
from seeded_votes import SHAPES, seeded_votes

L, R, T, BB = Outcome.LEFT, Outcome.RIGHT, Outcome.TIE, Outcome.BOTH_BAD
ROUNDS = 100  # enough for stable 95% intervals here, quick enough for a unit test


def battles(*specs, **fields):
    """Votes from (left, right, outcome) triples, each its own round."""
    start = fields.pop("start", 0)
    return [Vote(f"r{start + i}", left, right, outcome, **fields) for i, (left, right, outcome) in enumerate(specs)]


def a_wins(wins, losses, start=0, **fields):
    """A beats B `wins` times and loses `losses` times, sides alternating."""
    specs = [("A", "B", L) if i % 2 else ("B", "A", R) for i in range(wins)]
    specs += [("A", "B", R) if i % 2 else ("B", "A", L) for i in range(losses)]
    return battles(*specs, start=start, **fields)


def ratings(board):
    return {row.model: row.rating for row in board.rows}


def board_of(votes, **options):
    return compute_leaderboard(votes, bootstrap_rounds=ROUNDS, **options)


def test_three_wins_in_four_is_400_log10_3_apart_around_1000():
    rated = ratings(board_of(a_wins(3, 1)))
    assert rated["A"] - rated["B"] == pytest.approx(400 * math.log10(3), abs=1e-3)  # 190.85
    assert (rated["A"] + rated["B"]) / 2 == pytest.approx(1000)


@pytest.mark.parametrize("second_tie", [T, BB])
def test_a_tie_or_both_bad_is_half_a_win_for_each_side(second_tie):
    votes = a_wins(2, 1) + battles(("A", "B", T), ("B", "A", second_tie), start=10)
    board = board_of(votes)
    rated = ratings(board)
    # A scores 3 of 5, B 2 of 5: odds 1.5
    assert rated["A"] - rated["B"] == pytest.approx(400 * math.log10(1.5), abs=1e-3)  # 70.44
    top = board.rows[0]
    assert (top.model, top.wins, top.losses, top.ties, top.votes) == ("A", 2, 1, 2, 5)
    assert top.both_bad == (second_tie is BB)


def test_a_symmetric_cycle_rates_everyone_1000_and_is_undecided():
    board = board_of(battles(("A", "B", L), ("B", "C", L), ("C", "A", L)))
    assert [row.rating for row in board.rows] == pytest.approx([1000.0] * 3, abs=1e-6)
    assert board.votes_to_separate is None


def test_cohens_kappa_on_the_textbook_table():
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa 0.4 (yes = Left, no = Right)
    pairs = [(L, L)] * 20 + [(L, R)] * 5 + [(R, L)] * 10 + [(R, R)] * 15
    votes = [
        Vote(f"r{i}", "A", "B", outcome, rater=rater)
        for i, pair in enumerate(pairs)
        for rater, outcome in zip(("ann", "bob"), pair)
    ]
    found = agreement(votes)
    assert (found.method, found.rounds, found.raters) == ("cohen", 50, 2)
    assert found.kappa == pytest.approx(0.4)


def test_fleiss_kappa_on_the_wikipedia_table():
    # en.wikipedia.org/wiki/Fleiss'_kappa: 10 subjects, 14 raters, 5 categories -> 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(table) == pytest.approx(0.20993, abs=1e-5)


def test_fleiss_kappa_refuses_uneven_subjects():
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[2, 0], [1, 2]])


def test_three_raters_get_fleiss_kappa_over_the_rounds_they_share():
    rounds = {"r1": (L, L, L), "r2": (R, R, L), "r3": (T, T, T), "r4": (L, R, T)}
    votes = [
        Vote(round_id, "A", "B", outcome, rater=rater)
        for round_id, outcomes in rounds.items()
        for rater, outcome in zip(("ann", "bob", "cy"), outcomes)
    ]
    votes += [Vote("r5", "A", "B", L, rater="ann"), Vote("r5", "A", "B", R, rater="bob")]  # 2 raters: minority
    votes.append(Vote("r6", "A", "B", L, rater="cy"))  # one rater: not shared
    found = agreement(votes)
    # P-bar = (1 + 1/3 + 1 + 0) / 4 = 7/12; P-e = (5² + 3² + 4²) / 12² = 25/72
    assert (found.method, found.rounds, found.raters) == ("fleiss", 4, 3)
    assert found.kappa == pytest.approx((7 / 12 - 25 / 72) / (1 - 25 / 72))  # 17/47


def test_no_agreement_without_a_round_rated_twice():
    votes = battles(("A", "B", L), ("A", "B", R), rater="ann")
    assert agreement(votes) is None
    # the same rater voting again on a round is a correction, not a second rater
    assert agreement(votes + [Vote("r0", "A", "B", R, rater="ann")]) is None


def test_unanimous_single_outcome_has_no_kappa():
    votes = [Vote(f"r{i}", "A", "B", L, rater=rater) for i in range(3) for rater in ("ann", "bob")]
    assert agreement(votes).kappa is None


def test_interval_holds_the_estimate_and_narrows_with_more_votes():
    few = board_of(a_wins(6, 4)).rows[0]
    many = board_of(a_wins(60, 40)).rows[0]
    for row in (few, many):
        assert row.ci_low < row.rating < row.ci_high
    assert many.ci_high - many.ci_low < (few.ci_high - few.ci_low) / 2  # about sqrt(10) narrower


def test_bootstrap_is_reproducible_by_seed():
    votes = a_wins(6, 4) + battles(("A", "C", T), ("C", "B", L), start=20)
    assert board_of(votes, seed=7) == board_of(votes, seed=7)
    assert board_of(votes, seed=7).rows != board_of(votes, seed=8).rows


def test_position_bias_counts_only_decisive_votes():
    votes = battles(*[("A", "B", L)] * 15, *[("A", "B", R)] * 5, ("A", "B", T), ("A", "B", BB))
    bias = board_of(votes).position_bias
    assert (bias.left_share, bias.decisive) == (0.75, 20)
    # P(X >= 15 | n=20, p=1/2) = (15504 + 4845 + 1140 + 190 + 20 + 1) / 2^20, doubled
    assert bias.p_value == pytest.approx(2 * 21700 / 2**20)
    assert board_of(battles(("A", "B", T))).position_bias is None


def test_flip_rates_compare_the_preferred_model_across_swapped_repeats():
    votes = [
        Vote("r1", "A", "B", L, rater="ann"),
        Vote("r1b", "B", "A", R, rater="ann", repeat_of="r1"),  # A both times: consistent
        Vote("r2", "A", "B", L, rater="bob"),
        Vote("r2b", "B", "A", L, rater="bob", repeat_of="r2"),  # A then B: flip
        Vote("r3", "A", "B", T, rater="bob"),
        Vote("r3b", "B", "A", L, rater="bob", repeat_of="r3"),  # tie then B: flip
        Vote("r4", "A", "B", T, rater="ann"),
        Vote("r4b", "B", "A", BB, rater="ann", repeat_of="r4"),  # no preference twice: consistent
        Vote("r5", "A", "B", L, rater="cy"),
        Vote("r5b", "B", "A", L, rater="dee", repeat_of="r5"),  # another rater: no pair
    ]
    assert board_of(votes).flip_rates == {"ann": (0, 2), "bob": (2, 2)}


def test_swapped_repeats_count_for_flip_rates_only():
    first_looks = a_wins(3, 1)
    repeats = [Vote(f"{v.round_id}b", v.model_right, v.model_left, L, rater=v.rater, repeat_of=v.round_id,
                    rubric_left=0) for v in first_looks]
    board = board_of(first_looks + repeats)
    assert ratings(board) == pytest.approx(ratings(board_of(first_looks)))
    assert [row.votes for row in board.rows] == [4, 4]
    assert board.position_bias == board_of(first_looks).position_bias
    assert board.rubric_by_category == {}
    assert sum(pairs for _flips, pairs in board.flip_rates.values()) == 4


def test_control_picks_count_how_often_a_rater_chose_a_side_between_one_model():
    votes = [
        *battles(("A", "A", L), ("A", "A", T), ("B", "B", BB), start=10, control=True),
        Vote("c9", "A", "A", R, rater="bob", control=True),
    ]
    board = board_of(votes + a_wins(1, 1))
    assert board.control_picks == {"": (1, 3), "bob": (1, 1)}
    assert "Controls of bob: picked a side in 1 of 1 rounds with the same model on both" in summary_lines(board)


def test_leak_votes_count_only_when_asked():
    votes = a_wins(3, 1) + a_wins(0, 2, start=10, identity_leak=True)
    default = board_of(votes)
    assert ratings(default)["A"] - ratings(default)["B"] == pytest.approx(190.85, abs=0.01)
    assert default.rows[0].votes == 4
    included = board_of(votes, include_leaks=True)
    assert ratings(included)["A"] == pytest.approx(1000.0, abs=1e-6)  # 3 wins each
    assert included.rows[0].votes == 6


def test_controls_stay_out_of_the_ratings_but_count_for_position_bias():
    controls = battles(*[("A", "A", L)] * 4, start=10, control=True)
    board = board_of(a_wins(3, 1) + controls)
    assert ratings(board) == pytest.approx(ratings(board_of(a_wins(3, 1))))
    assert [row.votes for row in board.rows] == [4, 4]
    assert board.position_bias.decisive == 8


def test_rubric_means_belong_to_each_sides_model_by_category():
    votes = [
        Vote("r1", "A", "B", L, category="math", rubric_left=3, rubric_right=1),
        Vote("r2", "B", "A", T, category="math", rubric_left=2, rubric_right=2),
        Vote("r3", "A", "B", R, category="poetry", rubric_left=0),
        Vote("r4", "A", "B", R, category="poetry"),
    ]
    assert board_of(votes).rubric_by_category == {
        "A": {"math": 2.5, "poetry": 0.0},
        "B": {"math": 1.5},
    }


def test_votes_to_separate_is_zero_once_intervals_part():
    board = board_of(a_wins(36, 4))
    assert board.rows[0].ci_low > board.rows[1].ci_high
    assert board.votes_to_separate == 0


def test_votes_to_separate_estimates_how_far_overlapping_intervals_are():
    needed = board_of(a_wins(6, 4)).votes_to_separate
    # the same 6:4 mix still overlaps at 50 votes and parts by 150: 40 to 140 more (at 100 votes the edges
    # meet: 60 of 100 has its binomial 95% bound at 0.504, so which side wins there is the resampling's draw)
    assert 40 < needed <= 140
    for scale, parted in ((5, False), (15, True)):
        rows = board_of(a_wins(6 * scale, 4 * scale)).rows
        assert (rows[0].ci_low > rows[1].ci_high) is parted


def test_votes_to_separate_is_undecided_when_equal_or_alone():
    assert board_of(a_wins(5, 5)).votes_to_separate is None
    assert board_of(battles(("A", "A", L), control=True)).votes_to_separate is None


def test_table_and_json_rows():
    board = board_of(a_wins(3, 1) + battles(("A", "B", T), start=10))
    table = format_table(board)
    for text in ("95% CI", "3/1/1", "Position bias: Left won", "Agreement: no round", "Votes to separate"):
        assert text in table
    rows = to_json_rows(board)
    assert [row["model"] for row in rows] == ["A", "B"]
    assert set(rows[0]) == {"model", "rating", "ci_low", "ci_high", "wins", "losses", "ties", "votes"}
    assert (rows[1]["wins"], rows[1]["losses"], rows[1]["ties"], rows[1]["votes"]) == (1, 3, 1, 5)


# Saved from the fit before it worked on pair totals (L-BFGS on each resample of the votes, 1,000 resamples).
BEFORE = json.loads((Path(__file__).parents[1] / "fixtures" / "leaderboard_before.json").read_text())


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_ratings_and_tallies_match_the_fit_on_each_vote(shape):
    rows = compute_leaderboard(seeded_votes(*SHAPES[shape])).rows
    assert [row.model for row in rows] == [row["model"] for row in BEFORE[shape]]
    for row, before in zip(rows, BEFORE[shape]):
        assert row.rating == pytest.approx(before["rating"], abs=0.01)
        assert dataclasses.asdict(row) | {"rating": 0, "ci_low": 0, "ci_high": 0} == before | {
            "rating": 0, "ci_low": 0, "ci_high": 0}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_intervals_match_the_vote_bootstrap_within_its_resampling_noise(shape):
    # Multinomial cell counts are the vote bootstrap's own law, but other draws: each 2.5% or 97.5% point of
    # 1,000 resamples wanders by about 0.085 sd (sd = the interval's width / 3.92), a difference of two by 0.12.
    rows = compute_leaderboard(seeded_votes(*SHAPES[shape])).rows
    for row, before in zip(rows, BEFORE[shape]):
        sd = (before["ci_high"] - before["ci_low"]) / 3.92
        assert abs(row.ci_low - before["ci_low"]) < 0.6 * sd  # 5 standard errors
        assert abs(row.ci_high - before["ci_high"]) < 0.6 * sd


def test_intervals_are_as_wide_as_the_vote_bootstraps_on_large_data():
    # A width of 1,000 resamples wanders by about 4%; the mean over 8 models by 1.5%.
    shape = "eight_models_3000_votes"
    rows = compute_leaderboard(seeded_votes(*SHAPES[shape])).rows
    ratios = [(row.ci_high - row.ci_low) / (before["ci_high"] - before["ci_low"])
              for row, before in zip(rows, BEFORE[shape])]
    assert sum(ratios) / len(ratios) == pytest.approx(1, abs=0.05)


def test_a_model_that_won_every_vote_stays_finite_and_far_ahead():
    rows = compute_leaderboard(seeded_votes(*SHAPES["a_model_with_only_wins"])).rows
    assert rows[0].model == "m0" and rows[0].losses == rows[0].ties == 0
    assert 2000 < rows[0].rating - rows[1].rating < 3000 and math.isfinite(rows[0].ci_high)


def test_a_computation_asked_to_stop_raises_cancelled_between_resamples():
    polls = []

    def stop_on_third_poll():
        polls.append(1)
        return len(polls) == 3

    with pytest.raises(Cancelled, match="stopped after 200 of 1000 bootstrap resamples"):
        compute_leaderboard(seeded_votes(*SHAPES["eight_models_3000_votes"]), should_stop=stop_on_third_poll)


def test_rubric_agreement_stands_beside_kappa_and_leaves_swapped_repeats_out():
    first = [Vote("r1", "A", "B", L, rater=rater, category="proof", rubric_left=3, rubric_right=left)
             for rater, left in (("kim", 1), ("lee", 0))]
    # A repeat shows the same answers again: its scores would count one rater's judgement twice.
    repeat = Vote("r9", "B", "A", R, rater="kim", category="proof", rubric_left=3, rubric_right=0, repeat_of="r1")
    board = board_of(first + [repeat])
    assert (board.rubric_agreement.overall.answers, board.rubric_agreement.overall.raters) == (2, 2)
    lines = summary_lines(board)
    # Answers (kim, lee): A 3 3, B 1 0; o_33 = 2, o_01 = o_10 = 1; n_0 = n_1 = 1, n_3 = 2; δ²_01 = 1,
    # δ²_03 = 2.5², δ²_13 = 1.5²: alpha = 1 − 3 · 2 / (2 · (1 + 2 · 6.25 + 2 · 2.25)) = 5/6.
    kappa = next(i for i, line in enumerate(lines) if line.startswith("Agreement: Cohen's kappa"))
    assert lines[kappa + 1].startswith("Rubric agreement: Krippendorff's alpha (ordinal) 0.833 over 2 answers, 2 raters")
