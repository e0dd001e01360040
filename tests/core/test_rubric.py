"""Rubric statistics: Krippendorff's alpha against a hand-worked example and the coincidence-matrix formula; means."""

import random

import numpy as np
import pytest

from gui.core.rubric import agreement_line, ordinal_alpha, rubric_agreement, score_means
from gui.core.votes import Outcome, Vote


def alpha_by_coincidences(matrix):
    """Krippendorff's ordinal alpha written out from its definition (Krippendorff 2011, "Computing …").

    o_ck: coincidences of values c and k within answers, each pair weighted 1 / (m_u − 1);
    n_c = Σ_k o_ck; δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k) / 2)²;
    alpha = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.
    """
    o = np.zeros((4, 4))
    for answer in zip(*matrix):
        given = [score for score in answer if score is not None]
        for i, c in enumerate(given):
            for j, k in enumerate(given):
                if i != j:
                    o[c, k] += 1 / (len(given) - 1)
    n_c = o.sum(axis=1)

    def delta(c, k):
        low, high = min(c, k), max(c, k)
        return (n_c[low:high + 1].sum() - (n_c[c] + n_c[k]) / 2) ** 2

    pairs = [(c, k) for c in range(4) for k in range(4)]
    observed = sum(o[c, k] * delta(c, k) for c, k in pairs)
    expected = sum(n_c[c] * n_c[k] * delta(c, k) for c, k in pairs)
    return 1 - (n_c.sum() - 1) * observed / expected


def test_alpha_of_a_hand_worked_example():
    # Two raters, three answers: A scores 1 2 3, B scores 1 2 2.
    # Pairable values n = 6: n_1 = 2, n_2 = 3, n_3 = 1. Coincidences: o_11 = 2, o_22 = 2, o_23 = o_32 = 1.
    # Ordinal distances: δ²_12 = (2 + 3 − (2 + 3)/2)² = 6.25, δ²_23 = (3 + 1 − 2)² = 4,
    #                    δ²_13 = (2 + 3 + 1 − 1.5)² = 20.25.
    # Observed: Σ o δ² = 2 · 4 = 8. Expected: Σ n_c n_k δ² = 2 · (6 · 6.25 + 2 · 20.25 + 3 · 4) = 180.
    # alpha = 1 − (6 − 1) · 8 / 180 = 7/9.
    assert ordinal_alpha([[1, 2, 3], [1, 2, 2]]) == pytest.approx(7 / 9)
    assert alpha_by_coincidences([[1, 2, 3], [1, 2, 2]]) == pytest.approx(7 / 9)


def test_alpha_matches_the_coincidence_formula_with_three_raters_and_gaps():
    rng = random.Random(3)
    matrix = [[rng.choice([None, 0, 1, 2, 3, 3]) for _ in range(20)] for _ in range(3)]
    assert ordinal_alpha(matrix) == pytest.approx(alpha_by_coincidences(matrix))


def test_alpha_is_undefined_when_every_score_is_the_same():
    assert ordinal_alpha([[2, 2], [2, 2]]) is None


def scored(round_id, rater, left, right, category="proof", models=("A", "B")):
    return Vote(round_id, *models, Outcome.TIE, rater=rater, category=category, rubric_left=left, rubric_right=right)


def test_agreement_from_votes_per_category_and_overall():
    votes = [
        scored("r1", "kim", 1, 2), scored("r1", "lee", 1, 2),
        scored("r2", "kim", 3, 2, category="causal"), scored("r2", "lee", 2, 2, category="causal"),
        scored("r3", "kim", 0, 3, category="causal"),  # scored once: no pair, left out
    ]
    found = rubric_agreement(votes)
    # Answers (raters kim, lee): r1 left 1 1, r1 right 2 2, r2 left 3 2, r2 right 2 2.
    assert found.overall.value == pytest.approx(ordinal_alpha([[1, 2, 3, 2], [1, 2, 2, 2]]))
    assert (found.overall.answers, found.overall.raters) == (4, 2)
    assert list(found.by_category) == ["causal", "proof"]
    assert found.by_category["proof"].value == pytest.approx(1.0)
    assert found.by_category["causal"].value == pytest.approx(ordinal_alpha([[3, 2], [2, 2]]))
    assert agreement_line(found).startswith("Rubric agreement: Krippendorff's alpha (ordinal) ")
    assert "by category: causal " in agreement_line(found)


def test_a_raters_last_vote_on_a_round_gives_their_scores():
    votes = [scored("r1", "kim", 0, 0), scored("r1", "lee", 3, 1), scored("r1", "kim", 3, 1)]
    assert rubric_agreement(votes).overall.value == pytest.approx(1.0)


def test_no_agreement_without_an_answer_scored_twice():
    assert rubric_agreement([scored("r1", "kim", 1, 2), scored("r2", "lee", 1, 2)]) is None
    assert rubric_agreement([scored("r1", "kim", None, None), scored("r1", "lee", 2, 2)]) is None
    assert agreement_line(None) == "Rubric agreement: no answer was scored by two raters"


def test_means_average_each_answer_over_its_raters_then_take_a_t_interval():
    votes = [scored("r1", "kim", 1, 0), scored("r1", "lee", 1, 2),  # A's answer 1, B's 1
             scored("r2", "kim", 2, 1, models=("B", "A")),  # A's answer 1 (right side), B's 2
             *(scored(f"r{n}", "kim", 1 + n % 2, 3) for n in range(3, 7))]  # A 2 1 2 1, B 3 3 3 3
    means = score_means(votes)
    a = means["A"]["proof"]
    # A's answers: 1 1 2 1 2 1 → mean 4/3, sd 0.516398; t(0.975, 5) = 2.570582; half-width 0.541926.
    assert (a.mean, a.n, a.scores) == (pytest.approx(4 / 3), 6, 7)
    assert (a.low, a.high) == pytest.approx((4 / 3 - 0.541926, 4 / 3 + 0.541926), abs=1e-6)
    b = means["B"]["proof"]
    # B's answers 1 2 3 3 3 3: mean 2.5, half-width 2.570582 · 0.836660 / √6 = 0.878021, the top clipped to 3.
    assert (b.mean, b.n, b.scores) == (2.5, 6, 7)
    assert (b.low, b.high) == pytest.approx((2.5 - 0.878021, 3.0), abs=1e-6)


def test_one_answer_has_a_mean_but_no_interval():
    (only,) = score_means([scored("r1", "kim", 3, None)])["A"].values()
    assert (only.mean, only.low, only.high, only.n) == (3.0, None, None, 1)
    assert "B" not in score_means([scored("r1", "kim", 3, None)])
