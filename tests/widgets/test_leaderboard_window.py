"""The leaderboard window: standings table, rating chart, rater checks, rubric means, leak toggle and refresh."""

import math

import pytest
from PySide6.QtCore import Qt

from gui.widgets.leaderboard_window import LeaderboardWindow

ROWS = [
    dict(model="gemma-3-270m-q4_k_m", rating=1062.4, ci_low=1010.2, ci_high=1118.9,
         wins=14, losses=6, ties=3, both_bad=2, votes=25),
    dict(model="SmolLM2-135M-Instruct.Q4_1", rating=999.5, ci_low=951.0, ci_high=1049.5,
         wins=9, losses=10, ties=4, both_bad=1, votes=24),
    dict(model="Qwen2.5-0.5B-Instruct-Q5_K_M", rating=937.6, ci_low=None, ci_high=math.nan,
         wins=3, losses=10, ties=1, both_bad=3, votes=17),
]
SUMMARY = [
    "Position bias: Left won 54% of 26 decisive votes (p = 0.70)",
    "Votes to separate the top two: about 18 more",
]
RUBRIC = {
    "gemma-3-270m-q4_k_m": {"logic": 1.5, "math": 2.25},
    "SmolLM2-135M-Instruct.Q4_1": {"logic": 1.0, "poetry": 2.0},
}


@pytest.fixture
def board(qtbot):
    window = LeaderboardWindow()
    qtbot.addWidget(window)
    window.show_board(ROWS, SUMMARY, RUBRIC)
    return window


def texts(table):
    return [[table.item(row, column).text() for column in range(table.columnCount())] for row in range(table.rowCount())]


def headers(table):
    return [table.horizontalHeaderItem(column).text() for column in range(table.columnCount())]


def test_a_window_of_its_own(board):
    assert board.isWindow()
    assert "Leaderboard" in board.windowTitle()


def test_standings_best_first_with_rounded_ratings_and_intervals(board):
    assert headers(board.standings) == ["#", "Model", "Rating", "95% CI", "W", "L", "T", "Both bad", "Votes"]
    assert texts(board.standings) == [
        ["1", "gemma-3-270m-q4_k_m", "1062", "1010 – 1119", "14", "6", "3", "2", "25"],
        ["2", "SmolLM2-135M-Instruct.Q4_1", "1000", "951 – 1050", "9", "10", "4", "1", "24"],
        ["3", "Qwen2.5-0.5B-Instruct-Q5_K_M", "938", "—", "3", "10", "1", "3", "17"],
    ]


def test_numbers_are_right_aligned_names_are_not(board):
    for column in range(board.standings.columnCount()):
        alignment = board.standings.item(0, column).textAlignment()
        right = bool(Qt.AlignmentFlag(alignment) & Qt.AlignmentFlag.AlignRight)
        assert right == (column != 1), column


def test_the_table_is_read_only(board):
    item = board.standings.item(0, 2)
    assert not item.flags() & Qt.ItemFlag.ItemIsEditable


def test_summary_lines_are_shown_as_given(board):
    assert board.summary.text().splitlines() == SUMMARY


def test_rubric_means_per_model_and_category_with_dashes_where_missing(board):
    assert headers(board.rubric) == ["Model", "logic", "math", "poetry"]
    assert texts(board.rubric) == [
        ["gemma-3-270m-q4_k_m", "1.50", "2.25", "—"],
        ["SmolLM2-135M-Instruct.Q4_1", "1.00", "—", "2.00"],
    ]


def test_a_vote_without_category_gets_a_named_column(board):
    board.show_board(ROWS, [], {"m": {"": 2.0}})
    assert headers(board.rubric) == ["Model", "(no category)"]


def test_a_new_board_replaces_the_old(board):
    board.show_board(ROWS[:1], ["only line"], {})
    assert board.standings.rowCount() == 1
    assert board.summary.text() == "only line"
    assert board.rubric.rowCount() == 0


def test_chart_draws_ratings_with_intervals_best_at_the_top(board):
    axes = board.chart.figure.axes[0]
    labels = {tick.get_text(): y for tick, y in zip(axes.get_yticklabels(), axes.get_yticks())}
    assert labels["gemma-3-270m-q4_k_m"] > labels["SmolLM2-135M-Instruct.Q4_1"] > labels["Qwen2.5-0.5B-Instruct-Q5_K_M"]
    low, high = axes.get_xlim()
    assert low <= 951.0 and high >= 1118.9


def test_an_empty_board_draws(board):
    board.show_board([], [], {})
    assert board.standings.rowCount() == 0
    assert board.chart.figure.axes[0].get_yticks().size == 0


def test_leak_box_and_refresh_ask_the_app(qtbot, board):
    assert not board.include_leaks.isChecked()
    with qtbot.waitSignal(board.includeLeaksToggled, timeout=1000) as blocker:
        board.include_leaks.click()
    assert blocker.args == [True]
    with qtbot.waitSignal(board.refreshRequested, timeout=1000):
        qtbot.mouseClick(board.refresh_button, Qt.MouseButton.LeftButton)


def test_controls_have_accessible_names(board):
    for widget in (board.include_leaks, board.refresh_button, board.standings, board.rubric, board.chart):
        assert widget.accessibleName()
