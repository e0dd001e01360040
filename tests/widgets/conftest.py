"""Fixtures shared by the widget tests."""

import pytest

from gui.widgets.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    """The main window, shown and active, as a user first meets it (the message box has the focus)."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window
