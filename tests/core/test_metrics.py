"""The token clock's figures against hand-worked timestamps."""

import pytest

from gui.core.metrics import TokenClock


def test_ttft_and_decode_rate_follow_the_definitions():
    clock = TokenClock(started_at=10.0)
    for at in (10.5, 10.6, 10.7, 10.8, 10.9):
        clock.tick(at)
    assert clock.ttft_s == pytest.approx(0.5)
    assert clock.decode_tps == pytest.approx(4 / 0.4)  # (tokens - 1) / (last - first)
    assert clock.elapsed_s(11.0) == pytest.approx(1.0)


def test_below_two_tokens_there_is_no_rate():
    clock = TokenClock(0.0)
    assert clock.ttft_s is None and clock.decode_tps is None
    clock.tick(1.0)
    assert clock.ttft_s == 1.0 and clock.decode_tps is None


def test_live_rate_uses_only_the_recent_window():
    clock = TokenClock(0.0)
    for i in range(10):  # slow start: 1 token/s
        clock.tick(float(i))
    for i in range(1, 41):  # then 20 tokens/s
        clock.tick(9.0 + i * 0.05)
    assert clock.live_tps(now=11.0, window_s=2.0) == pytest.approx(20.0, rel=0.05)
    assert clock.decode_tps < 20.0
