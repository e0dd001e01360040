"""The Compare quantizations window without models: the ribbon's colours, the text choice, a missing file."""

import numpy as np
import pytest

from gui.core.quant import Ribbon
from gui.widgets.quant_window import FILE, SAMPLE, SUITE, QuantWindow, heat, ribbon_html


@pytest.fixture
def view(qtbot):
    window = QuantWindow()
    qtbot.addWidget(window)
    return window


def test_heat_runs_from_a_thousandth_of_a_nat_to_one_on_a_log_scale():
    assert [heat(k) for k in (0.0, 1e-4, 1e-3, 0.1, 1.0, 5.0)] == [0, 0, 0, pytest.approx(2 / 3), 1, 1]


def test_the_ribbon_colours_divergent_tokens_escapes_text_and_marks_chunks():
    ribbon = Ribbon(pieces=("a<b", " c", "\n", "d"), kld=np.array([1.0, 0.0, 0.01, 0.1]), chunk_starts=(0, 2),
                    worst=())
    page = ribbon_html(ribbon)
    assert page.startswith('<span style="background-color:rgba(220,40,40,1.00)">a&lt;b</span> c')
    assert ' ⋯ </span><span style="background-color:rgba(220,40,40,0.33)">↵<br></span>' in page
    assert page.endswith("rgba(220,40,40,0.67)\">d</span>")


def test_start_asks_for_the_chosen_text_and_context(view, qtbot):
    view.set_suites(["math", "code"])
    view.n_ctx.setValue(256)
    with qtbot.waitSignal(view.startRequested) as sample:
        view.start_button.click()
    view.choose(SUITE, "code")
    with qtbot.waitSignal(view.startRequested) as suite:
        view.start_button.click()
    view.choose(FILE, "/texts/novel.txt")
    with qtbot.waitSignal(view.startRequested) as text_file:
        view.start_button.click()
    assert [sample.args, suite.args, text_file.args] == [
        [SAMPLE, "", 256, 0], [SUITE, "code", 256, 0], [FILE, "/texts/novel.txt", 256, 0]]


def test_a_file_source_without_a_file_says_what_to_do_and_starts_nothing(view, qtbot):
    view.choose(FILE)
    with qtbot.assertNotEmitted(view.startRequested):
        view.start_button.click()
    assert "No text file is chosen: press Browse…" in view.error.text() and not view.error.isHidden()
