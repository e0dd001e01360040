"""The live decode-rate chart: drawn on a thread of its own once shown, at a few Hz, only when something changed."""

import logging
import math

import pytest
from matplotlib.colors import to_hex
from PySide6.QtCore import QCoreApplication, QEvent, QSize
from PySide6.QtGui import QPalette

from processes import child_report
from gui.widgets.rate_chart import RateChart
from gui.widgets.theme import DARK, LIGHT, palette_for

FIRST_IMAGE_MS = 20000  # the first picture waits for matplotlib's import on the chart's thread
RENDER_MS = 2000  # a timer tick (500 ms) and one render


@pytest.fixture
def renders() -> list[bool]:
    """Each picture the chart took, in order: True for a full draw, False for the lines only."""
    return []


@pytest.fixture
def chart(qtbot, renders):
    """A shown chart with its first picture (the empty scale) in place."""
    chart = RateChart()
    qtbot.addWidget(chart)
    chart.rendered.connect(renders.append)
    chart.resize(600, 160)
    chart.show()
    qtbot.waitExposed(chart)
    qtbot.waitUntil(lambda: len(renders) == 1, timeout=FIRST_IMAGE_MS)
    return chart


def drawn(qtbot, chart, renders, count: int) -> None:
    """Wait for the `count`th picture and for the chart to have nothing left to draw."""
    qtbot.waitUntil(lambda: len(renders) == count and chart.is_current(), timeout=RENDER_MS)


def axes(chart):
    return chart.renderer.figure.axes


def line_data(chart) -> list[tuple[list[float], list[float]]]:
    return [(list(line.get_xdata()), list(line.get_ydata())) for line in chart.renderer.figure.lines]


# Records which thread first imports matplotlib, then shows a chart that had points while hidden.
_CHILD = """
import json, sys, threading
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

importers = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib":
            importers.append(threading.current_thread().name)
        return None

sys.meta_path.insert(0, Watch())
app = QApplication([])
from gui.widgets.rate_chart import RateChart

def spin(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

chart = RateChart()
chart.add_point(0, 0.5, 80.0)
spin(1200)  # two timer ticks with a point to draw
hidden = {"matplotlib": "matplotlib" in sys.modules, "threads": [t.name for t in threading.enumerate()]}
chart.resize(300, 140)
chart.show()
for _ in range(300):
    if not chart.image.isNull():
        break
    spin(100)
lines = [list(line.get_ydata()) for line in chart.renderer.figure.lines]
print(json.dumps({"hidden": hidden, "importers": importers, "image": not chart.image.isNull(), "lines": lines}))
"""


def test_matplotlib_is_imported_only_once_shown_and_never_on_the_gui_thread():
    report = child_report(_CHILD)
    assert report["hidden"] == {"matplotlib": False, "threads": ["MainThread"]}
    assert report["importers"] == ["rate chart"]
    # The point added before the first show is on the first picture.
    assert report["image"] and report["lines"] == [[80.0], []]


def test_the_first_picture_is_the_empty_scale(chart):
    assert line_data(chart) == [([], []), ([], [])]
    assert axes(chart).get_xlim() == (0.0, 10.0) and axes(chart).get_ylim() == (0.0, 100.0)


def test_a_chart_with_nothing_new_never_renders(qtbot, chart, renders):
    qtbot.wait(1200)
    assert renders == [True]


def test_many_points_between_ticks_render_once(qtbot, chart, renders):
    for i in range(50):
        chart.add_point(0, i * 0.05, 50.0 + i)
        chart.add_point(1, i * 0.05, 40.0)
    drawn(qtbot, chart, renders, 2)
    qtbot.wait(1200)
    assert len(renders) == 2
    assert line_data(chart)[0][1] == [50.0 + i for i in range(50)]


def test_lines_carry_each_sides_points_over_a_zero_floor(qtbot, chart, renders):
    chart.add_point(0, 0.5, 100.0)
    chart.add_point(0, 1.0, 110.0)
    chart.add_point(1, 0.7, 45.0)
    drawn(qtbot, chart, renders, 2)
    assert line_data(chart) == [([0.5, 1.0], [100.0, 110.0]), ([0.7], [45.0])]
    bottom, top = axes(chart).get_ylim()
    assert bottom == 0 and top >= 110.0
    assert axes(chart).get_xlim()[0] == 0 and axes(chart).get_xlim()[1] >= 1.0


def test_the_scale_grows_with_later_points(qtbot, chart, renders):
    chart.add_point(0, 1.0, 10.0)
    drawn(qtbot, chart, renders, 2)
    chart.add_point(0, 30.0, 500.0)
    drawn(qtbot, chart, renders, 3)
    assert axes(chart).get_xlim() == (0.0, 45.0) and axes(chart).get_ylim() == (0.0, 750.0)
    assert renders == [True, False, True]


def test_reset_empties_the_lines_and_the_scale_at_the_next_tick(qtbot, chart, renders):
    chart.add_point(0, 30.0, 500.0)
    drawn(qtbot, chart, renders, 2)
    chart.reset()
    drawn(qtbot, chart, renders, 3)
    assert line_data(chart) == [([], []), ([], [])]
    assert axes(chart).get_xlim() == (0.0, 10.0) and axes(chart).get_ylim() == (0.0, 100.0)


def test_legend_above_the_plot_and_axis_labels(chart):
    legend = axes(chart).get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["Left", "Right"]
    assert legend.get_bbox_to_anchor().y0 == pytest.approx(axes(chart).bbox.y1)
    assert axes(chart).get_xlabel() == "s" and axes(chart).get_ylabel() == "tok/s"


def test_points_within_the_scale_only_draw_the_lines(qtbot, chart, renders):
    for second in range(1, 6):  # inside the empty scale (10 s, 100 tok/s)
        chart.add_point(0, float(second), 50.0)
        drawn(qtbot, chart, renders, second + 1)
    assert renders == [True] + [False] * 5
    chart.add_point(0, 12.0, 50.0)  # past 10 s: the scale grows, a full draw
    drawn(qtbot, chart, renders, 7)
    assert renders[-1] is True
    assert axes(chart).get_xlim() == (0.0, 18.0)
    assert line_data(chart)[0][0] == [1.0, 2.0, 3.0, 4.0, 5.0, 12.0]


def test_the_picture_has_the_widgets_size_in_device_pixels(qtbot, chart, renders):
    dpr = chart.devicePixelRatioF()
    assert chart.image.size() == QSize(round(600 * dpr), round(160 * dpr))
    assert chart.image.devicePixelRatio() == dpr
    chart.resize(500, 200)
    drawn(qtbot, chart, renders, 2)
    assert renders == [True, True]  # a new size is a full draw
    assert chart.image.size() == QSize(round(500 * dpr), round(200 * dpr))


def test_a_burst_of_resizes_keeps_only_the_newest_waiting(qtbot, chart, renders):
    for width in range(400, 600, 10):
        chart.resize(width, 150)
    qtbot.waitUntil(chart.is_current, timeout=RENDER_MS)
    # The first size was being drawn while the others came: only the last of them waited its turn.
    assert renders == [True, True, True]
    assert chart.image.size() == QSize(round(590 * chart.devicePixelRatioF()), round(150 * chart.devicePixelRatioF()))


def test_a_dark_palette_gives_a_dark_picture(qtbot, qapp, chart, renders):
    saved = QPalette(qapp.palette())
    try:
        qapp.setPalette(palette_for(DARK))  # as the theme does when the system turns dark
        drawn(qtbot, chart, renders, 2)
        dark = palette_for(DARK)
        assert chart.image.pixelColor(2, 2).name() == dark.color(QPalette.ColorRole.Window).name()
        assert to_hex(axes(chart).get_facecolor()) == dark.color(QPalette.ColorRole.Base).name()
        assert to_hex(axes(chart).xaxis.label.get_color()) == dark.color(QPalette.ColorRole.WindowText).name()
        assert renders == [True, True]
    finally:
        qapp.setPalette(saved)
    drawn(qtbot, chart, renders, 3)
    assert chart.image.pixelColor(2, 2).name() == palette_for(LIGHT).color(QPalette.ColorRole.Window).name()


def test_a_hidden_chart_draws_nothing_until_shown_again(qtbot, chart, renders):
    chart.hide()
    chart.add_point(1, 2.0, 30.0)
    qtbot.wait(1200)
    assert renders == [True]
    chart.show()
    drawn(qtbot, chart, renders, 2)
    assert line_data(chart)[1] == ([2.0], [30.0])


def test_a_point_matplotlib_cannot_draw_is_logged_and_the_last_picture_kept(qtbot, chart, renders, caplog):
    picture = chart.image
    chart.add_point(0, 1.0, math.inf)
    with caplog.at_level(logging.ERROR, logger="gui.widgets.rate_chart"):
        qtbot.waitUntil(lambda: "could not draw" in caplog.text, timeout=RENDER_MS)
    qtbot.wait(100)  # the failed render's answer reaches the chart
    assert renders == [True] and chart.image == picture
    chart.reset()  # the next round draws again
    chart.add_point(0, 1.0, 50.0)
    drawn(qtbot, chart, renders, 2)
    assert line_data(chart) == [([1.0], [50.0]), ([], [])]


def test_the_thread_ends_when_the_chart_is_deleted(qtbot):
    chart = RateChart()  # not given to qtbot, which would close it after the test
    chart.show()
    qtbot.waitUntil(lambda: not chart.image.isNull(), timeout=FIRST_IMAGE_MS)
    thread = chart.renderer.thread
    chart.deleteLater()
    QCoreApplication.sendPostedEvents(chart, QEvent.Type.DeferredDelete)
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=RENDER_MS)


def test_a_held_chart_starts_no_renderer_until_released(qtbot, renders):
    chart = RateChart()
    qtbot.addWidget(chart)
    chart.rendered.connect(renders.append)
    chart.set_held(True)  # as while a model loads: matplotlib's import would hold Python's lock meanwhile
    chart.resize(600, 160)
    chart.show()
    qtbot.waitExposed(chart)
    chart.add_point(0, 1.0, 30.0)
    qtbot.wait(700)  # a redraw tick passes
    assert chart.renderer is None and renders == []
    chart.set_held(False)
    qtbot.waitUntil(lambda: bool(renders) and chart.is_current(), timeout=FIRST_IMAGE_MS)
    assert line_data(chart)[0] == ([1.0], [30.0])
