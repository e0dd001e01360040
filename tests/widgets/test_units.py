"""Sizes and counts as the labels show them."""

import pytest

from gui.widgets.units import format_bytes, format_count, format_or_dash


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (None, "—"),
        (512, "0.5 KiB"),
        (int(92.1 * 1024**2), "92.1 MiB"),
        (1023 * 1024**2, "1023.0 MiB"),
        (253_113_024, "241.4 MiB"),
        (int(4.37 * 1024**3), "4.37 GiB"),
    ],
)
def test_format_bytes(count, text):
    assert format_bytes(count) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (999, "999"),
        (134_515_008, "135M"),
        (268_098_176, "268M"),
        (999_600_000, "1B"),
        (1_540_000_000, "1.54B"),
        (8_030_000_000, "8.03B"),
        (70_600_000_000, "70.6B"),
        (1_200_000_000_000, "1.2T"),
        (None, "—"),
    ],
)
def test_format_count(count, text):
    assert format_count(count) == text


def test_format_or_dash():
    assert format_or_dash(None, ".1f", "tok/s") == "—"
    assert format_or_dash(3.14159, ".2f", "s") == "3.14 s"
    assert format_or_dash(7, "d") == "7"
