"""Light and dark looks: the Fusion style with a palette that follows the system's colour scheme (or a forced one)."""

import os
import sys

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

SYSTEM, LIGHT, DARK = "system", "light", "dark"
CHOICES = (SYSTEM, LIGHT, DARK)
THEME_ENV = "GGUF_ARENA_THEME"  # light, dark or system: screenshots and tests force one without a flag

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# (role, active colour, disabled colour). Disabled text is a remark the app dims on purpose (captions,
# notes, a pane's hint), so it is kept at about 4.5:1 against its background, not Fusion's faint grey.
_LIGHT = (
    (_Role.Window, "#efefef", "#efefef"),
    (_Role.WindowText, "#000000", "#626262"),
    (_Role.Base, "#ffffff", "#f4f4f4"),
    (_Role.AlternateBase, "#f5f5f5", "#f5f5f5"),
    (_Role.Text, "#000000", "#626262"),
    (_Role.PlaceholderText, "#6b6b6b", "#6b6b6b"),
    (_Role.Button, "#efefef", "#efefef"),
    (_Role.ButtonText, "#000000", "#626262"),
    (_Role.BrightText, "#ffffff", "#ffffff"),
    (_Role.Light, "#ffffff", "#ffffff"),
    (_Role.Midlight, "#cacaca", "#cacaca"),
    (_Role.Mid, "#b8b8b8", "#b8b8b8"),
    (_Role.Dark, "#9f9f9f", "#9f9f9f"),
    (_Role.Shadow, "#767676", "#767676"),
    (_Role.Highlight, "#308cc6", "#919191"),
    (_Role.HighlightedText, "#ffffff", "#ffffff"),
    (_Role.Link, "#0b5fa5", "#0b5fa5"),
    (_Role.LinkVisited, "#6a3d9a", "#6a3d9a"),
    (_Role.ToolTipBase, "#ffffdc", "#ffffdc"),
    (_Role.ToolTipText, "#000000", "#000000"),
)
_DARK = (
    (_Role.Window, "#2d2d2d", "#2d2d2d"),
    (_Role.WindowText, "#e8e8e8", "#9c9c9c"),
    (_Role.Base, "#1f1f1f", "#262626"),
    (_Role.AlternateBase, "#282828", "#282828"),
    (_Role.Text, "#e8e8e8", "#9c9c9c"),
    (_Role.PlaceholderText, "#9c9c9c", "#9c9c9c"),
    (_Role.Button, "#3a3a3a", "#333333"),
    (_Role.ButtonText, "#e8e8e8", "#9c9c9c"),
    (_Role.BrightText, "#ffffff", "#ffffff"),
    (_Role.Light, "#505050", "#505050"),
    (_Role.Midlight, "#444444", "#444444"),
    (_Role.Mid, "#262626", "#262626"),
    (_Role.Dark, "#1a1a1a", "#1a1a1a"),
    (_Role.Shadow, "#000000", "#000000"),
    (_Role.Highlight, "#2f7fc1", "#4a4a4a"),
    (_Role.HighlightedText, "#ffffff", "#c8c8c8"),
    (_Role.Link, "#6cb6ff", "#6cb6ff"),
    (_Role.LinkVisited, "#c7a0ff", "#c7a0ff"),
    (_Role.ToolTipBase, "#3a3a3a", "#3a3a3a"),
    (_Role.ToolTipText, "#e8e8e8", "#e8e8e8"),
)


def palette_for(scheme: str) -> QPalette:
    """The light or dark palette (Active and Inactive alike, Disabled dimmed but readable)."""
    palette = QPalette()
    for role, colour, disabled in _DARK if scheme == DARK else _LIGHT:
        palette.setColor(_Group.Active, role, QColor(colour))
        palette.setColor(_Group.Inactive, role, QColor(colour))
        palette.setColor(_Group.Disabled, role, QColor(disabled))
    return palette


def is_dark(palette: QPalette) -> bool:
    """Whether a palette draws light text on a dark window."""
    return palette.color(_Role.Window).lightness() < palette.color(_Role.WindowText).lightness()


def chart_rc(palette: QPalette) -> dict[str, str]:
    """Matplotlib settings that draw a chart in the palette's colours (the data colours C0, C1… stay)."""
    text = palette.color(_Role.WindowText).name()
    dimmed = palette.color(_Group.Disabled, _Role.WindowText).name()
    return {
        "figure.facecolor": palette.color(_Role.Window).name(),
        "figure.edgecolor": palette.color(_Role.Window).name(),
        "axes.facecolor": palette.color(_Role.Base).name(),
        "axes.edgecolor": dimmed,
        "axes.labelcolor": text,
        "axes.titlecolor": text,
        "text.color": text,
        "xtick.color": dimmed,
        "ytick.color": dimmed,
        "xtick.labelcolor": text,
        "ytick.labelcolor": text,
        "grid.color": dimmed,
        "legend.facecolor": palette.color(_Role.Base).name(),
        "legend.edgecolor": dimmed,
        "legend.labelcolor": text,
    }


def restyle_figure(figure, rc: dict[str, str]) -> None:
    """Give a figure drawn before a theme change the colours of `rc` (data colours are kept).

    Only text in a theme's text colour (or matplotlib's black) is recoloured: a label given a colour
    of its own keeps it.
    """
    from matplotlib.colors import to_hex

    theme_text = {to_hex(colour) for colour in ("black", _text_colour(_LIGHT), _text_colour(_DARK))}
    figure.set_facecolor(rc["figure.facecolor"])
    figure.set_edgecolor(rc["figure.edgecolor"])
    texts = list(figure.texts)
    for axes in figure.axes:
        axes.set_facecolor(rc["axes.facecolor"])
        for spine in axes.spines.values():
            spine.set_edgecolor(rc["axes.edgecolor"])
        axes.tick_params(which="both", color=rc["xtick.color"], labelcolor=rc["xtick.labelcolor"],
                         grid_color=rc["grid.color"])
        texts += [axes.xaxis.label, axes.yaxis.label, axes.title]
        texts += axes.texts
        legend = axes.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(rc["legend.facecolor"])
            legend.get_frame().set_edgecolor(rc["legend.edgecolor"])
            texts += legend.get_texts()
            if legend.get_title() is not None:
                texts.append(legend.get_title())
    for text in texts:
        if to_hex(text.get_color()) in theme_text:
            text.set_color(rc["text.color"])


def _text_colour(colours) -> str:
    return next(colour for role, colour, _ in colours if role == _Role.WindowText)


class Theme(QObject):
    """Applies the Fusion style and a light or dark palette; in "system", follows the colour scheme as it changes.

    Matplotlib charts follow too, once style_charts() has been called after matplotlib is imported
    (never before: importing it is slow): new charts take the palette's colours, and charts on screen
    are recoloured when the scheme changes.

    Signals:
        changed(str): the look now in use, "light" or "dark".
    """

    changed = Signal(str)

    def __init__(self, app: QApplication, choice: str = SYSTEM):
        _checked(choice)
        super().__init__(app)
        self.app = app
        self.choice = choice
        self.scheme = LIGHT
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self.apply()

    def system_scheme(self) -> Qt.ColorScheme:
        """What the platform says (Unknown on Linux without a desktop, which reads as light)."""
        return self.app.styleHints().colorScheme()

    def wanted(self) -> str:
        """The look to use now: the forced one, else dark only when the system says dark."""
        if self.choice != SYSTEM:
            return self.choice
        return DARK if self.system_scheme() == Qt.ColorScheme.Dark else LIGHT

    def apply(self) -> None:
        """Use the wanted look now, on every window and chart."""
        self.scheme = self.wanted()
        self.app.setPalette(palette_for(self.scheme))
        self.style_charts()
        self.changed.emit(self.scheme)

    @Slot(Qt.ColorScheme)
    def _on_scheme_changed(self, _scheme) -> None:
        if self.choice == SYSTEM and self.wanted() != self.scheme:
            self.apply()

    def style_charts(self) -> None:
        """Point matplotlib at the palette's colours and recolour the charts already made (if it is imported)."""
        if "matplotlib" not in sys.modules:
            return
        import matplotlib

        rc = chart_rc(self.app.palette())
        matplotlib.rcParams.update(rc)
        for widget in self.app.allWidgets():
            figure = getattr(widget, "figure", None)
            # A FigureCanvas, told apart without importing matplotlib's Qt backend.
            if figure is not None and hasattr(figure, "axes") and hasattr(widget, "draw_idle"):
                restyle_figure(figure, rc)
                widget.draw_idle()


def _checked(choice: str) -> str:
    if choice not in CHOICES:
        raise ValueError(f"theme {choice!r}: choose one of {', '.join(CHOICES)}")
    return choice


def theme_choice(flag: str | None = None) -> str:
    """The flag's theme, else $GGUF_ARENA_THEME, else follow the system."""
    return flag or os.environ.get(THEME_ENV) or SYSTEM


def apply_theme(app: QApplication, choice: str | None = None) -> Theme:
    """Theme the app (once; a second call returns the first Theme after switching it to `choice`)."""
    existing = app.findChild(Theme)
    chosen = theme_choice(choice)
    if existing is not None:
        existing.choice = _checked(chosen)
        existing.apply()
        return existing
    return Theme(app, chosen)
