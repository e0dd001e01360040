"""The first-run welcome: shown once per data directory, names the models, dismissible from the keyboard; an empty
models folder still starts, with each pane saying how to pick a file."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from fakes import fake_card
from gguf_files import write_gguf
from processes import child_report
from gui.widgets.answer_pane import AnswerPane
from gui.widgets.theme import DARK, LIGHT, palette_for
from gui.widgets.remembered import SETTINGS_FILE, settings_in
from gui.widgets.welcome import WelcomePanel, mark_welcomed, welcome_due, welcome_text

SMOL, GEMMA = "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"


def test_the_text_names_both_models_without_saying_which_side_runs_which(tmp_path):
    text = welcome_text([SMOL, GEMMA], tmp_path / "models")
    swapped = welcome_text([GEMMA, SMOL], tmp_path / "models")
    assert SMOL in text and GEMMA in text
    # The order follows the names, not the sides: in blind mode the sides are a secret.
    assert text == swapped
    for how in ("Blind mode", "file box", "Browse", "drop", str(tmp_path / "models"), "Ctrl+Enter"):
        assert how in text, how


def test_the_text_says_when_no_model_or_only_one_is_loaded(tmp_path):
    none = welcome_text([], tmp_path / "models")
    assert "No model is loaded" in none and str(tmp_path / "models") in none and "Pick a file" in none
    one = welcome_text([SMOL], tmp_path / "models")
    assert SMOL in one and "other side has no model" in one


def test_names_are_escaped_as_text(tmp_path):
    assert "<b>x<i>.gguf</b>" not in welcome_text(["x<i>.gguf"], tmp_path)
    assert "x&lt;i&gt;.gguf" in welcome_text(["x<i>.gguf"], tmp_path)


def test_due_once_per_data_directory_and_kept_beside_other_settings(tmp_path):
    (tmp_path / SETTINGS_FILE).write_text("[models]\npair=[]\n")  # the window's remembered settings
    assert welcome_due(settings_in(tmp_path))
    mark_welcomed(settings_in(tmp_path))
    assert not welcome_due(settings_in(tmp_path))
    stored = (tmp_path / SETTINGS_FILE).read_text()
    assert "[welcome]" in stored and "[models]" in stored


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Space, Qt.Key.Key_Escape])
def test_the_keyboard_dismisses_it_and_the_message_box_gets_the_focus(qtbot, window, key):
    assert not window.welcome.isVisible()  # hidden until the app decides it is a first run
    window.welcome.show_welcome([SMOL, GEMMA], Path("/models"))
    assert window.welcome.isVisible()
    qtbot.waitUntil(lambda: window.welcome.close_button.hasFocus())
    with qtbot.waitSignal(window.welcome.dismissed, timeout=1000):
        qtbot.keyClick(window.welcome.close_button, key)
    assert not window.welcome.isVisible()
    assert window.prompt.hasFocus()


@pytest.mark.parametrize("scheme", [LIGHT, DARK])
def test_the_panel_paints_the_palettes_colours(qtbot, scheme):
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    panel.setPalette(palette_for(scheme))
    panel.show_welcome([SMOL], Path("/models"))
    picture = panel.grab().toImage()
    # A corner inside the frame: the panel's own background, which must be the theme's, not a fixed colour.
    assert picture.pixelColor(picture.width() - 4, picture.height() - 3).name() == palette_for(scheme).color(
        QPalette.ColorRole.Base).name()


def card_label(pane: AnswerPane) -> QLabel:
    return pane.findChild(QLabel, "card")


def test_a_pane_without_a_model_says_how_to_pick_one_blind_or_not(qtbot):
    pane = AnswerPane("Left")
    qtbot.addWidget(pane)
    pane.set_blind(True)
    assert card_label(pane).isVisibleTo(pane) and "turn it off (View › Blind mode)" in card_label(pane).text()
    pane.set_blind(False)
    assert "choose a GGUF file" in card_label(pane).text() and "Browse" in card_label(pane).text()
    pane.set_blind(True)
    pane.show_card(fake_card())
    # Once a file is chosen, the card names it: blind mode hides it again.
    assert not card_label(pane).isVisibleTo(pane)
    pane.clear_card()
    assert card_label(pane).isVisibleTo(pane) and "No model on this side" in card_label(pane).text()


# Starts the real app offscreen (the composition root's start-up), reports what the window shows before any
# model loads, and quits.
_START = """
import json, sys
from PySide6.QtWidgets import QLabel
from gui.app import run_app
from gui.cli import build_parser

async def report(arena, left, right):
    window = arena.window
    shown = {"welcome": window.welcome.isVisibleTo(window), "text": window.welcome.body.text(), "blind": []}
    for blind in (True, False):
        window.blind_action.setChecked(blind)
        shown["blind" if blind else "seen"] = [
            pane.findChild(QLabel, "card").text() for pane in window.panes if pane.findChild(QLabel, "card").isVisibleTo(pane)
        ]
    print(json.dumps(shown))
    return 0

sys.exit(run_app(build_parser().parse_args(sys.argv[1:]), drive=report))
"""


def start(data: Path, models: Path, *args: str) -> dict:
    return child_report(_START, *args, GGUF_ARENA_DATA=str(data), GGUF_ARENA_MODELS=str(models),
                        MPLCONFIGDIR=str(data.parent / "matplotlib"))


def test_shown_on_the_first_start_naming_the_models_and_not_on_the_second(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    left, right = write_gguf(models / "alpha.gguf"), write_gguf(models / "beta.gguf")
    first = start(tmp_path / "data", models, "--left", str(left), "--right", str(right))
    assert first["welcome"] and "alpha.gguf" in first["text"] and "beta.gguf" in first["text"]
    second = start(tmp_path / "data", models, "--left", str(left), "--right", str(right))
    assert not second["welcome"]


def test_an_empty_models_folder_starts_and_each_pane_says_to_pick_a_file(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shown = start(tmp_path / "data", models)
    assert shown["welcome"] and "No model is loaded" in shown["text"] and str(models) in shown["text"]
    assert len(shown["blind"]) == 2 and all("turn it off (View › Blind mode)" in text for text in shown["blind"])
    assert len(shown["seen"]) == 2 and all("choose a GGUF file" in text for text in shown["seen"])
