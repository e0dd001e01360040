"""The live decode-rate chart: stores points, redraws at a few Hz and only when dirty."""

import pytest

from gui.widgets.rate_chart import RateChart


@pytest.fixture
def chart(qtbot):
    chart = RateChart()
    qtbot.addWidget(chart)
    chart.prepare_canvas()
    qtbot.waitUntil(lambda: chart.canvas is not None, timeout=20000)
    return chart


@pytest.fixture
def draws(chart, monkeypatch):
    calls: list[None] = []
    monkeypatch.setattr(chart.canvas, "draw_idle", lambda: calls.append(None))
    return calls


def axes(chart):
    return chart.canvas.figure.axes[0]


def test_points_that_come_before_the_canvas_are_drawn_on_it(qtbot, monkeypatch):
    import gui.widgets.rate_chart as rate_chart

    monkeypatch.setattr(rate_chart, "_canvas_module", None)  # as in a fresh process: matplotlib still importing
    chart = RateChart()
    qtbot.addWidget(chart)
    chart.add_point(0, 0.5, 80.0)
    assert chart.canvas is None  # nothing imported before the chart is shown
    chart.show()
    qtbot.waitUntil(lambda: chart.canvas is not None, timeout=20000)
    qtbot.waitUntil(lambda: list(axes(chart).get_lines()[0].get_ydata()) == [80.0], timeout=2000)


def test_a_chart_with_nothing_new_never_redraws(qtbot, chart, draws):
    qtbot.wait(700)
    assert draws == []


def test_points_are_only_stored_until_the_timer_redraws_once(qtbot, chart, draws):
    for i in range(50):
        chart.add_point(0, i * 0.05, 100.0 + i)
        chart.add_point(1, i * 0.05, 40.0)
    assert draws == []
    qtbot.waitUntil(lambda: len(draws) == 1, timeout=1000)
    qtbot.wait(700)
    assert len(draws) == 1


def test_each_new_batch_redraws_once(qtbot, chart, draws):
    chart.add_point(0, 0.0, 10.0)
    qtbot.waitUntil(lambda: len(draws) == 1, timeout=1000)
    chart.add_point(0, 0.5, 12.0)
    qtbot.waitUntil(lambda: len(draws) == 2, timeout=1000)
    qtbot.wait(600)
    assert len(draws) == 2


def test_lines_carry_each_sides_points(qtbot, chart, draws):
    chart.add_point(0, 0.5, 100.0)
    chart.add_point(0, 1.0, 110.0)
    chart.add_point(1, 0.7, 45.0)
    qtbot.waitUntil(lambda: len(draws) == 1, timeout=1000)
    left, right = axes(chart).get_lines()
    assert list(left.get_xdata()) == [0.5, 1.0]
    assert list(left.get_ydata()) == [100.0, 110.0]
    assert list(right.get_xdata()) == [0.7]
    assert list(right.get_ydata()) == [45.0]
    bottom, top = axes(chart).get_ylim()
    assert bottom == 0
    assert top >= 110.0
    assert axes(chart).get_xlim()[1] >= 1.0


def test_the_scale_keeps_up_with_later_points(qtbot, chart, draws):
    chart.add_point(0, 1.0, 10.0)
    qtbot.waitUntil(lambda: len(draws) == 1, timeout=1000)
    chart.add_point(0, 30.0, 500.0)
    qtbot.waitUntil(lambda: len(draws) == 2, timeout=1000)
    assert axes(chart).get_xlim()[1] >= 30.0
    assert axes(chart).get_ylim()[1] >= 500.0


def test_reset_empties_the_lines_at_the_next_tick(qtbot, chart, draws):
    chart.add_point(0, 0.5, 100.0)
    qtbot.waitUntil(lambda: len(draws) == 1, timeout=1000)
    chart.reset()
    qtbot.waitUntil(lambda: len(draws) == 2, timeout=1000)
    for line in axes(chart).get_lines():
        assert len(line.get_xdata()) == 0
    assert axes(chart).get_xlim()[0] == 0


def test_legend_and_axis_labels(chart):
    assert [text.get_text() for text in axes(chart).get_legend().get_texts()] == ["Left", "Right"]
    assert axes(chart).get_xlabel() == "s"
    assert axes(chart).get_ylabel() == "tok/s"


def test_once_drawn_new_points_within_the_scale_only_blit_the_lines(qtbot, chart, monkeypatch):
    chart.resize(600, 160)
    chart.show()
    qtbot.waitExposed(chart)
    chart.canvas.draw()  # the first full draw saves the background
    full, blits = [], []
    monkeypatch.setattr(chart.canvas, "draw_idle", lambda: full.append(None))
    original_blit = chart.canvas.blit_lines
    monkeypatch.setattr(chart.canvas, "blit_lines", lambda: blits.append(None) or original_blit())
    chart.add_point(0, 1.0, 50.0)  # inside the empty scale (10 s, 100 tok/s)
    qtbot.waitUntil(lambda: len(blits) == 1, timeout=1000)
    assert full == []
    chart.add_point(0, 12.0, 50.0)  # past 10 s: the scale grows, a full draw
    qtbot.waitUntil(lambda: len(full) == 1, timeout=1000)
    assert axes(chart).get_xlim() == (0.0, 18.0)
    assert list(axes(chart).get_lines()[0].get_xdata()) == [1.0, 12.0]
