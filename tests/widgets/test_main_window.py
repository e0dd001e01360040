"""The main window: sending, stopping, new chat, busy state, menus, layout, blind mode and the rating bar."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QSplitter,
    QWidget,
)

from fakes import fake_card
from gui.core.memory import SideMemory
from gui.widgets.main_window import MainWindow

SMOL = "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA = "/models/gemma-3-270m-q4_k_m.gguf"
# What a rater must not see in blind mode: file names, architecture, quantization, sizes, load times.
CTRL = Qt.KeyboardModifier.ControlModifier
IDENTITY = ("SmolLM2", "gemma", "Q4_1", "Q4_K_M", "llama", "MiB", "135M", ".gguf", "loaded in")


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
    window.set_blind(False)
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
    view_items = [action.text() for action in menus["View"].actions() if not action.isSeparator()]
    assert file_items == ["Open…", "Open left…", "Open right…", "Open recent", "Choose left model", "Choose right model",
                          "Export votes…", "Import votes…", "Switch rater…", "Quit"]
    assert chat_items == ["Send", "Stop", "New chat"]
    results_items = [action.text() for action in menus["Results"].actions() if not action.isSeparator()]
    assert results_items == ["Run batch…", "Rate rounds…", "Charts and report…", "Leaderboard…", "History…",
                             "Fit planner…", "Load run…", "Compare quantizations…"]
    assert view_items == ["Blind mode", "Blind pace", "Show raw text", "Scroll together", "Settings", "Log"]
    paces = [action.text() for action in view_menu_actions(menus["View"], "Blind pace")]
    assert paces == ["Both at the slower side's pace", "Both whole when both end"]
    assert window.blind_pace() == "common pace"


def view_menu_actions(menu, title):
    return next(action.menu() for action in menu.actions() if action.text() == title).actions()


def test_open_left_asks_the_left_pane_for_a_file(qtbot, window, monkeypatch):
    path = "/models/x.gguf"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *args: (path, ""))
    window.set_blind(False)
    with qtbot.waitSignal(window.left.fileChosen, timeout=1000) as blocker:
        with qtbot.assertNotEmitted(window.right.fileChosen):
            menu_items(window, "File")["Open left…"].trigger()
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


# Blind mode


def menu_items(window, title):
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    return {action.text(): action for action in menus[title].actions() if not action.isSeparator()}


def visible_texts(window) -> str:
    """Every text a person or a screen reader can reach: visible widgets, combo items, actions, the status bar."""
    texts = [window.windowTitle(), window.status.currentMessage()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        texts += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription(), widget.windowTitle()]
        if isinstance(widget, (QLabel, QAbstractButton, QLineEdit, QAbstractSpinBox)):
            texts.append(widget.text())
        if isinstance(widget, QComboBox):
            texts.append(widget.currentText())
            for index in range(widget.count()):
                texts += [widget.itemText(index), str(widget.itemData(index, Qt.ItemDataRole.ToolTipRole) or "")]
    for action in window.findChildren(QAction):
        texts += [action.text(), action.toolTip(), action.statusTip()]
    return "\n".join(texts)


@pytest.fixture
def loaded(window):
    """Both panes show what their file is, as after both loads."""
    for pane, path, quant in zip(window.panes, (SMOL, GEMMA), ("Q4_1", "Q4_K_M")):
        pane.set_model_list([SMOL, GEMMA], path)
        pane.show_card(fake_card(path, quantization=quant))
        pane.set_loaded("loaded in 0.31 s · context 2048")
        pane.gauges.set_model_memory(SideMemory(weights_bytes=96_600_000, context_bytes=150_000_000))
    window.show_status("Left model loaded.")
    return window


def test_the_window_starts_blind(window):
    assert window.blind_action.isCheckable()
    assert window.blind_action.isChecked()
    assert not window.chart.isVisible()
    assert not window.left.files.isVisible()
    assert not window.right.gauges.isVisible()


def test_nothing_names_a_model_while_blind(loaded):
    loaded.rating.ask()
    shown = visible_texts(loaded).lower()
    for text in IDENTITY:
        assert text.lower() not in shown, text
    assert loaded.windowTitle() == "GGUF Arena"


def test_leaving_blind_mode_shows_the_models_and_the_chart(qtbot, loaded):
    with qtbot.waitSignal(loaded.blindModeToggled, timeout=1000) as blocker:
        loaded.blind_action.trigger()
    assert blocker.args == [False]
    shown = visible_texts(loaded)
    for text in IDENTITY:
        assert text in shown, text
    assert loaded.chart.isVisible()
    assert loaded.windowTitle() == "GGUF Arena"
    with qtbot.waitSignal(loaded.blindModeToggled, timeout=1000) as blocker:
        loaded.blind_action.trigger()
    assert blocker.args == [True]
    assert not loaded.chart.isVisible()


def test_set_blind_moves_the_check_mark_without_a_signal(qtbot, window):
    with qtbot.assertNotEmitted(window.blindModeToggled):
        window.set_blind(False)
    assert not window.blind_action.isChecked()
    assert window.chart.isVisible()
    assert all(pane.files.isVisible() for pane in window.panes)


def test_files_cannot_be_opened_by_menu_while_blind(window):
    items = menu_items(window, "File")
    assert not items["Open left…"].isEnabled()
    assert not items["Open right…"].isEnabled()
    window.set_blind(False)
    assert items["Open left…"].isEnabled()


def test_reveal_after_a_vote_names_both_sides_but_not_the_window(loaded):
    loaded.left.reveal("gemma-3-270m-q4_k_m")
    loaded.right.reveal("SmolLM2-135M-Instruct.Q4_1")
    shown = visible_texts(loaded)
    assert "Left — gemma-3-270m-q4_k_m" in shown
    assert "Right — SmolLM2-135M-Instruct.Q4_1" in shown
    assert loaded.left.gauges.isVisible()
    assert loaded.windowTitle() == "GGUF Arena"


# Other windows and vote files, asked for by menu


@pytest.mark.parametrize(
    ("menu", "item", "signal", "keys"),
    [
        ("Results", "Run batch…", "batchRequested", (Qt.Key.Key_B, CTRL)),
        ("Results", "Rate rounds…", "rateRequested", (Qt.Key.Key_R, CTRL | Qt.KeyboardModifier.ShiftModifier)),
        ("Results", "Charts and report…", "chartsRequested", (Qt.Key.Key_C, CTRL | Qt.KeyboardModifier.ShiftModifier)),
        ("Results", "Leaderboard…", "leaderboardRequested", (Qt.Key.Key_L, CTRL | Qt.KeyboardModifier.ShiftModifier)),
        ("Results", "History…", "historyRequested", (Qt.Key.Key_H, CTRL)),
        ("Results", "Fit planner…", "fitPlannerRequested", None),
        ("File", "Export votes…", "exportRequested", None),
        ("File", "Import votes…", "importRequested", None),
        ("File", "Switch rater…", "switchRaterRequested", None),
    ],
)
def test_menu_commands_ask_the_app(qtbot, window, menu, item, signal, keys):
    with qtbot.waitSignal(getattr(window, signal), timeout=1000):
        menu_items(window, menu)[item].trigger()
    if keys:
        with qtbot.waitSignal(getattr(window, signal), timeout=1000):
            qtbot.keyClick(window.prompt, *keys)


# The rating bar


def test_rating_bar_sits_between_the_answers_and_the_prompt_hidden_until_asked(qtbot, window):
    assert not window.rating.isVisible()
    window.rating.ask()
    assert window.rating.isVisible()

    def top(widget):
        return widget.mapTo(window, widget.rect().topLeft()).y()

    qtbot.waitUntil(lambda: top(window.left) + window.left.height() < top(window.rating) < top(window.prompt))


def test_keys_vote_from_an_answer_but_not_from_the_prompt_or_the_comment(qtbot, window):
    window.rating.ask()
    window.prompt.setFocus()
    with qtbot.assertNotEmitted(window.rating.voteCast, wait=100):
        qtbot.keyClicks(window.prompt, "2")
        qtbot.keyClicks(window.rating.comment, "4 steps")
    assert window.prompt.toPlainText() == "2"
    assert window.rating.comment.text() == "4 steps"
    window.left.chat.setFocus()
    with qtbot.waitSignal(window.rating.voteCast, timeout=1000) as blocker:
        qtbot.keyClick(window.left.chat, Qt.Key.Key_2)
    assert blocker.args == ["right", None, None, "4 steps"]


def test_tab_goes_from_the_answers_through_the_rating_bar_to_the_prompt(qtbot, window):
    window.rating.ask()
    window.right.chat.setFocus()
    # A read-only answer view takes Tab as focus movement, as every other widget on the way does.
    reached = []
    while window.focusWidget() is not window.prompt and len(reached) < 40:
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        reached.append(window.focusWidget())
    rating = window.rating
    assert reached[:8] == [*rating.buttons, rating.left_score, rating.right_score, rating.comment, window.prompt]


def test_after_a_vote_the_prompt_has_the_focus(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.rating.ask()
    assert window.focusWidget() is window.rating.buttons[0]
    with qtbot.waitSignal(window.rating.voteCast, timeout=1000):
        window.rating.buttons[1].click()
    assert window.focusWidget() is window.prompt


def test_the_crash_notice_offers_the_safe_path_and_takes_it(qtbot, window):
    reloads = []
    window.settings.loadSettingsChanged.connect(reloads.append)
    notice = window.show_crash_notice("The last session ended in a crash (Segmentation fault) inside llama.cpp", True)
    qtbot.waitExposed(notice)
    assert "inside llama.cpp" in notice.text()
    assert notice.windowModality() == Qt.WindowModality.WindowModal  # the models go on loading behind it
    qtbot.mouseClick(notice.findChild(QAbstractButton, "safePath"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not notice.isVisible())
    assert [window.settings.load_params(side).weight_repack for side in (0, 1)] == ["off", "off"]
    assert reloads == [0, 1]


def test_the_crash_notice_offers_nothing_already_taken(qtbot, window):
    notice = window.show_crash_notice("CPU weight repacking was already off", False)
    qtbot.waitExposed(notice)
    assert notice.findChild(QAbstractButton, "safePath") is None
    assert [button.text().replace("&", "") for button in notice.buttons()] == ["OK"]


def test_the_quantization_note_and_menu_show_only_for_a_pair_and_never_while_blind(window):
    window.set_blind(False)
    assert not window.compare_quants_action.isEnabled() and window.quant_note.isHidden()
    window.set_quant_pair("Both sides hold Smol in two quantizations (Q8_0 and Q4_K_M)")
    assert window.compare_quants_action.isEnabled() and "Q8_0 and Q4_K_M" in window.quant_note.text()
    window.set_blind(True)
    assert not window.compare_quants_action.isEnabled() and window.quant_note.text() == ""
    window.set_blind(False)
    window.set_quant_pair("")
    assert not window.compare_quants_action.isEnabled() and window.quant_note.isHidden()
