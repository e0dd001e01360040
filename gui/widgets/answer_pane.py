"""One side of the arena: which file, what it is, its streamed answer and its gauges."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.blind import HIDDEN, file_spellings, names_pattern
from gui.core.sources import public_address, served_parts, source_label
from gui.widgets.chat_view import ChatView
from gui.widgets.gauges import GaugePanel
from gui.widgets.units import DASH, format_bytes, format_count

if TYPE_CHECKING:
    from gui.core.gguf_header import ModelCard

_NO_MODEL = "No model on this side: choose a GGUF file in the box above, click Browse…, or drop a .gguf file here."
# Blind mode hides the file box: the hint says how to get it back (switching blind mode on again draws new sides).
_NO_MODEL_BLIND = ("No model on this side. Blind mode hides the file choice: turn it off (View › Blind mode) "
                   "to pick a GGUF file, then turn it on again to rate blind.")
def _dropped_gguf(mime: QMimeData) -> str | None:
    """The path of the single local .gguf file being dragged, else None."""
    urls = mime.urls() if mime.hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = urls[0].toLocalFile()
    return path if path.lower().endswith(".gguf") else None


def _card_text(card: ModelCard) -> str:
    """One line saying what a file is, from its header alone."""
    parts = [card.architecture]
    if card.parameter_count:
        parts.append(f"{format_count(card.parameter_count)} params")
    parts.append(card.quantization)
    parts.append(format_bytes(card.file_size))
    context = DASH if card.context_length is None else f"{card.context_length:,}"
    parts.append(f"trained context {context}")
    parts.append("chat template: in file" if card.chat_template else "chat template: none")
    line = " · ".join(parts)
    return f"{card.name} — {line}" if card.name else line


class ErrorBanner(QFrame):
    """A visible, selectable error that sits above the answer without replacing it."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("errorBanner")
        # Fixed colours on purpose: an error must read as an error in light and dark themes alike.
        self.setStyleSheet(
            "#errorBanner { background: #fdecea; border: 1px solid #e0a39f; border-radius: 4px; }"
            "#errorBanner QLabel { color: #8b1a10; }"
        )
        self.label = QLabel()
        self.label.setObjectName("errorMessage")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(f"{title} error")
        # The message says what to do; llama.cpp's own lines behind it are in the log.
        self.details = QToolButton()
        self.details.setText("Details…")
        self.details.setAutoRaise(True)
        self.details.setToolTip("Open the log: the technical detail behind this error")
        self.details.setAccessibleName(f"Show the log for the {title.lower()} error")
        self.dismiss = QToolButton()
        self.dismiss.setText("✕")
        self.dismiss.setAutoRaise(True)
        self.dismiss.setToolTip("Dismiss")
        self.dismiss.setAccessibleName(f"Dismiss the {title.lower()} error")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 4, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()


class AnswerPane(QWidget):
    """One side: file chooser, the file's card, chat format, load progress, answer, gauges.

    Labels a caller may want to read are named (objectName): title, card, formatNote,
    loadProgress, loadStatus, errorMessage.

    Blind mode (set_blind) hides everything that tells which model this side runs; reveal
    then names it in the title and brings the gauges back, and conceal takes both away again.

    Signals:
        fileChosen(str): the user picked a file (list, dialog or drop) or a served model; its source.
        serverRequested(): the user wants to pick a model on a server (Server…).
        chatFormatChosen(str): the user picked a chat format; "" means automatic.
        cancelLoadRequested(): the user wants the load in progress abandoned.
        logRequested(): the user wants the log behind the error shown (Details…).
    """

    fileChosen = Signal(str)
    serverRequested = Signal()
    chatFormatChosen = Signal(str)
    cancelLoadRequested = Signal()
    logRequested = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.setAcceptDrops(True)
        side = title.lower()
        self._blind = False
        self._revealed = False
        self._loading = False
        self._shown_card: ModelCard | None = None
        self._shown_source: str | None = None  # the file or served model the card describes
        self._error_message = ""

        self._title = QLabel(title)
        self._title.setObjectName("title")
        self._title.setAccessibleName(title)
        title_font = self._title.font()
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.2)
        self._title.setFont(title_font)
        self.files = QComboBox()
        self.files.setPlaceholderText("Choose a GGUF file…")
        self.files.setAccessibleName(f"{title} model file")
        self.files.setMinimumContentsLength(16)
        self.files.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName(f"Browse for the {side} model file")
        self.server_button = QPushButton("Server…")
        self.server_button.setAccessibleName(f"Pick the {side} model on a server")
        self.server_button.setToolTip("A model served over the OpenAI-compatible API (llama-server, vLLM, Ollama, "
                                      "LM Studio)")
        self.raw_button = QToolButton()
        self.raw_button.setText("Raw")
        self.raw_button.setCheckable(True)
        self.raw_button.setAutoRaise(True)
        self.raw_button.setToolTip("Show the answers as the model wrote them, not rendered as Markdown")
        self.raw_button.setAccessibleName(f"Show the {side} answers as raw text")
        # A toolbar button, out of the tab order: the keyboard way is View › Show raw text.
        self.raw_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = QHBoxLayout()
        header.addWidget(self._title)
        header.addWidget(self.files, 1)
        header.addWidget(self.browse_button)
        header.addWidget(self.server_button)
        header.addWidget(self.raw_button)

        self._card = QLabel()
        self._card.setObjectName("card")
        self._card.setWordWrap(True)
        self._card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._card.setAccessibleName(f"{title} file details")

        self.chat_formats = QComboBox()
        self.chat_formats.addItem("auto", "")
        self.chat_formats.setAccessibleName(f"{title} chat format")
        self.chat_formats.setToolTip("How the conversation is turned into the model's prompt")
        self._format_note = QLabel()
        self._format_note.setObjectName("formatNote")
        self._format_note.setAccessibleName(f"{title} chat format note")
        self._format_note.setWordWrap(True)
        self._format_note.setEnabled(False)  # dimmed: a remark, not a control
        self._format_label = QLabel("Chat format")
        self._format_label.setBuddy(self.chat_formats)
        format_row = QHBoxLayout()
        format_row.addWidget(self._format_label)
        format_row.addWidget(self.chat_formats)
        format_row.addWidget(self._format_note, 1)

        self._progress = QProgressBar()
        self._progress.setObjectName("loadProgress")
        self._progress.setRange(0, 1000)
        self._progress.setAccessibleName(f"{title} load progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName(f"Cancel loading the {side} model")
        self._loaded = QLabel()
        self._loaded.setObjectName("loadStatus")
        self._loaded.setAccessibleName(f"{title} load status")
        self._loaded.setEnabled(False)
        load_row = QHBoxLayout()
        load_row.addWidget(self._loaded, 1)
        load_row.addWidget(self._progress, 1)
        load_row.addWidget(self.cancel_button)

        self._error = ErrorBanner(title)
        self.chat = ChatView()
        self.chat.setAccessibleName(f"{title} answer")
        self._gauges = GaugePanel()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self._card)
        layout.addLayout(format_row)
        layout.addLayout(load_row)
        layout.addWidget(self._error)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self._gauges)

        QWidget.setTabOrder(self.files, self.browse_button)
        QWidget.setTabOrder(self.browse_button, self.chat_formats)
        QWidget.setTabOrder(self.chat_formats, self.cancel_button)
        QWidget.setTabOrder(self.cancel_button, self._error.details)
        QWidget.setTabOrder(self._error.details, self._error.dismiss)
        QWidget.setTabOrder(self._error.dismiss, self.chat)

        self.files.currentIndexChanged.connect(self._on_file_index_changed)
        self.browse_button.clicked.connect(self.browse)
        self.server_button.clicked.connect(self.serverRequested)
        self.chat_formats.currentIndexChanged.connect(self._on_format_index_changed)
        self.cancel_button.clicked.connect(self.cancelLoadRequested)
        self._error.dismiss.clicked.connect(self.clear_error)
        self._error.details.clicked.connect(self.logRequested)
        self.raw_button.toggled.connect(self.chat.set_raw)

        self.clear_card()
        self.set_loading(None)

    @property
    def gauges(self) -> GaugePanel:
        return self._gauges

    # File choice

    @Slot(list, object)
    def set_model_list(self, paths: list[str], current: str | None) -> None:
        """Offer these files by name; select `current` (added if not among them). Emits nothing."""
        with QSignalBlocker(self.files):
            self.files.clear()
            for path in paths:
                self._add_file(path)
            self._select_file(current)

    def _add_file(self, path: str) -> int:
        self.files.addItem(source_label(path), path)
        index = self.files.count() - 1
        self.files.setItemData(index, path, Qt.ItemDataRole.ToolTipRole)
        return index

    def _select_file(self, path: str | None) -> None:
        if path is None:
            self.files.setCurrentIndex(-1)
            return
        index = self.files.findData(path)
        self.files.setCurrentIndex(index if index >= 0 else self._add_file(path))

    def _choose(self, path: str) -> None:
        with QSignalBlocker(self.files):
            self._select_file(path)
        self.fileChosen.emit(path)

    @Slot(int)
    def _on_file_index_changed(self, index: int) -> None:
        if index >= 0:
            self.fileChosen.emit(self.files.itemData(index))

    @Slot()
    def browse(self) -> None:
        """Ask for a .gguf file with the platform's dialog; choosing one emits fileChosen."""
        current = self.files.currentData()
        start = os.path.dirname(current) if current else ""
        path, _ = QFileDialog.getOpenFileName(self, f"Open {self.title.lower()} model", start, "GGUF models (*.gguf)")
        if path:
            self._choose(path)

    def _droppable(self, mime: QMimeData) -> str | None:
        # A file dropped in blind mode would tell the rater which model this side runs.
        return None if self._blind else _dropped_gguf(mime)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._droppable(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._droppable(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self._choose(path)

    # What the file is

    @Slot(object)
    def show_card(self, card: ModelCard) -> None:
        """Say what the chosen file is, before it loads."""
        self._card.setText(_card_text(card))
        self._card.setToolTip(card.path)
        self._card.setEnabled(True)
        self._shown_card = card
        self._shown_source = card.path
        self._update_visibility()

    def show_served(self, source: str) -> None:
        """Say which served model was picked, before it is reached."""
        address, model = served_parts(source)[:2]
        self._card.setText(f"{model} — served at {public_address(address)} · the server applies its own chat template")
        self._card.setToolTip(public_address(address))
        self._card.setEnabled(True)
        self._shown_card = None
        self._shown_source = source
        with QSignalBlocker(self.files):
            self._select_file(source)
        self._update_visibility()

    @Slot()
    def clear_card(self) -> None:
        self._card.setText(_NO_MODEL_BLIND if self._blind else _NO_MODEL)
        self._card.setToolTip("")
        self._card.setEnabled(False)
        self._shown_card = None
        self._shown_source = None
        self._update_visibility()

    @Slot(list)
    def set_chat_formats(self, names: list[str]) -> None:
        """Offer "auto" plus these formats, keeping the current pick if it is still offered."""
        current = self.chat_formats.currentData()
        with QSignalBlocker(self.chat_formats):
            self.chat_formats.clear()
            self.chat_formats.addItem("auto", "")
            for name in names:
                self.chat_formats.addItem(name, name)
            self.chat_formats.setCurrentIndex(max(0, self.chat_formats.findData(current)))

    @Slot(str)
    def set_format_note(self, text: str) -> None:
        self._format_note.setText(text)

    @Slot(int)
    def _on_format_index_changed(self, index: int) -> None:
        if index >= 0:
            self.chatFormatChosen.emit(self.chat_formats.itemData(index))

    # Loading

    @Slot(object)
    def set_loading(self, fraction: float | None) -> None:
        """Show load progress (0..1) with a cancel button; None hides them."""
        if fraction is not None:
            self._progress.setValue(round(min(max(fraction, 0.0), 1.0) * 1000))
        self._loading = fraction is not None
        self._update_visibility()

    @Slot(str)
    def set_loaded(self, text: str) -> None:
        """End the load display with a one-line status, e.g. "loaded in 1.2 s"."""
        self._loaded.setText(text)
        self.set_loading(None)

    # The conversation

    @Slot(str)
    def begin_answer(self, user_text: str) -> None:
        self.chat.begin_answer(user_text)

    @Slot(str)
    def append_text(self, text: str) -> None:
        self.chat.append_text(text)

    @Slot()
    def restart_answer(self) -> None:
        """Another run of the same turn replaces the answer on screen (measure mode)."""
        self.chat.restart_answer()

    @Slot(str)
    def add_note(self, note: str) -> None:
        """A dimmed line under the conversation, e.g. the figures of a measured turn."""
        self.chat.add_note(note)

    @Slot(str)
    def end_answer(self, note: str) -> None:
        """Close the turn, rendering the answer as Markdown; a note such as "[stopped by user]" is shown dimmed."""
        # The files may have changed since blind mode began; hide the names known now.
        self._hide_names_in_chat()
        self.chat.end_answer(note)

    @Slot(bool)
    def set_raw(self, raw: bool) -> None:
        """Show the answers as the model wrote them (True) or rendered as Markdown (False)."""
        self.raw_button.setChecked(raw)

    def _hide_names_in_chat(self) -> None:
        # An answer may quote its own file's name; after the vote (reveal) the name is no secret.
        self.chat.set_hidden_names(self._identity_names() if self._blind and not self._revealed else set())

    @Slot()
    def clear_chat(self) -> None:
        self.chat.clear()

    def set_batch_note(self, text: str) -> None:
        """What an empty conversation says while a batch holds the models ("" for nothing)."""
        self.chat.setPlaceholderText(text)

    @Slot(str)
    def show_error(self, message: str) -> None:
        """Show an error above the answer; the conversation stays as it was.

        In blind mode the names of the files this pane knows are replaced by "[hidden]".
        """
        self._error_message = message
        self._show_error_text()
        self._error.show()

    def error_text(self) -> str:
        """The error as reported (file names included even in blind mode), or "" when there is none."""
        return self._error_message if not self._error.isHidden() else ""

    @Slot()
    def clear_error(self) -> None:
        self._error_message = ""
        self._error.label.clear()
        self._error.hide()

    def _show_error_text(self) -> None:
        text = self._error_message
        # Load errors quote the file's name; the reason after it is still worth reading.
        pattern = names_pattern(self._identity_names()) if self._blind else None
        if pattern:
            text = pattern.sub(HIDDEN, text)
        self._error.label.setText(text)
        # The log names the files: one click there would undo the hiding above.
        self._error.details.setVisible(not self._blind)

    def _identity_names(self) -> set[str]:
        """Every spelling of a file this pane offers or shows: path, file name, name without .gguf, card name."""
        paths = {self.files.itemData(index) for index in range(self.files.count())}
        card = self._shown_card
        shown = {self._shown_source} if self._shown_source else set()
        return file_spellings(paths | shown, {card.name or ""} if card else set())

    # Blind rating

    @Slot(bool)
    def set_blind(self, blind: bool) -> None:
        """Hide (True) or show again (False) the file, its card, chat format, load status and gauges."""
        self._blind = blind
        self._update_visibility()
        self._show_error_text()
        self._hide_names_in_chat()

    @Slot(str)
    def reveal(self, label: str) -> None:
        """Name the model after a vote ("Left — label") and show its gauges, blind or not."""
        self._revealed = True
        self._title.setText(f"{self.title} — {label}")
        self._title.setAccessibleName(self._title.text())
        self._update_visibility()
        self._hide_names_in_chat()

    @Slot()
    def conceal(self) -> None:
        """Undo reveal: the title is the side alone, and the gauges follow blind mode again."""
        self._revealed = False
        self._title.setText(self.title)
        self._title.setAccessibleName(self.title)
        self._update_visibility()
        self._hide_names_in_chat()

    def _update_visibility(self) -> None:
        seen = not self._blind
        identifying = (self.files, self.browse_button, self.server_button, self._card, self._format_label,
                       self.chat_formats, self._format_note)
        for widget in identifying:
            widget.setVisible(seen)
        if self._shown_source is None:
            # With no file there is nothing to hide, and the card's place says how to choose one.
            self._card.setText(_NO_MODEL_BLIND if self._blind else _NO_MODEL)
            self._card.setVisible(True)
        self._progress.setVisible(self._loading)
        self.cancel_button.setVisible(self._loading)
        # An empty status line would still take a row; show it only when it says something.
        self._loaded.setVisible(seen and not self._loading and bool(self._loaded.text()))
        self._gauges.setVisible(seen or self._revealed)
