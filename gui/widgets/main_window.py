"""The arena window: two answer panes, the rate chart, the rating bar, the prompt box and the settings dock."""

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.answer_pane import AnswerPane
from gui.widgets.rate_chart import RateChart
from gui.widgets.rating_bar import RatingBar
from gui.widgets.settings_panel import SettingsPanel


def _action(parent: QWidget, text: str, *shortcuts: QKeySequence | str) -> QAction:
    action = QAction(text, parent)
    action.setShortcuts([QKeySequence(shortcut) for shortcut in shortcuts])
    return action


def _button_for(action: QAction, text: str, name: str) -> QPushButton:
    """A push button that triggers an action and follows its enabled state."""
    button = QPushButton(text)
    button.setAccessibleName(name)
    button.setToolTip(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
    button.clicked.connect(action.trigger)
    action.enabledChanged.connect(button.setEnabled)
    button.setEnabled(action.isEnabled())
    return button


class MainWindow(QMainWindow):
    """The whole view; the composition root connects its signals to the engine.

    Starts in blind mode. The window opens no dialogs of its own for the leaderboard, the
    history or the vote files: it asks for them.

    Signals:
        sendRequested(str): send this message to both sides (never blank).
        stopRequested(): stop the round in progress.
        newChatRequested(): forget the conversation and start over.
        blindModeToggled(bool): the user turned blind mode on (True) or off.
        batchRequested(), rateRequested(), chartsRequested(): show the batch, rating queue or charts window.
        leaderboardRequested(), historyRequested(): show that window.
        exportRequested(), importRequested(): export the votes to a file, or import a file of them.
    """

    sendRequested = Signal(str)
    stopRequested = Signal()
    newChatRequested = Signal()
    blindModeToggled = Signal(bool)
    batchRequested = Signal()
    rateRequested = Signal()
    chartsRequested = Signal()
    leaderboardRequested = Signal()
    historyRequested = Signal()
    exportRequested = Signal()
    importRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("GGUF Arena")
        self.resize(1280, 820)

        self.send_action = _action(self, "Send", "Ctrl+Return", "Ctrl+Enter")
        self.stop_action = _action(self, "Stop", "Esc")
        self.new_chat_action = _action(self, "New chat", QKeySequence.StandardKey.New)
        self.send_action.triggered.connect(self._on_send)
        self.stop_action.triggered.connect(self.stopRequested)
        self.new_chat_action.triggered.connect(self.newChatRequested)
        self.blind_action = _action(self, "Blind mode")
        self.blind_action.setCheckable(True)
        self.blind_action.setChecked(True)
        self.blind_action.toggled.connect(self._on_blind_toggled)

        self.left = AnswerPane("Left")
        self.right = AnswerPane("Right")
        self.panes = (self.left, self.right)
        self.chart = RateChart()
        self.rating = RatingBar()
        self.prompt = QPlainTextEdit()
        self.prompt.setAccessibleName("Message")
        self.prompt.setPlaceholderText("Message both models… (Ctrl+Enter sends)")
        # Tab leaves the box: Enter already makes new lines, and keyboard users need a way out.
        self.prompt.setTabChangesFocus(True)
        margins = 2 * (self.prompt.frameWidth() + round(self.prompt.document().documentMargin()))
        self.prompt.setFixedHeight(self.prompt.fontMetrics().lineSpacing() * 4 + margins)
        self.send_button = _button_for(self.send_action, "Send", "Send the message")
        self.stop_button = _button_for(self.stop_action, "Stop", "Stop the answers")
        self.new_chat_button = _button_for(self.new_chat_action, "New chat", "Start a new chat")
        self.settings = SettingsPanel()

        self.setCentralWidget(self._central())
        self._dock = self._settings_dock()
        self._build_menus()
        self.status = self.statusBar()
        self.set_busy(False)
        self.set_blind(self.blind_action.isChecked())
        # After a vote the next thing a rater does is type the next message.
        self.rating.voteCast.connect(self._focus_prompt)
        self.prompt.setFocus()

    @Slot()
    def _focus_prompt(self) -> None:
        self.prompt.setFocus()

    def _central(self) -> QWidget:
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.left)
        panes.addWidget(self.right)
        panes.setChildrenCollapsible(False)
        panes.setSizes([1, 1])
        # The chart shares the height with the panes; the reader decides how much it gets.
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(panes)
        body.addWidget(self.chart)
        body.setStretchFactor(0, 4)
        body.setStretchFactor(1, 1)
        body.setSizes([560, 180])
        body.setChildrenCollapsible(False)

        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.new_chat_button)
        buttons.addStretch(1)
        composer = QHBoxLayout()
        composer.addWidget(self.prompt, 1)
        composer.addLayout(buttons)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(body, 1)
        layout.addWidget(self.rating)
        layout.addLayout(composer)
        return central

    def _settings_dock(self) -> QDockWidget:
        scroll = QScrollArea()
        scroll.setWidget(self.settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Without a horizontal scroll bar the dock must never be narrower than its fields.
        scroll.setMinimumWidth(self.settings.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        dock = QDockWidget("Settings", self)
        dock.setObjectName("settingsDock")
        dock.setWidget(scroll)
        dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        # The answers are what people came for: the settings get a narrow column by default.
        self.resizeDocks([dock], [300], Qt.Orientation.Horizontal)
        return dock

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._open_actions = []
        for pane in self.panes:
            action = file_menu.addAction(f"Open {pane.title.lower()}…")
            action.triggered.connect(pane.browse)
            self._open_actions.append(action)
        file_menu.addSeparator()
        file_menu.addAction("Export votes…").triggered.connect(self.exportRequested)
        file_menu.addAction("Import votes…").triggered.connect(self.importRequested)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        chat_menu = bar.addMenu("&Chat")
        for action in (self.send_action, self.stop_action, self.new_chat_action):
            chat_menu.addAction(action)
        results_menu = bar.addMenu("&Results")
        for text, shortcut, signal in (
            ("Run batch…", "Ctrl+B", self.batchRequested),
            ("Rate rounds…", "Ctrl+Shift+R", self.rateRequested),
            ("Charts and report…", "Ctrl+Shift+C", self.chartsRequested),
            ("Leaderboard…", "Ctrl+Shift+L", self.leaderboardRequested),
            ("History…", "Ctrl+H", self.historyRequested),
        ):
            action = results_menu.addAction(text)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(signal)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.blind_action)
        view_menu.addSeparator()
        view_menu.addAction(self._dock.toggleViewAction())

    @Slot()
    def _on_send(self) -> None:
        text = self.prompt.toPlainText().strip()
        if not text:
            return
        self.sendRequested.emit(text)
        self.prompt.clear()

    @Slot(bool)
    def set_busy(self, busy: bool) -> None:
        """While a round runs, Stop is the live command and Send waits."""
        self.send_action.setEnabled(not busy)
        self.stop_action.setEnabled(busy)

    @Slot(str)
    def show_status(self, text: str) -> None:
        self.status.showMessage(text)

    @Slot(bool)
    def set_blind(self, blind: bool) -> None:
        """Hide (True) or show again what tells the models apart: files, cards, gauges, the rate chart.

        Follows the menu's check mark without emitting blindModeToggled.
        """
        with QSignalBlocker(self.blind_action):
            self.blind_action.setChecked(blind)
        for pane in self.panes:
            pane.set_blind(blind)
        # Speed gives a model away as surely as its name.
        self.chart.setVisible(not blind)
        # Picking a file by hand would tell the rater which side runs it.
        for action in self._open_actions:
            action.setEnabled(not blind)

    @Slot(bool)
    def _on_blind_toggled(self, blind: bool) -> None:
        self.set_blind(blind)
        self.blindModeToggled.emit(blind)
