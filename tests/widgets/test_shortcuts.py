"""Keyboard first: every key reaches its command, Ctrl+O/L/R pick a file, F1 lists the keys, Tab reaches everything."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QProgressBar, QWidget

from gui.widgets.gauges import GaugePanel
from gui.widgets.rate_chart import RateChart

SMOL = "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA = "/models/gemma-3-270m-q4_k_m.gguf"
OTHER = "/models/qwen2.5-0.5b-instruct-q4_k_m.gguf"


@pytest.fixture
def dialogs(monkeypatch):
    """Calls to the file dialog, answered with no file (a real dialog would wait for a person)."""
    calls = []

    def ask(parent, caption, *args):
        calls.append(caption)
        return "", ""

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", ask)
    return calls


def activate(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.prompt.setFocus()


def menu_actions(menu: QMenu) -> list[QAction]:
    found = []
    for action in menu.actions():
        found += menu_actions(action.menu()) if action.menu() else [action]
    return found


def keyed_actions(window) -> list[QAction]:
    """Every menu command that has a key."""
    menus = [action.menu() for action in window.menuBar().actions()]
    return [action for menu in menus for action in menu_actions(menu) if action.shortcuts()]


def press(qtbot, window, sequence: QKeySequence) -> None:
    combination = sequence[0]
    qtbot.keyClick(window.focusWidget() or window, combination.key(), combination.keyboardModifiers())


def keys(sequences) -> list[str]:
    return [s.toString(QKeySequence.SequenceFormat.PortableText) for s in sequences]


def test_the_keys_the_issue_asks_for_exist_and_no_two_commands_share_one(window):
    bound = [key for action in keyed_actions(window) for key in keys(action.shortcuts())]
    bound += [key for shortcut in window.findChildren(QShortcut) for key in keys(shortcut.keys())]
    # Qt makes a key bound twice in one window dead for both commands.
    assert len(bound) == len(set(bound)), sorted(bound)
    assert {"Ctrl+Return", "Ctrl+Enter", "Esc", "1", "2", "3", "4", "Ctrl+O", "Ctrl+L", "Ctrl+R", "F1"} <= set(bound)


def test_every_key_triggers_its_command(qtbot, window, dialogs):
    window.set_blind(False)
    actions = keyed_actions(window)
    assert {window.open_action, window.send_action, window.stop_action, window.shortcuts_action} <= set(actions)
    for action in actions:
        for sequence in action.shortcuts():
            # Undo what the last command did: a popup list, the sheet, a closed window.
            for pane in window.panes:
                pane.files.hidePopup()
            if window.shortcuts_sheet is not None:
                window.shortcuts_sheet.close()
            window.show()
            activate(qtbot, window)
            window.set_busy(action is window.stop_action)  # Stop only stops something running
            with qtbot.waitSignal(action.triggered, timeout=1000, raising=False) as blocker:
                press(qtbot, window, sequence)
            assert blocker.signal_triggered, f"{action.text()} did not answer {sequence.toString()}"


def test_vote_keys_trigger_their_shortcuts(qtbot, window):
    shortcuts = [s for s in window.findChildren(QShortcut) if s.whatsThis()]
    words = ["Left better", "Right better", "Tie", "Both bad"]
    assert [s.whatsThis() for s in shortcuts] == [f"Vote › {w}" for w in words]
    for shortcut in shortcuts:
        window.rating.ask()
        window.left.chat.setFocus()
        with qtbot.waitSignal(shortcut.activated, timeout=1000):
            press(qtbot, window, shortcut.key())


# Choosing a side's file


def test_ctrl_o_opens_the_file_dialog_of_the_side_with_the_focus(qtbot, window, dialogs):
    window.set_blind(False)
    window.right.chat.setFocus()
    press(qtbot, window, QKeySequence("Ctrl+O"))
    window.prompt.setFocus()  # not in a pane: the left side
    press(qtbot, window, QKeySequence("Ctrl+O"))
    window.left.chat_formats.setFocus()
    press(qtbot, window, QKeySequence("Ctrl+O"))
    assert dialogs == ["Open right model", "Open left model", "Open left model"]


@pytest.mark.parametrize(("key", "side"), [("Ctrl+L", 0), ("Ctrl+R", 1)])
def test_ctrl_l_and_r_open_that_sides_list_and_enter_picks(qtbot, window, key, side):
    window.set_blind(False)
    for pane in window.panes:
        pane.set_model_list([SMOL, GEMMA, OTHER], SMOL)
    pane, other = window.panes[side], window.panes[1 - side]
    chosen = []
    pane.fileChosen.connect(chosen.append)
    other.fileChosen.connect(chosen.append)
    press(qtbot, window, QKeySequence(key))
    assert window.focusWidget() is pane.files
    qtbot.waitUntil(pane.files.view().isVisible)
    # Moving through the open list loads nothing; Enter picks.
    view = pane.files.view()
    view.setCurrentIndex(view.model().index(2, 0))
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert chosen == []
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert chosen == [GEMMA] and pane.files.currentData() == GEMMA


def test_blind_mode_offers_no_way_to_pick_a_file_by_key(qtbot, window, dialogs):
    assert window.blind_action.isChecked()
    for key in ("Ctrl+O", "Ctrl+L", "Ctrl+R"):
        press(qtbot, window, QKeySequence(key))
        assert window.focusWidget() is window.prompt, key
    assert dialogs == []
    assert QApplication.activePopupWidget() is None


# The shortcuts sheet


def test_f1_lists_every_key_from_the_menus_and_the_votes(qtbot, window):
    press(qtbot, window, QKeySequence("F1"))
    sheet = window.shortcuts_sheet
    qtbot.waitUntil(sheet.isVisible)
    rows = sheet.rows()
    for row in [
        ("Chat › Send", "Ctrl+Return, Ctrl+Enter"),
        ("Chat › Stop", "Esc"),
        ("File › Open", "Ctrl+O"),
        ("File › Choose left model", "Ctrl+L"),
        ("File › Choose right model", "Ctrl+R"),
        ("Results › Leaderboard", "Ctrl+Shift+L"),
        ("Help › Keyboard shortcuts", "F1"),
        ("Vote › Left better", "1"),
        ("Vote › Both bad", "4"),
    ]:
        assert row in rows
    listed = sum(len(action.shortcuts()) > 0 for action in keyed_actions(window)) + 4
    assert len(rows) == listed
    assert sheet.table.accessibleName()


def test_the_sheet_lists_a_command_added_after_the_window_was_built(qtbot, window):
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    view_menu.addAction("Zoom in").setShortcut(QKeySequence("Ctrl+="))
    window.show_shortcuts()
    assert ("View › Zoom in", "Ctrl+=") in window.shortcuts_sheet.rows()


# Tab and names


def tab_stops(window) -> set[QWidget]:
    """The controls Tab should stop at now: shown, enabled, taking Tab focus for themselves."""
    return {
        widget
        for widget in window.findChildren(QWidget)
        if widget.window() is window
        and widget.isVisibleTo(window)
        and widget.isEnabled()
        and widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value
        and widget.focusProxy() is None
    }


def tab_cycle(qtbot, window) -> list[QWidget]:
    """Where Tab goes from the message box until it comes back to it."""
    window.prompt.setFocus()
    reached = []
    for _ in range(300):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        widget = window.focusWidget()
        if widget is window.prompt:
            return reached
        if reached and widget is reached[-1]:
            pytest.fail(f"Tab is stuck on {widget.accessibleName() or widget!r}")
        reached.append(widget)
    pytest.fail("Tab never came back to the message box")


def everything_shown(window, blind: bool, shared: bool) -> None:
    """Every optional control on screen: the rating bar, a load in progress, an error, per-side settings."""
    window.set_blind(blind)
    window.rating.ask()
    window.right.set_loading(0.4)
    window.left.show_error("left.gguf is not a GGUF file.")
    window.settings.same.setChecked(shared)


@pytest.mark.parametrize(("blind", "shared"), [(False, True), (False, False), (True, True)])
def test_tab_reaches_every_control_in_the_window_and_the_settings(qtbot, window, blind, shared):
    everything_shown(window, blind, shared)
    expected = tab_stops(window)
    reached = tab_cycle(qtbot, window)
    assert len(reached) == len(set(reached))  # one round, each control once
    missed = expected - set(reached) - {window.prompt}
    assert not missed, sorted(w.accessibleName() or repr(w) for w in missed)
    assert window.settings.same in reached and window.left.error_text()
    assert (window.settings.tabs.tabBar() in reached) is not shared
    if not shared:
        # The right side's fields show on their tab, and are reached from there.
        window.settings.tabs.setCurrentIndex(1)
        right_fields = tab_stops(window) - expected
        assert right_fields and right_fields <= set(tab_cycle(qtbot, window))


def named_displays(window) -> list[QWidget]:
    """Widgets that show a changing value: labels the code names, progress bars, the chart."""
    return [
        widget
        for widget in window.findChildren(QWidget)
        if isinstance(widget, RateChart | QProgressBar)
        or (isinstance(widget, QLabel) and widget.objectName() and not widget.objectName().startswith("qt_"))
    ]


def test_every_control_and_every_display_has_an_accessible_name(window):
    everything_shown(window, blind=False, shared=False)
    focusable = [
        widget
        for widget in window.findChildren(QWidget)
        if widget.window() is window
        and widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value
        and widget.focusProxy() is None
    ]
    displays = [w for w in named_displays(window) if not isinstance(w.parentWidget(), GaugePanel)]
    assert len(focusable) > 40 and len(displays) > 8
    unnamed = [repr(w) for w in focusable + displays if not w.accessibleName()]
    assert not unnamed


def test_every_gauge_figure_has_an_accessible_name(window):
    figures = [w for w in named_displays(window) if isinstance(w.parentWidget(), GaugePanel)]
    assert figures
    assert all(label.accessibleName() for label in figures)
