"""The arena window: two answer panes, the rate chart, the rating bar, the prompt box and the settings dock."""

import os

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.core.pace import COMMON_PACE, WHOLE_AT_END
from gui.core.sources import is_served, source_label
from gui.widgets.answer_pane import AnswerPane
from gui.widgets.rate_chart import RateChart
from gui.widgets.rating_bar import RatingBar
from gui.widgets.scroll_link import ScrollLink
from gui.widgets.settings_panel import SettingsPanel
from gui.widgets.welcome import WelcomePanel
from gui.widgets.shortcuts_sheet import ShortcutsSheet

MAX_RECENT = 10  # files in File › Open recent


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
        leaderboardRequested(), historyRequested(), fitPlannerRequested(): show that window.
        exportRequested(), importRequested(): export the votes to a file, or import a file of them.
        switchRaterRequested(): another rater takes over this machine (File › Switch rater).
        logRequested(): show the log (View › Log, or Details… on a pane's error).
        loadRunRequested(): show the Load run window (a served side under N requests at once).
        compareQuantsRequested(): show the Compare quantizations window (offered only for a quantization pair).

    Keyboard: Ctrl+O opens a file on the side that has the focus (else Left); Ctrl+L and Ctrl+R
    move to the left or right file list and open it (pick with the arrows and Enter, so
    arrowing through the list does not load every file on the way); F1 lists every shortcut.
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
    fitPlannerRequested = Signal()
    exportRequested = Signal()
    importRequested = Signal()
    switchRaterRequested = Signal()
    logRequested = Signal()
    loadRunRequested = Signal()
    compareQuantsRequested = Signal()

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
        self.welcome = WelcomePanel()

        self._recent: list[str] = []
        self.setCentralWidget(self._central())
        self._dock = self._settings_dock()
        self._build_menus()
        self.status = self.statusBar()
        # Permanent: the transient messages ("Left model loaded.") must not wipe it.
        self.quant_note = QLabel()
        self.quant_note.setAccessibleName("Quantization pair")
        self.status.addPermanentWidget(self.quant_note)
        self._quant_pair = ""
        self.set_busy(False)
        self.set_blind(self.blind_action.isChecked())
        # After a vote the next thing a rater does is type the next message.
        self.rating.voteCast.connect(self._focus_prompt)
        self.welcome.dismissed.connect(self._focus_prompt)
        self.prompt.setFocus()

    @Slot()
    def _focus_prompt(self) -> None:
        self.prompt.setFocus()

    def _central(self) -> QWidget:
        panes = self.pane_splitter = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.left)
        panes.addWidget(self.right)
        panes.setChildrenCollapsible(False)
        panes.setSizes([1, 1])
        # The chart shares the height with the panes; the reader decides how much it gets.
        body = self.body_splitter = QSplitter(Qt.Orientation.Vertical)
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
        layout.addWidget(self.welcome)
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
        # Tab goes straight to the fields (the area scrolls to each); a stop on the frame itself says nothing.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
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
        self.open_action = _action(self, "Open…", QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._on_open)
        file_menu.addAction(self.open_action)
        self._open_actions = [self.open_action]
        for pane in self.panes:
            action = file_menu.addAction(f"Open {pane.title.lower()}…")
            action.triggered.connect(pane.browse)
            self._open_actions.append(action)
        self.recent_menu = file_menu.addMenu("Open recent")
        # One list per side: a menu has no focused side to fall back on.
        self._recent_menus = [self.recent_menu.addMenu(f"&{pane.title}") for pane in self.panes]
        self.choose_actions = []
        for pane, key in zip(self.panes, ("Ctrl+L", "Ctrl+R")):
            action = _action(self, f"Choose {pane.title.lower()} model", key)
            action.triggered.connect(lambda _checked=False, p=pane: self._choose_on(p))
            file_menu.addAction(action)
            self.choose_actions.append(action)
        self._open_actions += self.choose_actions
        file_menu.addSeparator()
        self.export_action = file_menu.addAction("Export votes…")
        self.export_action.triggered.connect(self.exportRequested)
        self.import_action = file_menu.addAction("Import votes…")
        self.import_action.triggered.connect(self.importRequested)
        self.switch_rater_action = file_menu.addAction("Switch rater…")
        self.switch_rater_action.triggered.connect(self.switchRaterRequested)
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
        results_menu.addSeparator()
        results_menu.addAction("Fit planner…").triggered.connect(self.fitPlannerRequested)
        self.load_run_action = results_menu.addAction("Load run…")
        self.load_run_action.setToolTip("Send N requests at once to a served model: throughput and TTFT per N")
        self.load_run_action.triggered.connect(self.loadRunRequested)
        self._open_actions.append(self.load_run_action)  # it names the served model: off while blind, as Open is
        self.compare_quants_action = results_menu.addAction("Compare quantizations…")
        self.compare_quants_action.setToolTip("How far apart the two sides' quantizations of one model predict "
                                              "a text: KL divergence, perplexity, same top token")
        self.compare_quants_action.triggered.connect(self.compareQuantsRequested)
        self.compare_quants_action.setEnabled(False)  # until both sides hold two quantizations of one model
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.blind_action)
        # While blind, how the answers appear: a pane that writes faster would name the faster model.
        pace_menu = view_menu.addMenu("Blind pace")
        pace_group = QActionGroup(self)
        self.pace_actions = {}
        for pace, text in ((COMMON_PACE, "Both at the slower side's pace"), (WHOLE_AT_END, "Both whole when both end")):
            action = pace_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(pace == COMMON_PACE)
            pace_group.addAction(action)
            self.pace_actions[pace] = action
        view_menu.addSeparator()
        # Ctrl+U: "view source" in browsers.
        self.raw_action = view_menu.addAction("Show raw text")
        self.raw_action.setShortcut(QKeySequence("Ctrl+U"))
        self.raw_action.setCheckable(True)
        self.raw_action.toggled.connect(self._on_raw_toggled)
        for pane in self.panes:
            pane.raw_button.toggled.connect(self._on_pane_raw_toggled)
        self.scroll_link = ScrollLink(self.left.chat.verticalScrollBar(), self.right.chat.verticalScrollBar(), self)
        self.scroll_together_action = view_menu.addAction("Scroll together")
        self.scroll_together_action.setCheckable(True)
        self.scroll_together_action.toggled.connect(self.scroll_link.set_enabled)
        view_menu.addSeparator()
        view_menu.addAction(self._dock.toggleViewAction())
        # Ctrl+Shift+L is taken by the leaderboard.
        self.log_action = view_menu.addAction("Log")
        self.log_action.setShortcut(QKeySequence("Ctrl+Shift+G"))
        self.log_action.triggered.connect(self.logRequested)
        for pane in self.panes:
            pane.logRequested.connect(self.logRequested)
        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = help_menu.addAction("Keyboard shortcuts")
        self.shortcuts_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.shortcuts_sheet: ShortcutsSheet | None = None

    def _focused_pane(self):
        """The pane holding the focus, else Left."""
        focus = self.focusWidget()
        return next((pane for pane in self.panes if focus is not None and pane.isAncestorOf(focus)), self.left)

    @Slot()
    def _on_open(self) -> None:
        self._focused_pane().browse()

    def _choose_on(self, pane) -> None:
        pane.files.setFocus(Qt.FocusReason.ShortcutFocusReason)
        pane.files.showPopup()

    @Slot()
    def show_shortcuts(self) -> None:
        """The shortcuts sheet, listing what the menus and the rating bar offer now."""
        if self.shortcuts_sheet is None:
            self.shortcuts_sheet = ShortcutsSheet(self)
        self.shortcuts_sheet.fill(self.menuBar(), self)
        self.shortcuts_sheet.show()
        self.shortcuts_sheet.raise_()

    # Recent files

    def recent_files(self) -> list[str]:
        """Files loaded lately, most recent first."""
        return list(self._recent)

    def set_recent_files(self, paths: list[str]) -> None:
        """Offer these under File › Open recent (files and servers: URL and model, never a key), dropping repeats
        and files that no longer exist."""
        kept = [path for path in dict.fromkeys(paths) if is_served(path) or os.path.isfile(path)]
        self._recent = kept[:MAX_RECENT]
        self._show_recent()

    @Slot(str)
    def add_recent_file(self, path: str) -> None:
        """Put a file just loaded at the top of File › Open recent."""
        self.set_recent_files([path, *self._recent])

    def _show_recent(self) -> None:
        for side_menu in self._recent_menus:
            side_menu.clear()
        # Blind, the file names would say which models are in play: no entries at all, not just a hidden menu.
        blind = self.blind_action.isChecked()
        self.recent_menu.menuAction().setVisible(not blind)
        if blind:
            return
        for pane, side_menu in zip(self.panes, self._recent_menus):
            for number, path in enumerate(self._recent, start=1):
                action = side_menu.addAction(f"&{number % 10} {source_label(path)}")
                action.setStatusTip(path)
                action.triggered.connect(lambda _checked=False, p=pane, f=path: self._open_recent(p, f))
        self.recent_menu.menuAction().setEnabled(bool(self._recent))

    def _open_recent(self, pane, path: str) -> None:
        if is_served(path) or os.path.isfile(path):
            pane.fileChosen.emit(path)  # as if picked in the pane's own list
            return
        self.set_recent_files(self._recent)
        self.show_status(f"{path} is no longer there, so it left the recent files. Choose one with File › Open….")

    @Slot(bool)
    def _on_raw_toggled(self, raw: bool) -> None:
        for pane in self.panes:
            pane.set_raw(raw)

    @Slot()
    def _on_pane_raw_toggled(self) -> None:
        # The menu's check mark says "both raw"; a pane's own button may differ from its neighbour.
        with QSignalBlocker(self.raw_action):
            self.raw_action.setChecked(all(pane.raw_button.isChecked() for pane in self.panes))

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

    def set_moving_votes(self, doing: str) -> None:
        """While votes are exported or imported, say so and offer neither again; "" when done."""
        for action in (self.export_action, self.import_action):
            action.setEnabled(not doing)
        if doing:
            self.show_status(doing)

    @Slot(str)
    def show_status(self, text: str) -> None:
        self.status.showMessage(text)

    def show_crash_notice(self, text: str, offer_safe_path: bool) -> QMessageBox:
        """Tell of the last session's crash; with `offer_safe_path`, a button turns CPU weight repacking off.

        Window-modal, not application-modal: the models go on loading behind it.
        """
        notice = QMessageBox(QMessageBox.Icon.Warning, "The last session crashed", text, parent=self)
        notice.setObjectName("crashNotice")
        if offer_safe_path:
            safe = notice.addButton("Turn CPU weight repacking off", QMessageBox.ButtonRole.AcceptRole)
            safe.setObjectName("safePath")
            notice.addButton("Keep my settings", QMessageBox.ButtonRole.RejectRole)
            safe.clicked.connect(self.settings.turn_weight_repacking_off)
        else:
            notice.addButton(QMessageBox.StandardButton.Ok)
        notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        notice.open()
        return notice

    def blind_pace(self) -> str:
        """How blind answers appear (core.pace): COMMON_PACE or WHOLE_AT_END, as View › Blind pace says."""
        return next(pace for pace, action in self.pace_actions.items() if action.isChecked())

    def set_blind_pace(self, pace: str) -> None:
        self.pace_actions[pace].setChecked(True)

    def set_quant_pair(self, note: str) -> None:
        """Say `note` (the sides hold two quantizations of one model) and offer the comparison; "" when they do not.

        Neither shows while blind: both name the models.
        """
        self._quant_pair = note
        self._show_quant_pair()

    def _show_quant_pair(self) -> None:
        offered = bool(self._quant_pair) and not self.blind_action.isChecked()
        self.quant_note.setText(self._quant_pair if offered else "")
        self.quant_note.setVisible(offered)
        self.compare_quants_action.setEnabled(offered)

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
        self._show_recent()
        self._show_quant_pair()

    @Slot(bool)
    def _on_blind_toggled(self, blind: bool) -> None:
        self.set_blind(blind)
        self.blindModeToggled.emit(blind)
