"""One answer pane: file choice, card, chat formats, loading, streaming text, errors and blind mode."""

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractButton, QComboBox, QFileDialog, QLabel, QProgressBar, QTextEdit, QWidget

from fakes import fake_card
from gui.core.memory import SideMemory
from gui.widgets.answer_pane import AnswerPane
from gui.widgets.gauges import GaugePanel

SMOL = "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA = "/models/gemma-3-270m-q4_k_m.gguf"


@pytest.fixture
def pane(qtbot):
    pane = AnswerPane("Left")
    qtbot.addWidget(pane)
    return pane


def card(**changes):
    return fake_card(SMOL, **changes)


def label(pane, name):
    return pane.findChild(QLabel, name)


def drag_events(paths_or_urls):
    mime = QMimeData()
    mime.setUrls([u if isinstance(u, QUrl) else QUrl.fromLocalFile(u) for u in paths_or_urls])
    # PySide 6.12 marks this, the only constructor it offers, as deprecated; the warning is filtered.
    enter = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    drop = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    # Events start accepted in Qt; a handler that does nothing must not pass for one that accepts.
    enter.ignore()
    drop.ignore()
    return mime, enter, drop


# The conversation


def test_thousand_appends_keep_the_whole_text_in_order(pane, monkeypatch):
    def whole_text_rewrite(*_):
        raise AssertionError("appending must not rewrite the whole text")

    monkeypatch.setattr(pane.chat, "setPlainText", whole_text_rewrite)
    pieces = [f"tok{i}" + ("\n" if i % 97 == 0 else " ") for i in range(1000)]
    pane.begin_answer("Count for me")
    for piece in pieces:
        pane.append_text(piece)
    assert pane.chat.toPlainText() == "You: Count for me\n\n" + "".join(pieces)
    # Nobody undoes a streamed answer; an undo stack would only grow with it.
    assert pane.chat.document().availableUndoSteps() == 0


def test_turns_follow_each_other_with_the_note(pane):
    pane.begin_answer("first?")
    pane.append_text("one")
    pane.end_answer("[stopped by user]")
    pane.begin_answer("second?")
    pane.append_text("two")
    pane.end_answer("")
    assert pane.chat.toPlainText() == (
        "You: first?\n\none\n[stopped by user]\n\nYou: second?\n\ntwo\n\n"
    )


def test_clear_chat_empties_the_view(pane):
    pane.begin_answer("q")
    pane.append_text("a")
    pane.clear_chat()
    assert pane.chat.toPlainText() == ""


def test_chat_is_read_only(pane):
    assert pane.chat.isReadOnly()


def test_a_long_line_without_spaces_wraps_instead_of_scrolling(qtbot, pane):
    pane.resize(400, 500)
    pane.show()
    qtbot.waitExposed(pane)
    pane.begin_answer("json please")
    pane.append_text('{"key":"' + "x" * 2000 + '"}')
    qtbot.wait(10)
    assert pane.chat.horizontalScrollBar().maximum() == 0
    assert pane.chat.document().lastBlock().layout().lineCount() > 5


def test_stream_follows_the_bottom_unless_the_reader_scrolled_up(qtbot, pane):
    pane.resize(400, 300)
    pane.show()
    qtbot.waitExposed(pane)
    pane.begin_answer("long")
    bar = pane.chat.verticalScrollBar()
    for i in range(200):
        pane.append_text(f"line {i}\n")
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()
    bar.setValue(0)
    pane.append_text("more\n")
    assert bar.value() == 0


# Errors


def test_show_error_keeps_the_chat_and_clear_error_hides_it(pane):
    pane.begin_answer("q")
    pane.append_text("partial answer")
    before = pane.chat.toPlainText()
    message = "Failed to load model from file: tensor 'blk.15.attn_output.weight' is not within the file bounds"
    pane.show_error(message)
    error = label(pane, "errorMessage")
    assert error.isVisibleTo(pane)
    assert error.text() == message
    assert error.wordWrap()
    assert error.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert pane.chat.toPlainText() == before
    pane.clear_error()
    assert not error.isVisibleTo(pane)
    assert pane.chat.toPlainText() == before


def test_error_is_plain_text_not_markup(pane):
    pane.show_error("<b>not bold</b>")
    assert label(pane, "errorMessage").textFormat() == Qt.TextFormat.PlainText


# Choosing a file


def test_model_list_shows_names_keeps_paths_and_emits_nothing(qtbot, pane):
    with qtbot.assertNotEmitted(pane.fileChosen):
        pane.set_model_list([SMOL, GEMMA], GEMMA)
    names = [pane.files.itemText(i) for i in range(pane.files.count())]
    assert names == ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"]
    assert pane.files.currentData() == GEMMA
    assert not pane.files.isEditable()


def test_current_file_outside_the_list_is_added(pane):
    pane.set_model_list([SMOL], "/elsewhere/own.gguf")
    assert pane.files.count() == 2
    assert pane.files.currentText() == "own.gguf"


def test_no_current_file_selects_nothing(pane):
    pane.set_model_list([SMOL, GEMMA], None)
    assert pane.files.currentIndex() == -1


def test_picking_from_the_list_emits_the_path(qtbot, pane):
    pane.set_model_list([SMOL, GEMMA], SMOL)
    with qtbot.waitSignal(pane.fileChosen, timeout=1000) as blocker:
        pane.files.setCurrentIndex(1)
    assert blocker.args == [GEMMA]


def test_browse_asks_for_gguf_files_and_emits_the_choice(qtbot, pane, monkeypatch):
    asked = []

    def fake_dialog(parent, caption, directory, filter):
        asked.append(filter)
        return "/picked/m.gguf", filter

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_dialog)
    with qtbot.waitSignal(pane.fileChosen, timeout=1000) as blocker:
        qtbot.mouseClick(pane.browse_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["/picked/m.gguf"]
    assert "*.gguf" in asked[0]
    assert pane.files.currentData() == "/picked/m.gguf"


def test_cancelled_browse_emits_nothing(qtbot, pane, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: ("", ""))
    with qtbot.assertNotEmitted(pane.fileChosen):
        pane.browse_button.click()


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_dropping_a_gguf_file_emits_its_path(qtbot, pane, tmp_path):
    path = str(tmp_path / "dropped.Q8_0.GGUF")
    _, enter, drop = drag_events([path])
    pane.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(pane.fileChosen, timeout=1000) as blocker:
        pane.dropEvent(drop)
    assert drop.isAccepted()
    assert blocker.args == [path]
    assert pane.files.currentData() == path


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
@pytest.mark.parametrize(
    "urls",
    [
        ["/tmp/notes.txt"],
        ["/tmp/a.gguf", "/tmp/b.gguf"],
        [QUrl("https://example.org/m.gguf")],
    ],
    ids=["text file", "two files", "remote url"],
)
def test_other_drops_are_refused(qtbot, pane, urls):
    _, enter, drop = drag_events(urls)
    pane.dragEnterEvent(enter)
    assert not enter.isAccepted()
    with qtbot.assertNotEmitted(pane.fileChosen):
        pane.dropEvent(drop)
    assert not drop.isAccepted()


def test_the_chat_view_leaves_drops_to_the_pane(pane):
    assert pane.acceptDrops()
    assert not pane.chat.acceptDrops()


# What the file is


def test_card_says_what_the_file_is(pane):
    pane.show_card(card())
    text = label(pane, "card").text()
    for part in ("SmolLM2 135M Instruct", "llama", "135M params", "Q4_1", "93.8 MiB", "8,192", "chat template: in file"):
        assert part in text


def test_card_without_template_name_or_context(pane):
    pane.show_card(card(name=None, chat_template=None, context_length=None, file_size=3 * 1024**3))
    text = label(pane, "card").text()
    assert "chat template: none" in text
    assert "trained context —" in text
    assert "3.00 GiB" in text
    assert text.startswith("llama")


def test_clear_card_forgets_the_file(pane):
    pane.show_card(card())
    pane.clear_card()
    assert "SmolLM2" not in label(pane, "card").text()


# Chat format


def test_chat_formats_offer_auto_first_and_emit_the_choice(qtbot, pane):
    pane.set_chat_formats(["chatml", "gemma"])
    items = [pane.chat_formats.itemText(i) for i in range(pane.chat_formats.count())]
    assert items == ["auto", "chatml", "gemma"]
    with qtbot.waitSignal(pane.chatFormatChosen, timeout=1000) as blocker:
        pane.chat_formats.setCurrentIndex(2)
    assert blocker.args == ["gemma"]
    with qtbot.waitSignal(pane.chatFormatChosen, timeout=1000) as blocker:
        pane.chat_formats.setCurrentIndex(0)
    assert blocker.args == [""]


def test_new_format_list_keeps_the_pick_silently(qtbot, pane):
    pane.set_chat_formats(["chatml", "gemma"])
    pane.chat_formats.setCurrentIndex(2)
    with qtbot.assertNotEmitted(pane.chatFormatChosen):
        pane.set_chat_formats(["gemma", "llama-3"])
    assert pane.chat_formats.currentText() == "gemma"
    with qtbot.assertNotEmitted(pane.chatFormatChosen):
        pane.set_chat_formats(["llama-3"])
    assert pane.chat_formats.currentText() == "auto"


def test_format_note(pane):
    pane.set_format_note("No template in file: using the gemma format for its architecture")
    assert label(pane, "formatNote").text().startswith("No template in file")


# Loading


def test_progress_and_cancel_show_only_while_loading(qtbot, pane):
    progress = pane.findChild(QProgressBar, "loadProgress")
    assert not progress.isVisibleTo(pane)
    assert not pane.cancel_button.isVisibleTo(pane)
    pane.set_loading(0.5)
    assert progress.isVisibleTo(pane)
    assert pane.cancel_button.isVisibleTo(pane)
    assert progress.value() == progress.maximum() // 2
    with qtbot.waitSignal(pane.cancelLoadRequested, timeout=1000):
        qtbot.mouseClick(pane.cancel_button, Qt.MouseButton.LeftButton)
    pane.set_loading(None)
    assert not progress.isVisibleTo(pane)
    assert not pane.cancel_button.isVisibleTo(pane)


def test_loaded_status_replaces_the_progress(pane):
    pane.set_loading(0.9)
    pane.set_loaded("loaded in 1.2 s")
    status = label(pane, "loadStatus")
    assert status.text() == "loaded in 1.2 s"
    assert status.isVisibleTo(pane)
    assert not pane.findChild(QProgressBar, "loadProgress").isVisibleTo(pane)


# Gauges, accessibility, focus


def test_gauges_live_in_the_pane(pane):
    assert isinstance(pane.gauges, GaugePanel)
    assert pane.isAncestorOf(pane.gauges)


def test_every_interactive_widget_has_an_accessible_name(pane):
    interactive = pane.findChildren(QComboBox) + pane.findChildren(QAbstractButton)
    interactive += pane.findChildren(QTextEdit) + pane.findChildren(QProgressBar)
    assert len(interactive) >= 6
    for widget in interactive:
        assert widget.accessibleName(), widget


def test_accessible_names_say_which_side(qtbot):
    right = AnswerPane("Right")
    qtbot.addWidget(right)
    assert right.files.accessibleName() == "Right model file"


def test_tab_goes_down_the_pane(pane):
    wanted = [pane.files, pane.browse_button, pane.chat_formats, pane.cancel_button, pane.chat]
    order: list[QWidget] = []
    widget = pane.files
    while True:
        if widget in wanted:
            order.append(widget)
        widget = widget.nextInFocusChain()
        if widget is pane.files:
            break
    assert order == wanted


# Blind mode

# What a rater must not see in blind mode: file name, architecture, quantization, sizes, load time.
IDENTITY = ("SmolLM2", "Q4_1", "llama", "MiB", "135M", "gemma", ".gguf", "loaded in")
TRUNCATED = f"'{SMOL.rsplit('/', 1)[1]}' is truncated: the file is incomplete. Download it again."


def visible_texts(top: QWidget) -> str:
    """Every text a person (or a screen reader) can reach on the visible widgets under `top`."""
    texts = [top.windowTitle(), top.toolTip(), top.accessibleName()]
    for widget in top.findChildren(QWidget):
        if not widget.isVisibleTo(top):
            continue
        texts += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription(), widget.windowTitle()]
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        if isinstance(widget, QComboBox):
            texts.append(widget.currentText())
            for index in range(widget.count()):
                texts += [widget.itemText(index), str(widget.itemData(index, Qt.ItemDataRole.ToolTipRole) or "")]
    return "\n".join(texts)


@pytest.fixture
def known_pane(pane):
    """A pane that shows everything about its file: list, card, format, load status, memory, an error."""
    pane.set_model_list([SMOL, GEMMA], SMOL)
    pane.show_card(card())
    pane.set_chat_formats(["chatml", "llama-3"])
    pane.set_format_note("Chat template: the file's own (llama family).")
    pane.set_loaded("loaded in 0.31 s · context 2048")
    pane.gauges.set_model_memory(SideMemory(weights_bytes=96_600_000, context_bytes=150_000_000))
    pane.show_error(TRUNCATED)
    return pane


def test_the_known_pane_does_show_the_identity(known_pane):
    shown = visible_texts(known_pane)
    for text in IDENTITY:
        assert text in shown, text


def test_blind_pane_shows_nothing_that_names_the_model(known_pane):
    known_pane.set_blind(True)
    shown = visible_texts(known_pane).lower()
    for text in IDENTITY:
        assert text.lower() not in shown, text
    assert label(known_pane, "title").text() == "Left"
    assert not known_pane.gauges.isVisibleTo(known_pane)
    assert known_pane.chat.isVisibleTo(known_pane)


def test_blind_error_keeps_its_reason_but_not_the_file_name(known_pane):
    known_pane.set_blind(True)
    assert label(known_pane, "errorMessage").text() == "'[hidden]' is truncated: the file is incomplete. Download it again."
    # The caller still gets the message as reported.
    assert known_pane.error_text() == TRUNCATED
    known_pane.set_blind(False)
    assert label(known_pane, "errorMessage").text() == TRUNCATED


def test_leaving_blind_mode_shows_everything_again(known_pane):
    known_pane.set_blind(True)
    known_pane.set_blind(False)
    shown = visible_texts(known_pane)
    for text in IDENTITY:
        assert text in shown, text
    assert known_pane.gauges.isVisibleTo(known_pane)
    assert known_pane.browse_button.isVisibleTo(known_pane)


def test_a_load_still_shows_its_progress_when_blind(known_pane):
    known_pane.set_blind(True)
    known_pane.set_loading(0.5)
    assert known_pane.findChild(QProgressBar, "loadProgress").isVisibleTo(known_pane)
    known_pane.set_loaded("loaded in 0.40 s")
    assert not label(known_pane, "loadStatus").isVisibleTo(known_pane)
    known_pane.set_blind(False)
    assert label(known_pane, "loadStatus").isVisibleTo(known_pane)


def test_blind_mode_leaves_nothing_to_tab_to_but_the_answer(known_pane):
    known_pane.clear_error()
    known_pane.set_blind(True)
    known_pane.show()
    focusable = [
        w for w in known_pane.findChildren(QWidget) if w.isVisible() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
    ]
    assert focusable == [known_pane.chat]


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_drops_are_refused_while_blind(qtbot, pane):
    pane.set_blind(True)
    # The events only point at their mime data: it must outlive them.
    _blind_mime, enter, drop = drag_events([GEMMA])
    pane.dragEnterEvent(enter)
    assert not enter.isAccepted()
    with qtbot.assertNotEmitted(pane.fileChosen):
        pane.dropEvent(drop)
    assert not drop.isAccepted()
    pane.set_blind(False)
    _seen_mime, enter_again, _ = drag_events([GEMMA])
    pane.dragEnterEvent(enter_again)
    assert enter_again.isAccepted()


def test_reveal_names_the_model_and_shows_the_gauges_only(known_pane):
    known_pane.set_blind(True)
    known_pane.reveal("SmolLM2-135M-Instruct.Q4_1")
    assert label(known_pane, "title").text() == "Left — SmolLM2-135M-Instruct.Q4_1"
    assert known_pane.gauges.isVisibleTo(known_pane)
    # The rest stays hidden until the caller leaves blind mode.
    assert not known_pane.files.isVisibleTo(known_pane)
    assert not label(known_pane, "card").isVisibleTo(known_pane)


def test_conceal_undoes_reveal(known_pane):
    known_pane.set_blind(True)
    known_pane.reveal("SmolLM2-135M-Instruct.Q4_1")
    known_pane.conceal()
    assert label(known_pane, "title").text() == "Left"
    assert not known_pane.gauges.isVisibleTo(known_pane)
    shown = visible_texts(known_pane).lower()
    for text in IDENTITY:
        assert text.lower() not in shown, text


def test_conceal_outside_blind_mode_keeps_the_gauges(known_pane):
    known_pane.reveal("x")
    known_pane.conceal()
    assert known_pane.gauges.isVisibleTo(known_pane)
