"""Hostile chat templates in a real, loadable SmolLM2 copy: refused, and nothing they try ever runs."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from gguf_files import with_string
from gui.controllers.arena import Arena
from gui.core.chat import BUILTIN_FORMATS
from gui.core.engine import LlamaEngine
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.store import Store
from gui.widgets.main_window import MainWindow

pytestmark = pytest.mark.integration
SAMPLING = SamplingParams(temperature=0.0, max_tokens=12, seed=7)
LOAD = LoadParams(n_ctx=512, n_threads=1)
QUESTION = [{"role": "user", "content": "Name three colours."}]
SECRET = "canary-7f3e91-do-not-leak"
FALLBACK = "llama-2"  # SmolLM2 is a llama: the built-in format for its architecture
CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# Each tries to reach Python's internals, read a file or run a command; MARKER and CANARY become
# the paths of a file that must never appear and of a file that must never be read.
PAYLOADS = {
    "subclasses-popen": "{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
    "{% if c.__name__ == 'Popen' %}{{ c(['touch', 'MARKER']) }}{% endif %}{% endfor %}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "namespace-globals": "{{ namespace.__init__.__globals__.os.system('touch MARKER') }}",
    "template-context": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch MARKER') }}",
    # llama-cpp-python's sandbox renders this as nothing; the trial render refuses it outright.
    "template-context-read": "{{ self._TemplateReference__context }}" + CHATML,
    "attr-filter": "{{ ()|attr('__class__')|attr('__base__')|attr('__subclasses__')() }}",
    "format-string": "{{ '{0.__init__.__globals__[os].system}'.format(cycler) }}",
    "builtins-open": "{{ raise_exception.__globals__['__builtins__']['open']('CANARY').read() }}",
    "strftime-globals": "{{ strftime_now.__globals__.os.system('touch MARKER') }}",
    "open-call": "{{ open('CANARY').read() }}",
    "include-file": "{% include 'CANARY' %}",
    "extends-file": "{% extends 'CANARY' %}",
    "import-os": "{% import 'os' as os %}{{ os.system('touch MARKER') }}",
}
# Harmless on the trial chat; only a message holding the trigger reaches for os.system.
CONDITIONAL = (
    "{% if 'open sesame' in messages[-1]['content'] %}"
    "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}{% endif %}" + CHATML
)
_SPAWNING = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
             "os.startfile", "pty.spawn")


class AuditWatch:
    """Records, while switched on, every process start and every file event naming a watched file.

    Python's audit hooks cannot be removed, so the hook stays installed and checks `on`.
    """

    def __init__(self):
        self.on = False
        self.watched: tuple[str, ...] = ()
        self.seen: list[tuple[str, tuple]] = []

    def __call__(self, event: str, args: tuple) -> None:
        if not self.on:
            return
        if event.startswith(_SPAWNING) or (event.startswith(("open", "os.", "shutil.")) and self._names_watched(args)):
            self.seen.append((event, args))

    def _names_watched(self, args: tuple) -> bool:
        text = " ".join(str(arg) for arg in args)
        return any(name in text for name in self.watched)

    @contextmanager
    def watching(self, *paths: Path):
        """Record what happens inside the block; `paths` are the files no template may touch."""
        self.watched = tuple(path.name for path in paths)
        self.seen = []
        self.on = True
        try:
            yield self
        finally:
            self.on = False


_WATCH = AuditWatch()
sys.addaudithook(_WATCH)


@pytest.fixture
def audit():
    return _WATCH


@pytest.fixture
def traps(tmp_path):
    """(the marker a command would create, the canary file a template would read, the payload filler)."""
    marker = tmp_path / "hostile-marker"
    canary = tmp_path / "hostile-canary.txt"
    canary.write_text(SECRET)

    def fill(payload: str) -> str:
        return payload.replace("MARKER", str(marker)).replace("CANARY", str(canary))

    return marker, canary, fill


@pytest.fixture
def hostile_gguf(tmp_path, default_pair):
    """Makes full copies of SmolLM2 with the chat template given; deleted afterwards (94 MB each)."""
    made = []

    def make(template: str) -> Path:
        path = with_string(Path(default_pair[0]), tmp_path / f"hostile {len(made)}.gguf", "tokenizer.chat_template",
                           template)
        made.append(path)
        return path

    yield make
    for path in made:
        path.unlink(missing_ok=True)


def drain(stream) -> tuple[str, object]:
    """Consume a generate() stream: (its text, its Outcome)."""
    texts = []
    while True:
        try:
            texts.append(next(stream))
        except StopIteration as end:
            return "".join(texts), end.value


def test_the_audit_watch_sees_what_it_guards_against(audit, traps):
    marker, canary, _fill = traps
    with audit.watching(marker, canary):
        subprocess.run(["true"], check=True)
        canary.read_text()
    events = [event for event, _args in audit.seen]
    assert "subprocess.Popen" in events and "open" in events


def test_llama_cpp_python_renders_templates_in_jinja2s_immutable_sandbox():
    from jinja2.exceptions import SecurityError
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    for template in ("{{ ''.__class__.__mro__ }}", "{{ messages.append(1) }}"):  # the second: immutable only
        with pytest.raises(SecurityError):
            Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")(messages=QUESTION)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_hostile_template_is_refused_at_load_and_nothing_it_tries_runs(audit, traps, hostile_gguf, payload):
    from jinja2.exceptions import TemplateError
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    marker, canary, fill = traps
    path = hostile_gguf(fill(payload))
    engine = LlamaEngine()
    try:
        with audit.watching(marker, canary):
            model = engine.load(str(path), LOAD, lambda fraction: True)
            answer, outcome = drain(engine.generate(QUESTION, SAMPLING, 1, lambda: False))
            # llama-cpp-python's own render of the template, in its own sandbox, leaks nothing either.
            try:
                prompt = Jinja2ChatFormatter(template=fill(payload), eos_token="</s>", bos_token="<s>")(
                    messages=QUESTION
                ).prompt
            except (TemplateError, ValueError):
                prompt = ""
    finally:
        engine.close()
    assert model.chat_format.name == FALLBACK
    note = model.chat_format.note
    assert note.startswith("Chat template refused:") and f"the {FALLBACK} format stands in" in note
    assert "pick another built-in chat format" in note
    assert outcome.stop_reason in (StopReason.END_OF_TEXT, StopReason.MAX_TOKENS) and answer.strip()
    assert SECRET not in answer and SECRET not in prompt
    assert not marker.exists()
    assert audit.seen == []


def test_every_built_in_format_can_stand_in_for_a_refused_template(traps, hostile_gguf):
    _marker, _canary, fill = traps
    engine = LlamaEngine()
    try:
        engine.load(str(hostile_gguf(fill(PAYLOADS["cycler-globals"]))), LOAD, lambda fraction: True)
        for name in BUILTIN_FORMATS:
            assert engine.set_chat_format(name).name == name
            _answer, outcome = drain(engine.generate(QUESTION, SAMPLING, 1, lambda: False))
            assert outcome.stop_reason in (StopReason.END_OF_TEXT, StopReason.MAX_TOKENS, StopReason.STOP_STRING), name
    finally:
        engine.close()


def test_a_good_template_passes_the_trial(hostile_gguf, default_pair):
    engine = LlamaEngine()
    try:
        model = engine.load(str(hostile_gguf(CHATML)), LOAD, lambda fraction: True)
    finally:
        engine.close()
    assert model.chat_format.name is None and model.chat_format.note == "Chat template: the file's own."


@pytest.fixture
def arena(qtbot, event_loop, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.blind_action.setChecked(False)
    window.settings.set_values(SAMPLING, LOAD)
    store = Store(tmp_path / "results.sqlite")
    made = Arena(window, store)
    yield made
    made.shutdown()
    store.close()


def load(qtbot, arena, path: Path) -> None:
    with qtbot.waitSignal(arena.sides[0].loaded, timeout=120_000):
        assert arena.choose_file(0, str(path))


def format_note(arena) -> str:
    return arena.pane_of(0).findChild(QLabel, "formatNote").text()


def test_the_pane_says_the_template_was_refused_before_anything_is_sent(qtbot, arena, event_loop, audit, traps,
                                                                       hostile_gguf):
    marker, canary, fill = traps
    path = hostile_gguf(fill(PAYLOADS["lipsum-globals"]))
    with audit.watching(marker, canary):
        load(qtbot, arena, path)
        note = format_note(arena)
        answers = event_loop.run_until_complete(arena.send("Name three colours."))
    assert "Chat template refused: it tried something unsafe" in note and "'__globals__'" in note
    assert "pick another built-in chat format" in note
    assert answers[0].stats.error is None and answers[0].text.strip()  # the built-in format answers
    assert not marker.exists() and audit.seen == []


def test_a_template_caught_only_when_it_renders_is_refused_in_the_pane(qtbot, arena, event_loop, audit, traps,
                                                                        hostile_gguf):
    marker, canary, fill = traps
    path = hostile_gguf(fill(CONDITIONAL))
    with audit.watching(marker, canary):
        load(qtbot, arena, path)
        assert format_note(arena) == "Chat template: the file's own."  # it passed the trial chat
        harmless = event_loop.run_until_complete(arena.send("Hello!"))
        triggered = event_loop.run_until_complete(arena.send("open sesame"))
    assert harmless[0].stats.error is None and harmless[0].text.strip()
    assert triggered[0].stats.stop_reason is StopReason.ERROR
    error = arena.pane_of(0).error_text()
    assert "Chat template refused: it tried something unsafe" in error
    assert "Pick a built-in chat format for this side." in error
    assert not marker.exists() and audit.seen == []

    # What the message says to do works: a built-in format answers the same message.
    with qtbot.waitSignal(arena.sides[0].formatChanged, timeout=10_000):
        arena.sides[0].set_chat_format("chatml")
    again = event_loop.run_until_complete(arena.send("open sesame"))
    assert again[0].stats.error is None and again[0].text.strip()
    assert not marker.exists()
