"""The first-run welcome: what the app does, which models it loads, and how to compare your own GGUF files."""

from html import escape
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

SHOWN_KEY = "welcome/shown"  # in the app's remembered settings (remembered.settings_in)


def welcome_due(settings: QSettings) -> bool:
    """Whether these settings (one data directory's) have not shown the welcome yet (fresh ones never have)."""
    return not settings.value(SHOWN_KEY, False, type=bool)


def mark_welcomed(settings: QSettings) -> None:
    """Remember that the welcome was shown, so the next start goes straight to work."""
    settings.setValue(SHOWN_KEY, True)
    settings.sync()


def welcome_text(models: list[str], models_folder: Path) -> str:
    """The welcome's body (rich text): the app in one sentence, the models at start, how to bring your own."""
    folder = f"<code>{escape(str(models_folder))}</code>"
    # Sorted, never left then right: in blind mode the sides are drawn at random, and an order would suggest one.
    names = [f"<b>{escape(name)}</b>" for name in sorted(models)]
    if len(names) == 2:
        loaded = f"Loading at start: {names[0]} and {names[1]}."
    elif names:
        loaded = f"Loading at start: {names[0]}. The other side has no model yet: pick a file for it."
    else:
        loaded = f"No model is loaded: {folder} has no GGUF files yet. Pick a file for each side to begin."
    # Tight paragraphs: every line here is a line the panes below give up.
    paragraph = '<p style="margin: 0 0 4px 0">'
    return (
        f"{paragraph}<b>Welcome to GGUF Arena.</b> Two GGUF models answer the same message side by side, with live speed (tokens/s) and "
        "memory; in blind mode (on at start) you rate the answers before you learn which model wrote which.</p>"
        f"{paragraph}{loaded}</p>"
        f"{paragraph}<b>Your own GGUF files:</b> turn off <i>View › Blind mode</i>, then pick a file in a pane's "
        "file box, with <i>Browse…</i>, or drop a <code>.gguf</code> file onto a pane; the files in "
        f"{folder} are listed in the boxes. <b>Ctrl+Enter</b> sends a message to both.</p>"
    )


class WelcomePanel(QFrame):
    """A dismissible panel at the top of the window, shown on the first run; hidden until show_welcome().

    Its button takes the focus when it appears, so Enter, Space or Esc dismisses it from the keyboard.

    Signals:
        dismissed(): the reader closed the panel.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # The palette's own colours: the panel reads in light and dark themes alike.
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.setAccessibleName("Welcome")

        self.body = QLabel()
        self.body.setObjectName("welcomeBody")
        self.body.setAccessibleName("What the app does and how to start")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QPushButton("Got it")
        self.close_button.setAccessibleName("Close the welcome")
        self.close_button.setToolTip("Close this welcome (Enter or Esc); it is shown on the first start only")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.dismiss)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 4)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_welcome(self, models: list[str], models_folder: Path) -> None:
        """Show the panel naming the model files loaded at start (names only), and give its button the focus."""
        self.body.setText(welcome_text(models, models_folder))
        self.show()
        self.close_button.setFocus()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Wrapped text does not raise the window's minimum height: without this, a narrow window or large
        # text squeezes the panes' gauges below under the panel to a few pixels.
        needed = self.heightForWidth(event.size().width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    @Slot()
    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)
