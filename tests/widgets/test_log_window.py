"""The log window: the file's tail in a monospace font, followed while open; copy; and Details… on a pane's error."""

import logging

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QToolButton

from gguf_files import write_gguf
from gui.app import open_log_on_request, setup_logging
from gui.controllers.arena import Arena
from gui.core.paths import LOG_FILE
from gui.core.store import Store
from gui.widgets.answer_pane import AnswerPane
from gui.widgets.log_window import FOLLOW_MS, TAIL_LINES, LogWindow
from gui.widgets.main_window import MainWindow

FOLLOWED_MS = 20 * FOLLOW_MS  # a generous bound: proves the window follows, not how fast


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / LOG_FILE
    path.write_text("".join(f"line {n}\n" for n in range(TAIL_LINES + 500)), encoding="utf-8")
    return path


@pytest.fixture
def window(qtbot, log_file):
    made = LogWindow(log_file)
    qtbot.addWidget(made)
    made.open()
    return made


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as log:
        log.write(text)


def details_button(pane: AnswerPane) -> QToolButton:
    return next(button for button in pane.findChildren(QToolButton) if button.text() == "Details…")


def test_shows_the_last_lines_of_the_file_in_a_monospace_font(window):
    lines = window.text().splitlines()
    assert len(lines) == TAIL_LINES
    assert lines[0] == "line 500" and lines[-1] == f"line {TAIL_LINES + 499}"
    # Measured, not asked of the font: some monospace fonts do not flag themselves as fixed pitch.
    metrics = window.view.fontMetrics()
    assert metrics.horizontalAdvance("iiiiiiiiii") == metrics.horizontalAdvance("MMMMMMMMMM")
    assert window.view.isReadOnly()


def test_follows_lines_appended_while_open_and_waits_for_a_line_to_end(qtbot, window, log_file):
    append(log_file, "llama_model_load: error loading model\nhalf a li")
    qtbot.waitUntil(lambda: window.text().endswith("llama_model_load: error loading model"), timeout=FOLLOWED_MS)
    append(log_file, "ne\n")
    qtbot.waitUntil(lambda: window.text().endswith("half a line"), timeout=FOLLOWED_MS)
    assert len(window.text().splitlines()) == TAIL_LINES  # the oldest lines made room


def test_a_rotated_log_is_followed_into_the_new_file(qtbot, window, log_file):
    log_file.rename(log_file.with_name(LOG_FILE + ".1"))
    log_file.write_text("after rotation\n", encoding="utf-8")
    qtbot.waitUntil(lambda: window.text().endswith("after rotation"), timeout=FOLLOWED_MS)
    assert f"line {TAIL_LINES + 499}" in window.text()


def test_a_log_not_written_yet_appears_when_it_is(qtbot, tmp_path):
    path = tmp_path / LOG_FILE
    made = LogWindow(path)
    qtbot.addWidget(made)
    made.open()
    assert made.text() == "" and str(path) in made.view.placeholderText()
    path.write_text("first line\n", encoding="utf-8")
    qtbot.waitUntil(lambda: made.text() == "first line", timeout=FOLLOWED_MS)


def test_a_hidden_window_reads_the_file_afresh_when_opened_again(qtbot, window, log_file):
    window.close()
    append(log_file, "while closed\n")
    qtbot.wait(2 * FOLLOW_MS)
    assert "while closed" not in window.text()  # nobody reads a hidden log
    window.open()
    assert window.text().endswith("while closed")


def test_copy_all_puts_the_lines_on_the_clipboard(qtbot, window):
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(window.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == window.text()
    assert QGuiApplication.clipboard().text().endswith(f"line {TAIL_LINES + 499}")


@pytest.mark.parametrize("answered", [True, False])
def test_open_log_folder_opens_the_folder_or_says_where_the_log_is(qtbot, window, log_file, monkeypatch, answered):
    opened = []
    # Recorded, not run: a test must not start the desktop's file manager.
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or answered)
    qtbot.mouseClick(window.folder_button, Qt.MouseButton.LeftButton)
    assert opened == [str(log_file.parent)]
    shown = window.where.text()
    assert ("Could not open" in shown and str(log_file) in shown) is not answered


def test_view_log_and_details_ask_for_the_log_and_blind_mode_hides_details(qtbot):
    main = MainWindow()
    qtbot.addWidget(main)
    main.set_blind(False)
    with qtbot.waitSignal(main.logRequested, timeout=1000):
        main.log_action.trigger()
    assert main.log_action.shortcut().toString() == "Ctrl+Shift+G"
    main.right.show_error("'x.gguf' did not load: llama.cpp gave no reason.")
    main.show()
    with qtbot.waitSignal(main.logRequested, timeout=1000):
        qtbot.mouseClick(details_button(main.right), Qt.MouseButton.LeftButton)
    # The log names the files, which blind mode hides from the error itself.
    main.set_blind(True)
    assert not details_button(main.right).isVisible()
    main.set_blind(False)
    assert details_button(main.right).isVisible()


@pytest.fixture
def logging_to(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    handler = setup_logging(data_dir)
    yield data_dir
    logging.getLogger().removeHandler(handler)
    handler.close()


def test_details_on_a_failed_load_shows_llama_cpp_s_own_lines(qtbot, event_loop, tmp_path, logging_to):
    # A header good enough for the pre-check, without the hyperparameters llama.cpp needs: it fails in llama.cpp.
    tiny = write_gguf(tmp_path / "tiny.gguf")
    main = MainWindow()
    qtbot.addWidget(main)
    main.blind_action.setChecked(False)
    store = Store(tmp_path / "results.sqlite")
    arena = Arena(main, store)  # the real llama.cpp engines
    log_window = open_log_on_request(main, logging_to)
    qtbot.addWidget(log_window)
    try:
        main.show()
        with qtbot.waitSignal(arena.sides[0].loadFailed, timeout=60_000):
            assert arena.choose_file(0, str(tiny))
        assert "tiny.gguf" in main.left.error_text()
        qtbot.mouseClick(details_button(main.left), Qt.MouseButton.LeftButton)
        assert log_window.isVisible()
        shown = log_window.text()
        assert "ERROR gui.llama: llama_model_load: error loading model" in shown
        assert "key not found in model" in shown
        assert f"WARNING gui: side a could not load {tiny}" in shown
    finally:
        arena.shutdown()
        store.close()


def test_while_blind_the_log_hides_llama_cpp_and_every_line_naming_a_model(qtbot, tmp_path):
    log = tmp_path / "gguf-arena.log"
    log.write_text(
        "2026-12-06 10:00:00,000 INFO gui.llama: print_info: general.name = Gemma 3 270m\n"
        "2026-12-06 10:00:01,000 WARNING gui: side a could not load /models/Alphamodel-7B.gguf: too big\n"
        "2026-12-06 10:00:02,000 INFO gui: settings saved\n"
    )
    window = LogWindow(log)
    qtbot.addWidget(window)
    window.set_blind_names({"/models/Alphamodel-7B.gguf", "Alphamodel-7B"})
    window.show()
    qtbot.waitExposed(window)
    assert window.text() == "2026-12-06 10:00:02,000 INFO gui: settings saved"
    assert window.blind_note.isVisible()
    with log.open("a") as more:
        more.write("2026-12-06 10:00:03,000 INFO gui: Alphamodel-7B answered\n2026-12-06 10:00:04,000 INFO gui: ok\n")
    window.follow()
    assert window.text().splitlines()[-1].endswith("gui: ok") and "Alphamodel" not in window.text()
    window.set_blind_names(None)  # the vote revealed them: every line again
    assert "Gemma 3 270m" in window.text() and "Alphamodel-7B answered" in window.text()
    assert not window.blind_note.isVisible()
