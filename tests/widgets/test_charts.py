"""The report's charts and the charts window: each chart draws from data, or says what it still needs."""

import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from gui.core.report_data import gather
from gui.core.store import RoundRecord
from gui.core.votes import Outcome, Vote
from gui.widgets.charts import (
    CHARTS,
    MISSING,
    checks_chart,
    decode_chart,
    memory_chart,
    ratings_chart,
    rubric_chart,
    tradeoff_chart,
    ttft_chart,
)
from gui.widgets.charts_window import ChartImage, ChartsWindow, draw_charts

MIB = 1024**2
A, B = "alpha-q4", "beta-q5"


def answer(ttft, decode, contended, memory_mib=None):
    found = {"ttft_s": ttft, "decode_tps": decode, "contended": contended, "first_after_load": False,
             "error": None, "stop_reason": "end of text"}
    if memory_mib is not None:
        found |= {"load_s": 1.0, "weights_bytes": memory_mib * MIB, "context_bytes": 0}
    return found


def round_(index, left_metrics, right_metrics, category="json", checks=None):
    identity = {label: {"label": label, "path": f"/m/{label}.gguf", "file_size": 1, "fingerprint": label,
                        "architecture": "llama", "quantization": "Q4_K_M", "parameter_count": 1}
                for label in (A, B)}
    return RoundRecord(
        id=f"r{index}", created_at=f"2026-11-23T10:{index:02d}:00", chat_id="c", turn=index, prompt="Q",
        category=category, mode="parallel", swapped=False, left_model=identity[A], right_model=identity[B],
        left_output="", right_output="", left_metrics=left_metrics, right_metrics=right_metrics, environment={},
        params={side: {"sampling": {"seed": 1}, "load": {}} for side in ("left", "right")},
        left_checks=checks, right_checks=checks,
    )


def rounds(memory=True):
    """Six rounds: both models isolated and contended, JSON and math checks, with or without memory figures."""
    found = []
    for index in range(6):
        contended = index % 2 == 1
        found.append(round_(
            index,
            answer(0.2 + 0.01 * index, 50.0 + index, contended, 120 if memory else None),
            answer(0.5 + 0.02 * index, 25.0 + index, contended, 300 if memory else None),
            category="json" if index < 3 else "math",
            checks=[{"kind": "json_valid" if index < 3 else "math_answer", "passed": index % 3 != 0, "detail": ""}],
        ))
    return found


VOTES = [
    Vote(f"r{index}", A, B, outcome, rater="ann", category="json" if index < 3 else "math",
         rubric_left=3 if index % 2 else 2, rubric_right=1)
    for index, outcome in enumerate([Outcome.LEFT, Outcome.LEFT, Outcome.RIGHT, Outcome.LEFT, Outcome.TIE,
                                     Outcome.LEFT])
]


@pytest.fixture(scope="module")
def full():
    return gather(rounds(), VOTES)


@pytest.fixture(scope="module")
def unrated():
    """Old rounds (no memory figures) and no votes yet."""
    return gather(rounds(memory=False), [])


@pytest.fixture(scope="module")
def empty():
    return gather([], [])


def axes(figure):
    return figure.axes[0]


def tick_texts(labels):
    return [label.get_text() for label in labels]


def test_the_charts_in_report_order_with_file_stems():
    assert [name for name, _, _ in CHARTS] == ["ratings", "rubric", "ttft", "decode", "memory", "tradeoff", "checks"]
    assert set(MISSING) == {name for name, _, _ in CHARTS}
    assert MISSING["ratings"] == "No votes yet: rate some rounds to see ratings."


@pytest.mark.parametrize("name, draw", [(name, draw) for name, _, draw in CHARTS])
def test_every_chart_draws_with_data_and_none_without(full, empty, name, draw):
    figure = draw(full)
    assert isinstance(figure, Figure)
    assert figure.axes
    assert draw(empty) is None


def test_ratings_best_first_with_intervals(full):
    figure = ratings_chart(full)
    by_height = dict(zip(axes(figure).get_yticks(), tick_texts(axes(figure).get_yticklabels())))
    best = full.quality.rows[0]
    top = by_height[max(by_height)]
    assert top.startswith(best.model)
    assert f"{best.wins} W / {best.losses} L / {best.ties} T" in top
    assert "95%" in axes(figure).get_xlabel()
    assert axes(figure).get_title() == "Blind rating"


def test_rubric_bars_per_category_on_a_zero_to_three_scale(full):
    figure = rubric_chart(full)
    assert tick_texts(axes(figure).get_xticklabels()) == ["json", "math"]
    assert list(axes(figure).get_yticks()) == [0, 1, 2, 3]
    heights = sorted(round(patch.get_height(), 3) for patch in axes(figure).patches)
    rubric = full.quality.rubric_by_category
    assert heights == sorted(round(mean, 3) for means in rubric.values() for mean in means.values())
    assert "0" in axes(figure).get_ylabel() and "3" in axes(figure).get_ylabel()


@pytest.mark.parametrize("draw, unit", [(ttft_chart, "s"), (decode_chart, "tok/s")])
def test_speed_panels_per_model_tell_conditions_apart_and_label_p50_p95(full, draw, unit):
    figure = draw(full)
    assert [panel.get_title() for panel in figure.axes] == [A, B]
    labels = tick_texts(figure.axes[0].get_xticklabels())
    assert labels[0].startswith("isolated, n = 3\nP50 ")
    assert labels[1].startswith("contended, n = 3\nP50 ")
    assert all(f" {unit}\nP95 " in label and label.endswith(f" {unit}") for label in labels)
    assert figure.axes[0].get_ylabel().endswith(f"({unit})")
    legend = tick_texts(figure.legends[0].get_texts())
    assert legend == ["P50", "P95", "isolated answer", "contended answer"]


def test_ttft_lines_sit_at_p50_and_p95(full):
    figure = ttft_chart(full)
    isolated = next(model for model in full.models if model.info.label == A).isolated.ttft
    heights = [collection.get_segments()[0][0][1] for collection in figure.axes[0].collections
               if isinstance(collection, LineCollection)]
    assert heights[:2] == pytest.approx([isolated.p50, isolated.p95])


def test_memory_bars_in_mib(full):
    figure = memory_chart(full)
    assert sorted(patch.get_width() for patch in axes(figure).patches) == [120.0, 300.0]
    assert "MiB" in axes(figure).get_xlabel()
    assert [text.get_text() for text in axes(figure).texts] == ["120.0 MiB", "300.0 MiB"]


def test_tradeoff_marker_area_follows_memory(full):
    figure = tradeoff_chart(full)
    sizes = [collection.get_sizes()[0] for collection in axes(figure).collections
             if isinstance(collection, PathCollection)]
    assert sizes[0] / sizes[1] == pytest.approx(120 / 300)
    assert "tok/s" in axes(figure).get_xlabel()
    assert any(text.get_text().startswith(A) and "120 MiB" in text.get_text() for text in axes(figure).texts)


def test_check_rates_overall_and_per_category(full):
    figure = checks_chart(full)
    assert tick_texts(axes(figure).get_xticklabels()) == ["all checks", "json", "math"]
    assert "%" in axes(figure).get_ylabel()
    # Each model passed 4 of 6: indexes 0 and 3 failed.
    assert "4/6" in [text.get_text() for text in axes(figure).texts]


def test_partial_data_draws_what_it_can(unrated):
    assert ratings_chart(unrated) is None
    assert memory_chart(unrated) is None
    assert tradeoff_chart(unrated) is None
    assert ttft_chart(unrated) is not None
    assert checks_chart(unrated) is not None


@pytest.fixture
def window(qtbot):
    window = ChartsWindow()
    qtbot.addWidget(window)
    return window


def test_a_window_of_its_own_with_a_tab_per_chart(window, full):
    window.show_charts(draw_charts(full, 2.0))
    assert window.isWindow()
    assert [window.tabs.tabText(index) for index in range(window.tabs.count())] == [title for _, title, _ in CHARTS]
    assert all(isinstance(window.tabs.widget(index), ChartImage) for index in range(window.tabs.count()))
    assert window.tabs.widget(0).accessibleName() == "Ratings chart"
    # Drawn at the figure's own size (7 inches wide, 100 pixels an inch) for a screen of 2 pixels per pixel.
    image = window.tabs.widget(0).image
    assert image.width() == 1400 and image.deviceIndependentSize().width() == 700


def test_a_chart_without_data_says_what_is_missing(window, unrated):
    window.show_charts(draw_charts(unrated, 1.0))
    page = window.tabs.widget(0)
    assert isinstance(page, QLabel)
    assert page.text() == "No votes yet: rate some rounds to see ratings."
    assert page.accessibleName() == "Ratings: no data"
    assert isinstance(window.tabs.widget(2), ChartImage)


def test_new_data_keeps_the_tab_being_read(window, full, unrated):
    window.show_charts(draw_charts(full, 1.0))
    window.tabs.setCurrentIndex(3)
    window.show_charts(draw_charts(unrated, 1.0))
    assert window.tabs.count() == len(CHARTS)
    assert window.tabs.currentIndex() == 3


def test_the_save_button_asks_for_a_report(qtbot, window):
    assert window.save_button.accessibleName() == "Save report"
    with qtbot.waitSignal(window.saveReportRequested, timeout=1000):
        qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)


def test_a_stale_chart_is_greyed_and_said_to_be_from_before(window, full):
    window.show_charts(draw_charts(full, 1.0))
    window.show_busy("Drawing the charts from 3 rounds and 3 votes…")
    assert not window.tabs.isEnabled() and not window.save_button.isEnabled()
    assert window.status.text().endswith("The charts below are from before, not current.")
    window.show_charts(draw_charts(full, 1.0))
    assert window.tabs.isEnabled() and window.status.isHidden()
