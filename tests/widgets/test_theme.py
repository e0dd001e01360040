"""The look: light and dark palettes that read well, the system's scheme followed as it changes, charts in the
palette's colours, and a window that clips nothing at 100% and 200% scaling."""

import matplotlib
import pytest
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from processes import child_report
from gui.widgets.theme import DARK, LIGHT, SYSTEM, THEME_ENV, Theme, apply_theme, is_dark, palette_for, theme_choice

Role, Group = QPalette.ColorRole, QPalette.ColorGroup


def contrast(one: QColor, other: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(colour: QColor) -> float:
        channels = [c / 255 for c in (colour.red(), colour.green(), colour.blue())]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def restore(qapp):
    """Put the app's palette and matplotlib's settings back, and drop any Theme a test made."""
    saved = QPalette(qapp.palette())
    with matplotlib.rc_context():
        yield
    for theme in qapp.findChildren(Theme):
        qapp.styleHints().colorSchemeChanged.disconnect(theme._on_scheme_changed)
        theme.setParent(None)
        theme.deleteLater()
    qapp.setPalette(saved)


@pytest.mark.parametrize("scheme", [LIGHT, DARK])
def test_both_palettes_read_well(scheme):
    palette = palette_for(scheme)
    pairs = {
        "text on window": (palette.color(Role.WindowText), palette.color(Role.Window), 7),
        "text in a field": (palette.color(Role.Text), palette.color(Role.Base), 7),
        "button text": (palette.color(Role.ButtonText), palette.color(Role.Button), 7),
        # The app dims captions, notes and a pane's hint on purpose: dimmed must still be readable.
        "dimmed text": (palette.color(Group.Disabled, Role.WindowText), palette.color(Role.Window), 4.5),
        "placeholder": (palette.color(Role.PlaceholderText), palette.color(Role.Base), 4.5),
        "link": (palette.color(Role.Link), palette.color(Role.Base), 4.5),
        "selection": (palette.color(Role.HighlightedText), palette.color(Role.Highlight), 3),
    }
    weak = {name: round(contrast(a, b), 2) for name, (a, b, least) in pairs.items() if contrast(a, b) < least}
    assert not weak
    assert is_dark(palette) == (scheme == DARK)


def test_a_forced_theme_sets_the_palette_and_a_second_call_switches_it(qapp, restore):
    theme = apply_theme(qapp, DARK)
    assert qapp.style().name().lower() == "fusion"
    assert is_dark(qapp.palette()) and theme.scheme == DARK
    assert apply_theme(qapp, LIGHT) is theme
    assert not is_dark(qapp.palette())


def test_system_follows_the_colour_scheme_as_it_changes(qapp, qtbot, restore, monkeypatch):
    theme = Theme(qapp, SYSTEM)
    assert theme.scheme == LIGHT  # no desktop here: the scheme is unknown, which reads as light
    monkeypatch.setattr(theme, "system_scheme", lambda: Qt.ColorScheme.Dark)
    with qtbot.waitSignal(theme.changed, timeout=1000) as changed:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert changed.args == [DARK] and is_dark(qapp.palette())
    monkeypatch.setattr(theme, "system_scheme", lambda: Qt.ColorScheme.Light)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not is_dark(qapp.palette())


def test_a_forced_theme_ignores_the_system(qapp, qtbot, restore, monkeypatch):
    theme = Theme(qapp, LIGHT)
    monkeypatch.setattr(theme, "system_scheme", lambda: Qt.ColorScheme.Dark)
    with qtbot.assertNotEmitted(theme.changed):
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not is_dark(qapp.palette())


def test_the_flag_wins_over_the_environment_which_wins_over_the_system(monkeypatch):
    monkeypatch.delenv(THEME_ENV, raising=False)
    assert theme_choice(None) == SYSTEM
    monkeypatch.setenv(THEME_ENV, DARK)
    assert theme_choice(None) == DARK
    assert theme_choice(LIGHT) == LIGHT


def test_an_unknown_theme_names_the_choices(qapp, restore):
    with pytest.raises(ValueError, match="system, light, dark"):
        apply_theme(qapp, "sepia")


def test_charts_take_the_palettes_colours_and_keep_their_data_colours(qapp, qtbot, restore):
    figure = Figure()
    axes = figure.add_subplot()
    (line,) = axes.plot([0, 1], [0, 1], label="Left")
    axes.set_xlabel("s")
    axes.legend()
    warning = axes.text(0.5, 0.5, "own colour", color="red")
    canvas = FigureCanvasQTAgg(figure)
    qtbot.addWidget(canvas)
    line_colour = to_hex(line.get_color())

    theme = apply_theme(qapp, DARK)
    theme.style_charts()  # as the app does once the results windows have imported matplotlib
    window, text, base = (qapp.palette().color(role).name() for role in (Role.Window, Role.WindowText, Role.Base))
    assert to_hex(figure.get_facecolor()) == window and to_hex(axes.get_facecolor()) == base
    assert to_hex(axes.xaxis.label.get_color()) == text
    assert {to_hex(label.get_color()) for label in axes.get_xticklabels()} == {text}
    assert to_hex(axes.get_legend().get_texts()[0].get_color()) == text
    assert to_hex(line.get_color()) == line_colour and to_hex(warning.get_color()) == to_hex("red")
    # A chart made from here on starts in the palette's colours.
    assert to_hex(Figure().add_subplot().get_facecolor()) == base

    apply_theme(qapp, LIGHT)
    assert to_hex(axes.xaxis.label.get_color()) == qapp.palette().color(Role.WindowText).name()


# The main window at its opening size, with the welcome, both cards, the gauges and the rating bar showing:
# prints the device pixel ratio and every label, button or box given less room than its text needs.
_CLIPPED = """
import json, sys
sys.path.insert(0, "tests")
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLabel, QLineEdit, QWidget
from gui.app import start_qt
app = start_qt("offscreen")
from fakes import fake_card
from gui.widgets.main_window import MainWindow
window = MainWindow()
window.set_blind(False)
for pane in window.panes:
    pane.show_card(fake_card())
    pane.set_loaded("loaded in 0.35 s · context 2048")
window.rating.ask()
window.welcome.show_welcome(["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"], "/home/someone/models")
window.show()
app.processEvents()
clipped = []
for widget in window.findChildren(QWidget):
    if not widget.isVisible() or isinstance(widget.parent(), QAbstractSpinBox):
        continue
    if isinstance(widget, QLabel) and widget.text() and not widget.wordWrap():
        need = widget.sizeHint()
    elif isinstance(widget, (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit)):
        need = widget.minimumSizeHint()
    else:
        continue
    if widget.width() < need.width() or widget.height() < need.height():
        clipped.append(f"{type(widget).__name__} {widget.accessibleName() or widget.objectName()!r}")
print(json.dumps({"ratio": window.devicePixelRatio(), "clipped": clipped}))
"""


@pytest.mark.parametrize("scale", [1, 2])
def test_nothing_is_clipped_at_100_and_200_percent(tmp_path, scale):
    # Qt reads the scale once, when the application starts: a fresh process per scale.
    result = child_report(_CLIPPED, QT_SCALE_FACTOR=str(scale), GGUF_ARENA_DATA=str(tmp_path))
    assert result["ratio"] == scale
    assert result["clipped"] == []
