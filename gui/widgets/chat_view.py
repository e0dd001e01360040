"""The conversation of one side: the answer streams in as plain text and is rendered as Markdown when it ends."""

import re

from PySide6.QtGui import QFont, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextOption
from PySide6.QtWidgets import QTextEdit, QWidget

from gui.core.blind import HIDDEN, names_pattern
from gui.widgets.markdown_view import insert_markdown


class ChatView(QTextEdit):
    """The conversation of one side, appended to at the end as the answer streams.

    A QTextEdit, not a QPlainTextEdit: the plain view repaints its whole viewport on every
    change, so each batch of tokens cost more the fuller the pane; this one repaints what changed.

    An answer streams in as plain text (appends stay cheap); once it ends it is rendered as
    Markdown in place. Each turn's text is kept as it came, so the raw view and the rendered
    one are rebuilt from it (set_raw), and so are answers whose file names blind mode hides.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        # Insertions would otherwise pile up undo commands for a view nobody edits.
        self.setUndoRedoEnabled(False)
        # Drops belong to the pane (they choose a file), not to the text.
        self.setAcceptDrops(False)
        # JSON, URLs and code can run long without spaces: wrap them anywhere rather than scroll sideways.
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self._user = QTextCharFormat()
        self._user.setFontWeight(QFont.Weight.Bold)
        self._answer = QTextCharFormat()
        self._note = QTextCharFormat()
        self._note.setFontItalic(True)
        self._note.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
        self._raw = False
        self._hidden: re.Pattern[str] | None = None
        # What was written, in order, as (kind, text): "user", "answer", "end" (its note), "note".
        self._turns: list[tuple[str, str]] = []
        self._streamed: list[str] | None = None  # the answer under way, None between answers
        self._answer_start = 0
        self._answer_turn = 0

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2

    def _insert(self, text: str, char_format: QTextCharFormat) -> None:
        # Follow the stream only if the reader is already at the bottom; don't yank them back up.
        following = self._at_bottom()
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, char_format)
        if following:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _cut_answer(self) -> None:
        """Remove everything from the start of the answer under way, leaving a plain empty block."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._answer_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        # A rendered answer may have left its heading, list or code format on the block.
        cursor.setBlockFormat(QTextBlockFormat())
        cursor.setBlockCharFormat(QTextCharFormat())

    def _write(self, kind: str, text: str, fresh_block: bool = False) -> bool:
        """Write one kept turn at the end; True when it left the cursor on a fresh block."""
        if kind == "user":
            self._insert("You: ", self._user)
            self._insert(f"{text}\n\n", self._answer)
        elif kind == "note":
            self._insert(f"{text}\n\n", self._note)
        elif kind == "end":
            ending = f"\n{text}\n\n" if text else "\n\n"
            # A rendered answer already ends with a line break of its own.
            self._insert(ending[1:] if fresh_block else ending, self._note)
        else:
            shown = self._hidden.sub(HIDDEN, text) if self._hidden else text
            if self._raw or not shown.strip():
                self._insert(shown, self._answer)
                return False
            cursor = QTextCursor(self.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            insert_markdown(cursor, shown, self.palette())
            return True
        return False

    def _rebuild(self) -> None:
        """Write the whole conversation again from the kept turns, keeping the reader's place."""
        bar = self.verticalScrollBar()
        following = self._at_bottom()
        fraction = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self.document().clear()
        fresh = False
        for index, (kind, text) in enumerate(self._turns):
            if index == self._answer_turn:  # a finished answer can still be restarted (measure mode)
                self._answer_start = self.document().characterCount() - 1
            fresh = self._write(kind, text, fresh)
        if self._streamed is not None:
            self._answer_start = self.document().characterCount() - 1
            self._insert("".join(self._streamed), self._answer)
        bar.setValue(bar.maximum() if following else round(fraction * bar.maximum()))

    def set_raw(self, raw: bool) -> None:
        """Show finished answers as the text the model wrote (True) or rendered as Markdown (False)."""
        if raw != self._raw:
            self._raw = raw
            self._rebuild()

    def is_raw(self) -> bool:
        return self._raw

    def set_hidden_names(self, names: set[str]) -> None:
        """Show these names (file names, paths) as "[hidden]" in finished answers; an empty set hides none."""
        pattern = names_pattern(names)
        if (pattern and pattern.pattern) != (self._hidden and self._hidden.pattern):
            self._hidden = pattern
            if any(kind == "answer" for kind, _ in self._turns):
                self._rebuild()

    def clear(self) -> None:
        super().clear()
        self._turns = []
        self._streamed = None
        self._answer_start = 0
        self._answer_turn = 0

    def begin_answer(self, user_text: str) -> None:
        self._turns.append(("user", user_text))
        self._write("user", user_text)
        self._answer_start = self.document().characterCount() - 1
        self._answer_turn = len(self._turns)
        self._streamed = []

    def restart_answer(self) -> None:
        """Drop the answer under way (and its note) to stream its next run in the same place."""
        self._cut_answer()
        del self._turns[self._answer_turn :]
        self._streamed = []

    def add_note(self, note: str) -> None:
        self._turns.append(("note", note))
        self._write("note", note)

    def append_text(self, text: str) -> None:
        if self._streamed is None:  # text with no turn begun: keep it as an answer all the same
            self._answer_start = self.document().characterCount() - 1
            self._answer_turn = len(self._turns)
            self._streamed = []
        self._insert(text, self._answer)
        self._streamed.append(text)

    def end_answer(self, note: str) -> None:
        text = "".join(self._streamed or [])
        self._streamed = None
        self._turns += [("answer", text), ("end", note)]
        following = self._at_bottom()
        fresh = False
        # The raw view already shows the answer as streamed, unless blind mode has names to hide in it.
        if not self._raw or (self._hidden and self._hidden.search(text)):
            self._cut_answer()
            fresh = self._write("answer", text)
        self._write("end", note, fresh)
        if following:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
