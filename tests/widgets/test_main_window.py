"""The main window: sending, stopping, new chat, busy state, menus and layout."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QSplitter

from gui.widgets.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.prompt.setFocus()
    return window


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [
        (Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier),
    ],
)
def test_ctrl_enter_sends_the_text_and_clears_the_box(qtbot, window, key, modifiers):
    window.prompt.setPlainText("What is 17 × 23?\nShow your work.")
    with qtbot.waitSignal(window.sendRequested, timeout=1000) as blocker:
        qtbot.keyClick(window.prompt, key, modifiers)
    assert blocker.args == ["What is 17 × 23?\nShow your work."]
    assert window.prompt.toPlainText() == ""


def test_send_button_sends(qtbot, window):
    window.prompt.setPlainText("hello")
    with qtbot.waitSignal(window.sendRequested, timeout=1000) as blocker:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["hello"]
    assert window.prompt.toPlainText() == ""


def test_surrounding_blank_lines_are_not_sent(qtbot, window):
    window.prompt.setPlainText("\n  hello  \n\n")
    with qtbot.waitSignal(window.sendRequested, timeout=1000) as blocker:
        window.send_button.click()
    assert blocker.args == ["hello"]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_blank_text_sends_nothing(qtbot, window, text):
    window.prompt.setPlainText(text)
    with qtbot.assertNotEmitted(window.sendRequested, wait=100):
        qtbot.keyClick(window.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        window.send_button.click()


def test_plain_return_makes_a_new_line(qtbot, window):
    qtbot.keyClicks(window.prompt, "one")
    with qtbot.assertNotEmitted(window.sendRequested, wait=100):
        qtbot.keyClick(window.prompt, Qt.Key.Key_Return)
    qtbot.keyClicks(window.prompt, "two")
    assert window.prompt.toPlainText() == "one\ntwo"


def test_busy_window_stops_but_does_not_send(qtbot, window):
    window.set_busy(True)
    assert not window.send_button.isEnabled()
    assert window.stop_button.isEnabled()
    window.prompt.setPlainText("next question")
    with qtbot.assertNotEmitted(window.sendRequested, wait=100):
        qtbot.keyClick(window.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    # The message typed during a round is kept for when the round ends.
    assert window.prompt.toPlainText() == "next question"

    window.set_busy(False)
    assert window.send_button.isEnabled()
    assert not window.stop_button.isEnabled()


def test_escape_stops_a_running_round(qtbot, window):
    window.set_busy(True)
    with qtbot.waitSignal(window.stopRequested, timeout=1000):
        qtbot.keyClick(window.prompt, Qt.Key.Key_Escape)


def test_stop_button_stops(qtbot, window):
    window.set_busy(True)
    with qtbot.waitSignal(window.stopRequested, timeout=1000):
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)


def test_escape_when_idle_does_nothing(qtbot, window):
    with qtbot.assertNotEmitted(window.stopRequested, wait=100):
        qtbot.keyClick(window.prompt, Qt.Key.Key_Escape)


def test_ctrl_n_and_button_start_a_new_chat(qtbot, window):
    with qtbot.waitSignal(window.newChatRequested, timeout=1000):
        qtbot.keyClick(window.prompt, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.newChatRequested, timeout=1000):
        qtbot.mouseClick(window.new_chat_button, Qt.MouseButton.LeftButton)


def test_layout_holds_both_panes_side_by_side(window):
    assert window.windowTitle() == "GGUF Arena"
    assert window.panes == (window.left, window.right)
    assert (window.left.title, window.right.title) == ("Left", "Right")
    splitter = window.left.parentWidget()
    assert isinstance(splitter, QSplitter)
    assert splitter.orientation() == Qt.Orientation.Horizontal
    assert splitter.indexOf(window.right) == 1
    assert window.left.x() < window.right.x()
    assert window.chart.isVisible()
    assert window.chart.y() > window.left.y()


def test_menus_offer_the_commands(window):
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    file_items = [action.text() for action in menus["File"].actions() if not action.isSeparator()]
    chat_items = [action.text() for action in menus["Chat"].actions()]
    assert file_items == ["Open left…", "Open right…", "Quit"]
    assert chat_items == ["Send", "Stop", "New chat"]


def test_open_left_asks_the_left_pane_for_a_file(qtbot, window, monkeypatch):
    path = "/models/x.gguf"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *args: (path, ""))
    file_menu = window.menuBar().actions()[0].menu()
    with qtbot.waitSignal(window.left.fileChosen, timeout=1000) as blocker:
        with qtbot.assertNotEmitted(window.right.fileChosen):
            file_menu.actions()[0].trigger()
    assert blocker.args == [path]


def test_settings_dock_can_be_hidden_and_shown(window):
    dock = window.findChild(QDockWidget, "settingsDock")
    assert dock.isAncestorOf(window.settings)
    assert dock.isVisible()
    dock.toggleViewAction().trigger()
    assert not dock.isVisible()
    dock.toggleViewAction().trigger()
    assert dock.isVisible()


def test_show_status(window):
    window.show_status("loaded both in 2.1 s")
    assert window.status.currentMessage() == "loaded both in 2.1 s"


def test_interactive_widgets_have_accessible_names(window):
    for widget in (window.prompt, window.send_button, window.stop_button, window.new_chat_button, window.chart):
        assert widget.accessibleName()


def test_tab_goes_from_the_message_to_its_buttons(qtbot, window):
    window.prompt.setFocus()
    qtbot.keyClick(window.prompt, Qt.Key.Key_Tab)
    assert window.focusWidget() is window.send_button
    assert window.prompt.toPlainText() == ""
    # While busy, Send is disabled and focus skips to Stop.
    window.set_busy(True)
    window.prompt.setFocus()
    qtbot.keyClick(window.prompt, Qt.Key.Key_Tab)
    assert window.focusWidget() is window.stop_button
    qtbot.keyClick(window.stop_button, Qt.Key.Key_Tab)
    assert window.focusWidget() is window.new_chat_button
