"""Results › Fit planner: the menu opens the window; a file's header is read off the GUI thread, a bad one explained."""

import threading

import pytest

from gguf_files import SHAPES, write_header_only
from gui.controllers.results import Results
from gui.widgets.main_window import MainWindow


@pytest.fixture
def results(qtbot, event_loop, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    made = Results(window, arena=None, store=None, data=tmp_path)
    yield made
    made.fit_planner.close()


def menu_action(window: MainWindow, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Results")
    return next(a for a in menu.actions() if a.text() == text)


def test_the_menu_opens_the_planner_and_a_file_is_read_off_the_gui_thread(results, event_loop, tmp_path,
                                                                         monkeypatch):
    menu_action(results.window, "Fit planner…").trigger()
    assert results.fit_planner.isVisible()
    path = tmp_path / "32B-shaped.gguf"
    write_header_only(path, *SHAPES["32B"])
    import gui.core.fit

    threads = []
    real = gui.core.fit.file_spec
    monkeypatch.setattr(gui.core.fit, "file_spec", lambda p: threads.append(threading.current_thread()) or real(p))
    event_loop.run_until_complete(results.plan_file(str(path)))
    assert threads and threads[0] is not threading.main_thread()
    assert results.fit_planner.spec.shape.block_count == 64
    assert results.fit_planner.table.rowCount() == 3


def test_a_bad_file_is_explained_until_a_good_one_is_planned(results, event_loop, tmp_path):
    results.show_fit_planner()
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello")
    event_loop.run_until_complete(results.plan_file(str(bad)))
    assert "is not a GGUF file" in results.fit_planner.error.text() and results.fit_planner.error.isVisible()
    assert "Llama-3-8B Q4_K_M (preset)" in results.fit_planner.title.text()  # the plan shown before stays
    good = tmp_path / "8B-shaped.gguf"
    write_header_only(good, *SHAPES["8B"])
    event_loop.run_until_complete(results.plan_file(str(good)))
    assert not results.fit_planner.error.isVisible()
    assert results.fit_planner.spec.name == "llama Q4_K_M" and "trained context 8,192" in results.fit_planner.title.text()
