"""A side whose model is served: it loads and answers on the event loop, through the same queue and signals as a file."""

import json
import time

import pytest

from fakes import FakeEngine
from fault_server import fault_server, response_head, sse
from gui.bridge.pump import TokenPump
from gui.bridge.side import LoadFailed, Side
from gui.core.metrics import CLIENT_CLOCK, SERVER_TIMINGS, StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.served import Server, served_source

SAMPLING = SamplingParams(temperature=0.0, max_tokens=50)


def chunk(text=None, finish=None):
    return json.dumps({"choices": [{"delta": {"content": text} if text else {}, "finish_reason": finish}]})


def server_answer(pieces=("Par", "is", "."), pause_s=0.01, models=("smol",)):
    """GET /v1/models lists `models`; a chat streams `pieces`, then ends."""
    def answer(request, wfile, _connection):
        if request.path.endswith("/models"):
            wfile.write(response_head("200 OK", "application/json")
                        + json.dumps({"data": [{"id": model} for model in models]}).encode())
            return
        if request.method == "GET":  # who it is: this server does not say
            wfile.write(response_head("404 Not Found", "application/json") + b"{}")
            return
        wfile.write(response_head("200 OK", "text/event-stream"))
        for piece in pieces:
            wfile.write(sse(chunk(piece)))
            wfile.flush()
            time.sleep(pause_s)
        wfile.write(sse(chunk(None, "stop"), "[DONE]"))
    return answer


@pytest.fixture
def side(qtbot, event_loop):
    """A side with a fake local engine, pumped as in the app; shut down after the test."""
    made = Side("a", FakeEngine([["lo", "cal"]]))
    pump = TokenPump([made])
    pump.start()
    yield made
    pump.stop()
    made.shutdown()


def test_a_served_model_loads_and_answers_through_the_queue(side, event_loop):
    shown = []
    side.textArrived.connect(shown.append)
    with fault_server(server_answer()) as (url, received):
        model = event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
        answer = event_loop.run_until_complete(side.answer("Capital of France?", SAMPLING, 1, False))
    assert model.identity["label"] == "smol" and model.identity["server"] == url
    assert model.card is None and model.chat_format.note.startswith("Chat template: the server's own (")
    assert "top_k and repeat_penalty are sent as extensions it may ignore" in model.chat_format.note
    assert answer.text == "Paris." and "".join(shown) == "Paris."
    assert answer.stats.tokens == 3 and answer.stats.decode_tps > 0 and answer.stats.error is None
    assert answer.stats.stop_reason is StopReason.END_OF_TEXT and answer.stats.first_after_load
    # This server tells no timings: the speed is the chunks' arrivals here, and nobody counted the prompt.
    assert (answer.stats.decode_source, answer.stats.prompt_source) == (CLIENT_CLOCK, None)
    # The conversation goes on as for a file: the next request carries the first turn.
    assert side.conversation.messages("", "And of Italy?")[-2] == {"role": "assistant", "content": "Paris."}
    # Find the model, ask who serves it (llama-server, vLLM, Ollama each answer one of these), then chat.
    assert [r.path for r in received] == ["/v1/models", "/props", "/version", "/api/version", "/v1/chat/completions"]


def test_an_unknown_model_fails_its_load_with_the_models_served(side, event_loop):
    with fault_server(server_answer(models=("gemma", "qwen"))) as (url, _), pytest.raises(LoadFailed) as failed:
        event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
    assert "serves no model 'smol': it serves gemma, qwen" in str(failed.value)
    assert side.model is None and not side.loading


def test_a_server_gone_mid_answer_keeps_the_text_marked_cut_off(side, event_loop):
    def half(request, wfile, connection):
        if request.path.endswith("/models"):
            return server_answer()(request, wfile, connection)
        wfile.write(response_head("200 OK", "text/event-stream") + sse(chunk("half")))

    with fault_server(half) as (url, _):
        event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
        answer = event_loop.run_until_complete(side.answer("Go on", SAMPLING, 1, False))
    assert answer.text == "half" and answer.stats.stop_reason is StopReason.CUT_OFF


def test_stop_ends_a_served_answer(side, event_loop):
    with fault_server(server_answer(pieces=["x"] * 300, pause_s=0.01)) as (url, _):
        event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
        side.textArrived.connect(lambda _text: side.stop())
        answer = event_loop.run_until_complete(side.answer("Count", SAMPLING, 1, False))
    assert answer.stats.stop_reason is StopReason.STOPPED_BY_USER and answer.stats.tokens < 300


def test_a_file_after_a_server_loads_on_the_thread_again(side, event_loop):
    with fault_server(server_answer()) as (url, _):
        event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
    model = event_loop.run_until_complete(side.load_model("/models/a.gguf", LoadParams()))
    answer = event_loop.run_until_complete(side.answer("Hi", SAMPLING, 1, False))
    assert model.source == "/models/a.gguf" and answer.text == "local"


def test_a_servers_own_timings_give_the_decode_speed(side, event_loop):
    timings = {"prompt_n": 12, "prompt_ms": 40.0, "predicted_n": 3, "predicted_ms": 60.0}

    def llama_server(request, wfile, connection):
        if request.method == "GET":
            return server_answer()(request, wfile, connection)
        wfile.write(response_head("200 OK", "text/event-stream"))
        wfile.write(sse(chunk("a"), chunk("b"), chunk("c", "stop"),
                        json.dumps({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3},
                                    "timings": timings}), "[DONE]"))

    with fault_server(llama_server) as (url, _):
        event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
        answer = event_loop.run_until_complete(side.answer("Hi", SAMPLING, 1, False))
    assert answer.stats.decode_tps == pytest.approx(50.0) and answer.stats.decode_source == SERVER_TIMINGS
    assert answer.stats.prompt_tps == pytest.approx(300.0) and answer.stats.prompt_source == SERVER_TIMINGS
    assert answer.stats.prompt_tokens == 12 and answer.stats.tokens == 3


def test_a_chat_format_picked_for_a_served_side_keeps_the_servers_own(side, event_loop, qtbot):
    changes = []
    side.formatChanged.connect(changes.append)
    with fault_server(server_answer()) as (url, _):
        side.load(served_source(Server(url), "smol"), LoadParams())
        side.set_chat_format("chatml")  # while it is still being reached: nothing to say yet
        event_loop.run_until_complete(side.load_model(served_source(Server(url), "smol"), LoadParams()))
    side.set_chat_format("chatml")
    assert [choice.note for choice in changes] == [side.model.chat_format.note]
    assert changes[0].note.startswith("Chat template: the server's own")
