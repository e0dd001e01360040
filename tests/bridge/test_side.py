"""The worker thread and its side: signal order, stop, stale requests, shutdown (with a fake engine)."""

import pytest

from fakes import FakeEngine
from gui.bridge.pump import TokenPump
from gui.bridge.side import Side
from gui.bridge.worker import TRACEBACK_HINT
from gui.core.backend import EngineError
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams


@pytest.fixture
def make_side(qtbot):
    """A side on its own thread, with a running pump; shut down after the test."""
    made = []

    def make(engine):
        side = Side("left", engine)
        pump = TokenPump([side])
        pump.start()
        made.append((side, pump))
        return side

    yield make
    for side, pump in made:
        pump.stop()
        side.shutdown()


def load(qtbot, side, path="/models/a.gguf"):
    with qtbot.waitSignal(side.loaded, timeout=5000):
        side.load(path, LoadParams())


def test_load_reports_progress_then_loaded_on_the_worker_thread(qtbot, make_side):
    engine = FakeEngine()
    side = make_side(engine)
    progress = []
    side.loadProgressed.connect(progress.append)
    load(qtbot, side)
    assert progress == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert side.model.card.path == "/models/a.gguf"
    assert "MainThread" not in engine.threads


def test_load_failure_carries_the_message(qtbot, make_side):
    side = make_side(FakeEngine(fail_load="not a GGUF file"))
    with qtbot.waitSignal(side.loadFailed, timeout=5000) as failed:
        side.load("/models/bad.gguf", LoadParams())
    assert failed.args == ["not a GGUF file"]
    assert side.model is None and not side.loading


def test_load_can_be_cancelled(qtbot, make_side):
    side = make_side(FakeEngine(load_delay_s=2.0))
    with qtbot.waitSignal(side.loadFailed, timeout=5000) as failed:
        side.load("/models/slow.gguf", LoadParams())
        side.cancel_load()
    assert failed.args == ["Load cancelled."]


class BuggyEngine(FakeEngine):
    """A fake engine with a bug: its load, its answer or its parting raises an error that is no EngineError."""

    def __init__(self, broken: str):
        super().__init__([["x", "y"]])
        self.broken = broken

    def load(self, path, params, on_progress, card=None):
        if self.broken == "load":
            raise RuntimeError("index out of range")
        return super().load(path, params, on_progress, card)

    def generate(self, messages, sampling, n_threads, should_stop, *, reuse_prefix=True):
        yield "x"
        raise RuntimeError("index out of range")

    def parting(self, messages, answer_ids, index, k=5):
        raise RuntimeError("index out of range")


def test_an_unexpected_load_error_names_the_file_and_what_to_do(qtbot, make_side):
    side = make_side(BuggyEngine("load"))
    with qtbot.waitSignal(side.loadFailed, timeout=5000) as failed:
        side.load("/models/odd.gguf", LoadParams())
    (message,) = failed.args
    assert message.startswith("'odd.gguf' did not load: something unexpected went wrong (index out of range).")
    assert "Load it again" in message and message.endswith(TRACEBACK_HINT)
    assert side.model is None and not side.loading


def test_an_unexpected_error_while_answering_names_the_file_and_what_to_do(qtbot, make_side):
    side = make_side(BuggyEngine("generate"))
    load(qtbot, side, "/models/odd.gguf")
    with qtbot.waitSignal(side.answerFinished, timeout=5000) as finished:
        side.ask("hi", SamplingParams(), n_threads=1, contended=False)
    answer = finished.args[0]
    assert answer.stats.stop_reason is StopReason.ERROR and answer.text == "x"
    assert answer.stats.error.startswith("'odd.gguf' failed while answering: something unexpected went wrong")
    assert "Ask again" in answer.stats.error and answer.stats.error.endswith(TRACEBACK_HINT)


def test_answer_streams_in_order_and_is_counted_in_tokens(qtbot, make_side):
    pieces = ["Hel", "lo", "", " wor", "ld"]  # "" is a token whose character is not complete yet
    side = make_side(FakeEngine([pieces], token_delay_s=0.01))
    load(qtbot, side)
    texts, events = [], []
    side.textArrived.connect(texts.append)
    side.answerStarted.connect(lambda text: events.append(("started", text)))
    side.answerFinished.connect(lambda answer: events.append(("finished", answer)))
    with qtbot.waitSignal(side.answerFinished, timeout=5000):
        side.ask("hi", SamplingParams(), n_threads=1, contended=False)
    assert [name for name, _ in events] == ["started", "finished"]
    answer = events[1][1]
    assert "".join(texts) == answer.text == "Hello world"
    assert answer.stats.tokens == 5
    assert answer.stats.stop_reason is StopReason.END_OF_TEXT
    assert answer.stats.decode_tps > 0 and answer.stats.ttft_s > 0
    assert answer.stats.first_after_load
    assert side.conversation.turns == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello world"},
    ]


def test_follow_up_continues_the_conversation_and_new_chat_forgets_it(qtbot, make_side):
    engine = FakeEngine([["one"], ["two"], ["three"]])
    side = make_side(engine)
    load(qtbot, side)
    for text in ("first", "second"):
        with qtbot.waitSignal(side.answerFinished, timeout=5000):
            side.ask(text, SamplingParams(system_prompt="Be brief."), 1, False)
    sent = engine.calls[-1][1]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    side.new_chat()
    with qtbot.waitSignal(side.answerFinished, timeout=5000) as finished:
        side.ask("third", SamplingParams(), 1, False)
    assert engine.calls[-1][1] == [{"role": "user", "content": "third"}]
    assert not finished.args[0].stats.first_after_load


def test_stop_ends_the_answer_early(qtbot, make_side):
    side = make_side(FakeEngine([["x"] * 500], token_delay_s=0.01))
    load(qtbot, side)
    with qtbot.waitSignal(side.answerFinished, timeout=10000) as finished:
        side.ask("go", SamplingParams(max_tokens=1000), 1, False)
        qtbot.waitUntil(lambda: side.live_tokens >= 5, timeout=5000)
        side.stop()
    answer = finished.args[0]
    assert answer.stats.stop_reason is StopReason.STOPPED_BY_USER
    assert 5 <= answer.stats.tokens < 100


def test_late_output_of_a_superseded_request_is_dropped(qtbot, make_side):
    side = make_side(FakeEngine([["old"] * 200, ["new"]], token_delay_s=0.005))
    load(qtbot, side)
    texts, finished = [], []
    side.textArrived.connect(texts.append)
    side.answerFinished.connect(finished.append)
    side.ask("first", SamplingParams(max_tokens=1000), 1, False)
    qtbot.waitUntil(lambda: side.live_tokens >= 3, timeout=5000)
    texts.clear()
    second = side.ask("second", SamplingParams(), 1, False)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=5000)
    qtbot.wait(100)
    assert [a.request_id for a in finished] == [second]
    assert "".join(texts) == "new"


def test_shutdown_closes_the_model_on_its_thread_and_ends_the_thread(qtbot):
    engine = FakeEngine([["x"] * 1000], token_delay_s=0.01)
    side = Side("right", engine)
    load(qtbot, side)
    side.ask("long", SamplingParams(max_tokens=1000), 1, False)
    qtbot.wait(50)
    side.shutdown()
    assert not side._thread.isRunning()
    assert engine.closed == 1
    assert "MainThread" not in engine.threads


def test_live_figures_stop_when_the_answer_ends(qtbot, make_side):
    side = make_side(FakeEngine([["x"] * 30], token_delay_s=0.01))
    load(qtbot, side)
    live = []
    side.liveUpdated.connect(live.append)
    with qtbot.waitSignal(side.answerFinished, timeout=5000):
        side.ask("go", SamplingParams(), 1, False)
    assert live, "the first token's figures are shown at once"
    live.clear()
    qtbot.wait(1300)
    assert live == []


def test_a_local_answer_says_where_its_figures_came_from(qtbot, make_side):
    side = make_side(FakeEngine([["a", "b", "c"]], token_delay_s=0.01))
    load(qtbot, side)
    with qtbot.waitSignal(side.answerFinished, timeout=5000) as finished:
        side.ask("Hi", SamplingParams(), 1, False)
    stats = finished.args[0].stats
    assert (stats.decode_source, stats.prompt_source) == ("token timestamps", "llama.cpp counters")


def test_the_parting_is_read_on_the_worker_thread_with_the_answers_own_messages(qtbot, make_side, event_loop):
    engine = FakeEngine([["Par", "is", "."]])
    side = make_side(engine)
    load(qtbot, side)

    async def answer_then_part():
        answer = await side.answer("Capital?", SamplingParams(), n_threads=1, contended=False)
        return answer, await side.parting(side.last_messages, answer.counters.token_ids, 1)

    answer, parting = event_loop.run_until_complete(answer_then_part())
    assert (parting.index, parting.before, parting.chosen) == (1, "Par", "is")
    assert engine.calls[-1] == ("parting", [{"role": "user", "content": "Capital?"}], answer.counters.token_ids, 1)
    assert len(engine.threads) == 1 and "MainThread" not in engine.threads  # load, answer, parting: one thread


def test_a_parting_the_engine_cannot_read_is_an_engine_error(qtbot, make_side, event_loop):
    side = make_side(BuggyEngine("parting"))
    load(qtbot, side)
    with pytest.raises(EngineError, match="Where the answers part could not be read"):
        event_loop.run_until_complete(side.parting([{"role": "user", "content": "hi"}], (1, 2), 0))
