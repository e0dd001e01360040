"""Answers as Markdown: code colour, raw toggle, streaming, blind hiding, wrapping, linked scrolling, scripts."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPalette,
    QRawFont,
    QTextBlock,
    QTextLayout,
    QTextTable,
)

import gui.widgets.chat_view as chat_view
from fakes import fake_card
from gui.widgets.answer_pane import AnswerPane
from gui.widgets.markdown_view import is_code_block, render_markdown

SMOL = "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA = "/models/gemma-3-270m-q4_k_m.gguf"

ANSWER = """# Plan

Some *careful* and **bold** words, a [link](https://example.org/docs) and `inline code`.

1. first step
2. second step

- a point
- another point

```python
def area(radius: float) -> float:
    \"\"\"Circle area.\"\"\"
    return 3.14159 * radius ** 2  # close enough
```

| n | square |
|---|--------|
| 3 | 9      |

Done.
"""


@pytest.fixture
def pane(qtbot):
    pane = AnswerPane("Left")
    qtbot.addWidget(pane)
    pane.resize(500, 600)
    return pane


def stream(pane, user_text, answer, note="[end of answer]", size=7):
    """Play an answer into the pane in small batches, as the token pump does."""
    pane.begin_answer(user_text)
    for start in range(0, len(answer), size):
        pane.append_text(answer[start : start + size])
    pane.end_answer(note)


def blocks(pane) -> list[QTextBlock]:
    found, block = [], pane.chat.document().begin()
    while block.isValid():
        found.append(block)
        block = block.next()
    return found


def block_with(pane, text: str) -> QTextBlock:
    return next(block for block in blocks(pane) if text in block.text())


def fragment_formats(block: QTextBlock):
    """(text, char format) of each run of one format in the block."""
    runs, fragments = [], block.begin()
    while not fragments.atEnd():
        runs.append((fragments.fragment().text(), fragments.fragment().charFormat()))
        fragments += 1
    return runs


# Rendering


def test_code_block_is_monospace_with_more_than_one_colour(pane):
    stream(pane, "area?", ANSWER)
    code = [block for block in blocks(pane) if is_code_block(block)]
    assert [block.text() for block in code] == [
        "def area(radius: float) -> float:",
        '    """Circle area."""',
        "    return 3.14159 * radius ** 2  # close enough",
    ]
    colours = set()
    for block in code:
        for text, char_format in fragment_formats(block):
            metrics = QFontMetricsF(char_format.font())
            assert metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("WWWW"), text
            colours.add(char_format.foreground().color().name())
    assert len(colours) > 2, colours
    # The prose around it stays in the proportional font.
    prose = fragment_formats(block_with(pane, "Done."))[0][1].font()
    assert QFontMetricsF(prose).horizontalAdvance("iiii") < QFontMetricsF(prose).horizontalAdvance("WWWW")


def test_headings_lists_emphasis_and_tables_are_rendered(pane):
    stream(pane, "plan?", ANSWER)
    text = pane.chat.toPlainText()
    for markup in ("# Plan", "*careful*", "**bold**", "1. first", "- a point", "|---"):
        assert markup not in text, markup
    assert block_with(pane, "Plan").blockFormat().headingLevel() == 1
    runs = dict(fragment_formats(block_with(pane, "careful")))
    assert runs["careful"].fontItalic()
    assert runs["bold"].fontWeight() == QFont.Weight.Bold
    ordered = [block_with(pane, "first step"), block_with(pane, "second step")]
    assert [block.textList().itemText(block) for block in ordered] == ["1.", "2."]
    assert block_with(pane, "a point").textList() is not None
    tables = [frame for frame in pane.chat.document().rootFrame().childFrames() if isinstance(frame, QTextTable)]
    assert [(table.rows(), table.columns()) for table in tables] == [(2, 2)]
    # After a code block Qt's importer opens the first cell with an empty line, not bold: mended.
    header = [tables[0].cellAt(0, column).firstCursorPosition().block() for column in range(2)]
    assert [block.text() for block in header] == ["n", "square"]
    assert all(fragment_formats(block)[0][1].fontWeight() == QFont.Weight.Bold for block in header)


def test_the_prompt_and_notes_are_kept_as_they_were(pane):
    stream(pane, "say **hi**", "Hello *there*", note="[stop]")
    pane.add_note("measured: 3 runs")
    assert pane.chat.toPlainText() == "You: say **hi**\n\nHello there\n[stop]\n\nmeasured: 3 runs\n\n"
    assert fragment_formats(block_with(pane, "[stop]"))[0][1].fontItalic()


def test_an_answer_opening_with_a_list_or_code_starts_where_prose_would(pane):
    stream(pane, "q1", "- a\n- b", note="")
    stream(pane, "q2", "```python\nx = 1\n```", note="")
    assert pane.chat.toPlainText() == "You: q1\n\na\nb\n\nYou: q2\n\nx = 1\n\n"
    # What follows a code block must not inherit its tint or font.
    assert not is_code_block(block_with(pane, "You: q2"))
    assert not is_code_block(blocks(pane)[-1])


def test_links_are_text_with_their_address_and_html_stays_text(pane):
    stream(pane, "q", "See [the docs](https://example.org/docs), <b>not bold</b> and https://example.org.")
    block = block_with(pane, "See")
    assert block.text() == "See the docs (https://example.org/docs), <b>not bold</b> and https://example.org."
    assert not any(char_format.isAnchor() for _, char_format in fragment_formats(block))


def test_colours_stay_on_their_tokens_after_an_emoji(pane):
    stream(pane, "q", "```python\nparty = '🎉🎉'  # yes\nx = 1\n```")
    runs = {text.strip(): char_format for text, char_format in fragment_formats(block_with(pane, "party"))}
    # An emoji is two positions for Qt and one character for Python: the comment would shift by two.
    assert "# yes" in runs
    assert runs["# yes"].fontItalic()
    assert runs["'🎉🎉'"].foreground().color() != runs["# yes"].foreground().color()


def test_code_colours_suit_a_dark_palette():
    dark = QPalette(QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    document = render_markdown("```python\ndef f(x):\n    return x  # why\n```", dark)
    colours = {
        char_format.foreground().color().name()
        for block in (document.begin(), document.begin().next())
        for _, char_format in fragment_formats(block)
        if char_format.foreground().style() != Qt.BrushStyle.NoBrush
    }
    assert len(colours) > 1
    assert all(QColor(colour).lightness() > 100 for colour in colours), colours


def test_an_unknown_or_missing_language_is_monospace_without_colour(pane):
    stream(pane, "q", "```\nplain block\n```\n\n```nosuchlanguage\nx = 1\n```")
    for text in ("plain block", "x = 1"):
        block = block_with(pane, text)
        assert is_code_block(block)
        assert {char_format.foreground().color().name() for _, char_format in fragment_formats(block)} == {"#000000"}


# Raw text


def test_raw_toggle_shows_the_exact_text_back_and_renders_again(pane):
    answer2 = "```json\n{\"a\": [1, 2]}\n```\n"
    stream(pane, "plan?", ANSWER, note="[stop]")
    stream(pane, "json?", answer2, note="")
    pane.add_note("3 runs")
    rendered = pane.chat.toPlainText()
    pane.raw_button.click()
    assert pane.chat.is_raw()
    assert pane.chat.toPlainText() == f"You: plan?\n\n{ANSWER}\n[stop]\n\nYou: json?\n\n{answer2}\n\n3 runs\n\n"
    assert not any(is_code_block(block) for block in blocks(pane))
    pane.raw_button.click()
    assert pane.chat.toPlainText() == rendered
    assert any(is_code_block(block) for block in blocks(pane))


def test_answers_that_end_in_raw_mode_stay_as_streamed_and_render_later(pane):
    pane.set_raw(True)
    stream(pane, "q", "# Title\n\n`x`", note="[stop]")
    assert pane.chat.toPlainText() == "You: q\n\n# Title\n\n`x`\n[stop]\n\n"
    pane.set_raw(False)
    assert pane.chat.toPlainText() == "You: q\n\nTitle\nx\n[stop]\n\n"


def test_toggling_mid_stream_keeps_the_answer_under_way(pane):
    stream(pane, "q1", "**one**", note="")
    pane.begin_answer("q2")
    pane.append_text("**tw")
    pane.set_raw(True)
    pane.set_raw(False)
    pane.append_text("o**")
    assert pane.chat.toPlainText() == "You: q1\n\none\n\nYou: q2\n\n**two**"
    pane.end_answer("")
    assert pane.chat.toPlainText() == "You: q1\n\none\n\nYou: q2\n\ntwo\n\n"


def test_clear_forgets_the_kept_turns(pane):
    stream(pane, "q", "**a**")
    pane.clear_chat()
    pane.set_raw(True)
    assert pane.chat.toPlainText() == ""


def test_raw_button_is_named_and_out_of_the_tab_order(pane):
    assert pane.raw_button.isCheckable()
    assert pane.raw_button.accessibleName() == "Show the left answers as raw text"
    assert pane.raw_button.focusPolicy() == Qt.FocusPolicy.NoFocus


# Streaming


def test_streaming_appends_stay_plain_and_render_once_at_the_end(pane, monkeypatch):
    renders = []
    real = chat_view.insert_markdown
    monkeypatch.setattr(chat_view, "insert_markdown", lambda *args: renders.append(args[1]) or real(*args))
    pane.begin_answer("plan?")
    for start in range(0, len(ANSWER), 5):
        pane.append_text(ANSWER[start : start + 5])
    assert renders == []
    assert pane.chat.toPlainText() == f"You: plan?\n\n{ANSWER}"
    assert not any(is_code_block(block) for block in blocks(pane))
    pane.end_answer("")
    assert renders == [ANSWER]


@pytest.mark.parametrize("raw", [False, True], ids=["rendered", "switched to raw"])
@pytest.mark.parametrize("answer", ["```python\nx = 1\n```", "- a\n- b", "# Title"], ids=["code", "list", "heading"])
def test_a_restarted_run_streams_plain_where_the_ended_one_was(pane, answer, raw):
    stream(pane, "q0", "*earlier*", note="")
    stream(pane, "q", answer, note="[stop]")
    # Switching rebuilds the whole view: what came before the answer changes length.
    pane.set_raw(raw)
    earlier = "*earlier*" if raw else "earlier"
    pane.restart_answer()
    assert pane.chat.toPlainText() == f"You: q0\n\n{earlier}\n\nYou: q\n\n"
    pane.append_text("```python\ny")
    last = blocks(pane)[-1]
    assert last.text() == "y"
    assert not is_code_block(last)
    assert last.textList() is None
    assert last.blockFormat().headingLevel() == 0
    pane.end_answer("[stop]")
    pane.set_raw(True)
    assert pane.chat.toPlainText() == "You: q0\n\n*earlier*\n\nYou: q\n\n```python\ny\n[stop]\n\n"


def test_rendering_keeps_following_the_bottom(qtbot, pane):
    pane.show()
    qtbot.waitExposed(pane)
    bar = pane.chat.verticalScrollBar()
    for turn in range(4):
        stream(pane, f"q{turn}", ANSWER)
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()


# Wrapping


@pytest.mark.parametrize("raw", [False, True], ids=["rendered", "raw"])
@pytest.mark.parametrize(
    "answer",
    ['{"key":"' + "x" * 1500 + '"}', "https://example.org/" + "a" * 1500, "```json\n" + "[" * 1500 + "\n```"],
    ids=["json", "url", "code block"],
)
def test_long_unbroken_lines_wrap_in_both_views(qtbot, pane, answer, raw):
    pane.show()
    qtbot.waitExposed(pane)
    pane.set_raw(raw)
    stream(pane, "long", answer, note="")
    qtbot.wait(10)
    assert pane.chat.horizontalScrollBar().maximum() == 0
    longest = max(blocks(pane), key=lambda block: block.length())
    assert longest.layout().lineCount() > 5


# Blind mode


def known_blind_pane(pane):
    pane.set_model_list([SMOL, GEMMA], SMOL)
    pane.show_card(fake_card(SMOL))
    pane.set_blind(True)
    return pane


LEAKY = (
    "I run from `SmolLM2-135M-Instruct.Q4_1.gguf` (see **/models/smollm2-135m-instruct.Q4_1.gguf**);"
    " gemma-3-270m-q4_k_m is the other."
)


@pytest.mark.parametrize("raw", [False, True], ids=["rendered", "raw"])
def test_blind_mode_hides_file_names_in_finished_answers(pane, raw):
    known_blind_pane(pane).set_raw(raw)
    stream(pane, "who are you?", LEAKY)
    shown = pane.chat.toPlainText().lower()
    for name in ("smollm2", "gemma", ".gguf", "/models"):
        assert name not in shown, name
    assert "[hidden]" in shown
    assert "is the other" in shown


def test_leaving_blind_mode_shows_the_answer_again_and_entering_hides_it(pane):
    known_blind_pane(pane)
    stream(pane, "who are you?", LEAKY)
    pane.set_blind(False)
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in pane.chat.toPlainText()
    pane.set_raw(True)
    assert LEAKY in pane.chat.toPlainText()
    pane.set_blind(True)
    assert "smollm2" not in pane.chat.toPlainText().lower()


def test_reveal_shows_the_names_in_the_answer_and_conceal_hides_them_again(pane):
    known_blind_pane(pane)
    stream(pane, "who are you?", LEAKY)
    pane.reveal("SmolLM2-135M-Instruct.Q4_1")
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in pane.chat.toPlainText()
    pane.conceal()
    assert "smollm2" not in pane.chat.toPlainText().lower()


# The window: both panes


def test_show_raw_text_applies_to_both_panes_and_follows_their_buttons(window):
    for pane in window.panes:
        stream(pane, "q", "**bold**", note="")
    window.raw_action.trigger()
    assert [pane.chat.toPlainText() for pane in window.panes] == ["You: q\n\n**bold**\n\n"] * 2
    assert all(pane.raw_button.isChecked() for pane in window.panes)
    window.left.raw_button.click()
    assert window.left.chat.toPlainText() == "You: q\n\nbold\n\n"
    assert not window.raw_action.isChecked()
    window.left.raw_button.click()
    assert window.raw_action.isChecked()
    assert window.raw_action.shortcut().toString() == "Ctrl+U"


def fill_both(window):
    """Both panes long enough to scroll, the right one about twice the left."""
    window.left.set_blind(False)
    for pane, turns in ((window.left, 3), (window.right, 6)):
        for turn in range(turns):
            stream(pane, f"q{turn}", ANSWER)
    bars = window.left.chat.verticalScrollBar(), window.right.chat.verticalScrollBar()
    assert all(bar.maximum() > 0 for bar in bars)
    return bars


def test_scroll_together_moves_the_other_pane_by_fraction_without_echo(qtbot, window):
    left, right = fill_both(window)
    window.scroll_together_action.trigger()
    assert window.scroll_link.is_enabled()
    moves = {"left": [], "right": []}
    left.valueChanged.connect(moves["left"].append)
    right.valueChanged.connect(moves["right"].append)
    left.setValue(left.maximum() // 2)
    assert moves["left"] == [left.maximum() // 2]
    assert moves["right"] == [round(left.value() / left.maximum() * right.maximum())]
    # A place on the longer pane that the shorter one cannot match exactly: an echo back would move it.
    place = next(
        value
        for value in range(1, right.maximum())
        if round(round(value / right.maximum() * left.maximum()) / left.maximum() * right.maximum()) != value
    )
    right.setValue(place)
    assert right.value() == place
    assert moves["right"][1:] == [place]
    assert moves["left"][1:] == [round(place / right.maximum() * left.maximum())]


def test_scroll_together_is_off_by_default_and_can_be_turned_off(window):
    left, right = fill_both(window)
    assert not window.scroll_together_action.isChecked()
    right.setValue(0)
    left.setValue(left.maximum())
    assert right.value() == 0
    window.scroll_together_action.trigger()
    # Turning it on brings the right pane level with the left.
    assert right.value() == right.maximum()
    window.scroll_together_action.trigger()
    left.setValue(0)
    assert right.value() == right.maximum()


# Scripts and fonts

SCRIPTS = {
    "Chinese": ("你好，世界。这是一个测试。", "fonts-noto-cjk"),
    "Japanese": ("こんにちは、カタカナと漢字のテスト。", "fonts-noto-cjk"),
    "Russian": ("Привет, мир! Съешь же ещё этих булок.", "fonts-dejavu-core"),
    "emoji": ("😀 🎉 👍 🚀 ❤️ 🤖", "fonts-noto-color-emoji"),
}


def laid_out_lines(block: QTextBlock):
    layout = block.layout()
    return [layout.lineAt(number) for number in range(layout.lineCount())]


def missing_glyphs(block: QTextBlock) -> str:
    """The characters of a laid-out block that came out as the empty glyph (index 0)."""
    retrieve = QTextLayout.GlyphRunRetrievalFlag
    flags = retrieve.RetrieveGlyphIndexes | retrieve.RetrieveStringIndexes
    # String indexes count UTF-16 units: an emoji is two of them.
    units = block.text().encode("utf-16-le")
    missing = []
    for line in laid_out_lines(block):
        for run in line.glyphRuns(-1, -1, flags):
            for glyph, index in zip(run.glyphIndexes(), run.stringIndexes()):
                if glyph == 0:
                    missing.append(units[2 * index : 2 * index + 4].decode("utf-16-le", errors="ignore")[:1])
    # Variation selectors and joiners ask for a presentation; they draw nothing of their own.
    return "".join(char for char in dict.fromkeys(missing) if char not in "\ufe0f\u200d")


def covered_anywhere(chars: str) -> bool:
    """Whether every character has some installed font with a glyph for it."""
    fonts = [QRawFont.fromFont(QFont(family)) for family in QFontDatabase.families()]
    return all(any(font.supportsCharacter(ord(char)) for font in fonts) for char in chars)


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_render_with_a_real_glyph_for_every_character(qtbot, pane, script):
    sample, package = SCRIPTS[script]
    pane.show()
    qtbot.waitExposed(pane)
    stream(pane, f"Say it in {script}", sample, note="")
    block = block_with(pane, sample.split()[0])
    pane.chat.document().documentLayout().blockBoundingRect(block)  # lay the block out now
    assert laid_out_lines(block), "nothing was laid out"
    missing = missing_glyphs(block)
    if missing and not covered_anywhere(missing):
        pytest.skip(f"no installed font has {missing} ({script}): the Debian package {package} provides one")
    assert missing == "", f"a font here has {missing} but the pane drew empty boxes"


def test_a_poem_keeps_its_lines_and_code_keeps_its_own():
    from PySide6.QtGui import QPalette

    from gui.widgets.markdown_view import render_markdown

    poem = "A lone sail in the waves,\nA fleeting calm between storms,\nThe sea is still.\n\n```\nx = 1\ny = 2\n```"
    text = render_markdown(poem, QPalette()).toPlainText()
    assert text.startswith("A lone sail in the waves,\nA fleeting calm between storms,\nThe sea is still.")
    assert "x = 1\ny = 2" in text and "x = 1  " not in text
