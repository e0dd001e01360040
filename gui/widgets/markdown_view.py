"""Answers rendered as Markdown: Qt's own parser, code blocks monospaced and coloured by Pygments."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPalette,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
    QTextFormat,
    QTextTable,
)

# Pygments is imported where code is coloured: most answers have none, and the window must not wait for it.
if TYPE_CHECKING:
    from pygments.lexer import Lexer

# Raw HTML stays text: a model's <img src=...> or <style> must not turn into markup.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")  # the opening or closing line of fenced code
_FEATURES = QTextDocument.MarkdownFeature.MarkdownDialectGitHub | QTextDocument.MarkdownFeature.MarkdownNoHTML
_CODE_LANGUAGE = QTextFormat.Property.BlockCodeLanguage
# Qt 6.8 added the alt text of images; older versions only know the image's address.
_IMAGE_ALT = getattr(QTextFormat.Property, "ImageAltText", None)


def code_font() -> QFont:
    """The platform's fixed-pitch font, the one code is shown in."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def is_code_block(block: QTextBlock) -> bool:
    """Whether the block is a line of a fenced or indented code block."""
    return block.blockFormat().hasProperty(_CODE_LANGUAGE)


@lru_cache(maxsize=4)
def _token_formats(style_name: str) -> dict[tuple[str, ...], QTextCharFormat]:
    """A char format per Pygments token type (a tuple) that the style colours, bolds or slants."""
    from pygments.styles import get_style_by_name

    style = get_style_by_name(style_name)
    formats = {}
    for token_type, spec in style:
        if not (spec["color"] or spec["bold"] or spec["italic"]):
            continue
        char_format = QTextCharFormat()
        if spec["color"]:
            char_format.setForeground(QColor(f"#{spec['color']}"))
        if spec["bold"]:
            char_format.setFontWeight(QFont.Weight.Bold)
        if spec["italic"]:
            char_format.setFontItalic(True)
        formats[token_type] = char_format
    return formats


def _style_name(palette: QPalette) -> str:
    # The light default style is unreadable on a dark base, and the dark one on a light base.
    return "monokai" if palette.color(QPalette.ColorRole.Base).lightness() < 128 else "default"


@lru_cache(maxsize=32)
def _lexer(language: str) -> Lexer | None:
    """The Pygments lexer for a fence's language, or None (looking one up takes about a millisecond)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language) if language else None
    except ClassNotFound:
        return None


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _colour_code(document: QTextDocument, first: QTextBlock, lines: list[str], language: str, style_name: str) -> None:
    lexer = _lexer(language)
    if lexer is None:
        return  # no language, or one Pygments doesn't know: monospace without colour beats a wrong guess
    formats = _token_formats(style_name)
    text = "\n".join(lines)
    cursor = QTextCursor(document)
    # The blocks follow each other, one position per line break, so the tokens (which cover the
    # text in order) land at the first block's position plus their lengths so far, counted in
    # UTF-16 units as Qt counts them: an emoji is two. A run of one format (a token and the
    # spaces after it) is merged in one go: each merge costs more than the lexing.
    runs: list[tuple[int, int, QTextCharFormat]] = []
    position = first.position()
    for _, token_type, value in lexer.get_tokens_unprocessed(text):
        length = _utf16_length(value)
        while token_type not in formats and token_type.parent is not None:
            token_type = token_type.parent
        char_format = formats.get(token_type)
        if runs and (char_format is runs[-1][2] or not value.strip()) and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + length, runs[-1][2])
        elif char_format is not None and value.strip():
            runs.append((position, position + length, char_format))
        position += length
    for start, end, char_format in runs:
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(char_format)


def _format_code_blocks(document: QTextDocument, palette: QPalette) -> None:
    """Monospace, wrapped, tinted code blocks, coloured where the fence names a language."""
    fixed = QTextCharFormat()
    fixed.setFontFamilies(code_font().families())
    fixed.setFontFixedPitch(True)
    fixed.setFontStyleHint(QFont.StyleHint.Monospace)
    style_name = _style_name(palette)
    background = palette.color(QPalette.ColorRole.AlternateBase)
    block = document.begin()
    while block.isValid():
        if not is_code_block(block):
            block = block.next()
            continue
        language = block.blockFormat().stringProperty(_CODE_LANGUAGE)
        first, lines = block, []
        while is_code_block(block) and block.blockFormat().stringProperty(_CODE_LANGUAGE) == language:
            block_format = block.blockFormat()
            # Qt keeps code lines unbroken; a long line would then scroll the whole pane sideways.
            block_format.setNonBreakableLines(False)
            block_format.setBackground(background)
            cursor = QTextCursor(block)
            cursor.setBlockFormat(block_format)
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fixed)
            lines.append(block.text())
            block = block.next()
        _colour_code(document, first, lines, language.split()[0] if language.strip() else "", style_name)


def _plain_inlines(document: QTextDocument) -> None:
    """Inline code in the code font; links and images as text, with their address where it adds something."""
    fixed_families = code_font().families()
    replacements: list[tuple[int, int, str]] = []
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            char_format = fragment.charFormat()
            start, end = fragment.position(), fragment.position() + fragment.length()
            if char_format.isImageFormat():
                image = char_format.toImageFormat()
                alt = image.stringProperty(_IMAGE_ALT) if _IMAGE_ALT is not None else ""
                replacements.append((start, end, f"[image: {alt or image.name()}]"))
            elif char_format.isAnchor():
                href = char_format.anchorHref()
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                # Nothing in a pane opens links: show the address rather than a dead blue word.
                plain = QTextCharFormat(char_format)
                plain.setAnchor(False)
                plain.setAnchorHref("")
                plain.clearForeground()
                plain.setFontUnderline(False)
                cursor.setCharFormat(plain)
                if href and href.removeprefix("mailto:") != fragment.text():
                    replacements.append((end, end, f" ({href})"))
            elif char_format.fontFixedPitch() or "monospace" in (char_format.fontFamilies() or []):
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                families = QTextCharFormat()
                families.setFontFamilies(fixed_families)
                cursor.mergeCharFormat(families)
            fragments += 1
        block = block.next()
    # From the end backwards, so earlier positions stay valid.
    for start, end, text in reversed(replacements):
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text, QTextCharFormat())


def _mend_tables(document: QTextDocument) -> None:
    """Undo a Qt importer slip: after a code block, a table's first cell is spaced like a paragraph,
    sometimes opens with an empty line, and is not bold like the rest of the header row."""
    bold = QTextCharFormat()
    bold.setFontWeight(QFont.Weight.Bold)
    for table in document.rootFrame().childFrames():
        if not isinstance(table, QTextTable):
            continue
        cell = table.cellAt(0, 0)
        cursor = cell.firstCursorPosition()
        first = cursor.block()
        if not first.text() and first.position() + first.length() <= cell.lastCursorPosition().position():
            cursor.deleteChar()
        block_format = cursor.blockFormat()
        block_format.setTopMargin(0)
        block_format.setBottomMargin(0)
        cursor.setBlockFormat(block_format)
        cursor.setPosition(cell.lastCursorPosition().position(), QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(bold)


def keep_line_breaks(text: str) -> str:
    """`text` with each line break between two lines of prose made a hard break.

    Markdown joins lines that are not separated by a blank one: a poem or an address would lose
    its lines, and poetry is what these answers are often judged on. Fenced code is left as it is.
    """
    lines = text.split("\n")
    fence = None
    for index, line in enumerate(lines[:-1]):
        marker = _FENCE.match(line)
        if marker:
            if fence is None:
                fence = marker.group(1)[0]
            elif marker.group(1)[0] == fence:
                fence = None
        elif fence is None and line.strip() and lines[index + 1].strip():
            lines[index] = line + "  "  # two trailing spaces: Markdown's hard line break
    return "\n".join(lines)


def render_markdown(text: str, palette: QPalette) -> QTextDocument:
    """A document holding `text` rendered as GitHub-flavoured Markdown, ready to insert."""
    document = QTextDocument()
    document.setMarkdown(keep_line_breaks(text), _FEATURES)
    # Inlines first: colouring splits code into many fragments that pass would only walk through.
    _plain_inlines(document)
    _format_code_blocks(document, palette)
    _mend_tables(document)
    return document


def insert_markdown(cursor: QTextCursor, text: str, palette: QPalette) -> None:
    """Insert `text` rendered as Markdown at the cursor, which must be at the start of an empty block.

    Leaves the cursor at the start of a new block in the default formats, so that what
    follows does not inherit the last heading's size or code block's tint.
    """
    rendered = render_markdown(text, palette)
    document = cursor.document()
    start = cursor.position()
    before = document.characterCount()
    cursor.insertFragment(QTextDocumentFragment(rendered))
    # Qt merges a fragment's first block into the block it lands in, unless that block opens a
    # list or a table: then it starts a block of its own and leaves the landing block empty.
    if document.characterCount() - before > rendered.characterCount() - 1:
        if start > 0:
            remover = QTextCursor(document)
            remover.setPosition(start)
            remover.deletePreviousChar()  # the empty landing block joins the (empty) line before it
    else:
        # A merged block keeps the landing block's format; give it back its own (not its list: that
        # index means another document's list, and a merged block never was a list item).
        first_format = QTextBlockFormat(rendered.begin().blockFormat())
        first_format.clearProperty(QTextFormat.Property.ObjectIndex)
        QTextCursor(document.findBlock(start)).setBlockFormat(first_format)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
