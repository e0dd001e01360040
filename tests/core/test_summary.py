"""Summary statistics against hand-worked values."""

import pytest

from gui.core.summary import Distribution, distribution, mean_sd_text, p50_p95_text


def test_no_values_no_distribution():
    assert distribution([]) is None
    assert distribution(iter(())) is None


def test_four_values_by_hand():
    # mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, over n - 1 = 3: sd = sqrt(5/3).
    # P95 sits at rank 0.95 * 3 = 2.85 of 0..3: 3 + 0.85 * (4 - 3) = 3.85.
    found = distribution([4, 1, 3, 2])
    assert found.n == 4
    assert found.mean == 2.5
    assert found.sd == pytest.approx(1.2909944, abs=1e-7)
    assert found.p50 == 2.5
    assert found.p95 == pytest.approx(3.85)
    assert (found.min, found.max) == (1.0, 4.0)


def test_odd_count_median_is_the_middle_value():
    found = distribution([10.0, 30.0, 20.0, 50.0, 40.0])
    assert found.p50 == 30.0
    # rank 0.95 * 4 = 3.8: 40 + 0.8 * 10
    assert found.p95 == pytest.approx(48.0)


def test_one_value_has_no_sd():
    found = distribution([0.25])
    assert found == Distribution(n=1, mean=0.25, sd=None, p50=0.25, p95=0.25, min=0.25, max=0.25)


def test_figures_are_plain_floats():
    found = distribution((1, 2))
    assert all(type(value) is float for value in (found.mean, found.sd, found.p50, found.p95, found.min, found.max))
    assert type(found.n) is int


def test_mean_and_sd_text():
    found = Distribution(n=3, mean=57.84, sd=2.06, p50=57.0, p95=60.0, min=55.0, max=60.5)
    assert mean_sd_text(found) == "57.8 ± 2.1"
    assert mean_sd_text(found, digits=2) == "57.84 ± 2.06"


def test_mean_alone_without_sd_and_dash_without_values():
    assert mean_sd_text(distribution([57.84])) == "57.8"
    assert mean_sd_text(None) == "—"


def test_p50_p95_text():
    assert p50_p95_text(distribution([1, 2, 3, 4])) == "2.50 / 3.85"
    assert p50_p95_text(distribution([1, 2, 3, 5]), digits=1) == "2.5 / 4.7"
    assert p50_p95_text(None) == "—"
