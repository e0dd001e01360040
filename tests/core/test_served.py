"""The served-model client against a real loopback server that misbehaves on purpose: figures, sources, faults."""

import json
import socket
import threading
import time

import pytest

from fault_server import closed_port, fault_server, response_head, sse
from gui.core.backend import EngineError
from gui.core.metrics import StopReason
from gui.core.params import SamplingParams
from gui.core.served import (
    CLIENT_CLOCK,
    MAX_EVENT_BYTES,
    SERVER_TIMINGS,
    SERVER_USAGE,
    Server,
    client,
    list_models,
    stream_chat,
)

SAMPLING = SamplingParams(temperature=0.0, max_tokens=50, seed=3)
QUESTION = [{"role": "user", "content": "Hi"}]
LOOP = None  # the session's qasync loop (on_the_apps_loop)


def chunk(text: str | None = None, finish: str | None = None, **extra) -> str:
    delta = {"content": text} if text is not None else {}
    return json.dumps({"choices": [{"delta": delta, "finish_reason": finish}], **extra})


def models_answer(request, wfile, _connection):
    wfile.write(response_head("200 OK", "application/json") + json.dumps(
        {"object": "list", "data": [{"id": "smol"}, {"id": "gemma"}]}).encode())


def streaming(*events: str, pause_s: float = 0.0):
    """An answer that streams these events, pausing between them."""
    def answer(request, wfile, _connection):
        wfile.write(response_head("200 OK", "text/event-stream"))
        for event in events:
            wfile.write(sse(event))
            wfile.flush()
            time.sleep(pause_s)
    return answer


@pytest.fixture(autouse=True)
def on_the_apps_loop(event_loop):
    """Every request runs on the qasync loop, as in the app."""
    global LOOP
    LOOP = event_loop


def run_stream(url: str, sampling=SAMPLING, should_stop=lambda: False, key_env=None, **kwargs):
    arrived = []

    async def go():
        async with client() as http:
            return await stream_chat(http, Server(url, key_env), "smol", QUESTION, sampling,
                                     lambda text, at: arrived.append((text, at)), should_stop, **kwargs)

    return LOOP.run_until_complete(go()), arrived


def test_lists_the_models_the_server_names():
    async def go(url):
        async with client() as http:
            return await list_models(http, Server(url + "/v1/"))

    with fault_server(models_answer) as (url, received):
        assert LOOP.run_until_complete(go(url)) == ["smol", "gemma"]
    assert received[0].path == "/v1/models"


def test_llama_server_figures_come_from_its_own_timings_and_usage():
    events = [chunk("Hel"), chunk("lo"), chunk(None, "stop"),
              json.dumps({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2},
                          "timings": {"prompt_n": 9, "prompt_ms": 30.0, "predicted_n": 2, "predicted_ms": 40.0}}),
              "[DONE]"]
    with fault_server(streaming(*events, pause_s=0.01)) as (url, received):
        outcome, arrived = run_stream(url)
    assert outcome.text == "Hello" and [text for text, _ in arrived] == ["Hel", "lo"]
    assert outcome.stop_reason is StopReason.END_OF_TEXT
    assert outcome.decode_tps.value == pytest.approx(50.0) and outcome.decode_tps.source == SERVER_TIMINGS
    assert outcome.prompt_s.value == pytest.approx(0.03) and outcome.prompt_s.source == SERVER_TIMINGS
    assert (outcome.prompt_tokens.value, outcome.prompt_tokens.source) == (9, SERVER_USAGE)
    assert (outcome.completion_tokens.value, outcome.completion_tokens.source) == (2, SERVER_USAGE)
    assert outcome.ttft_s > 0
    body = json.loads(received[0].body)
    assert body["stream"] and body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["max_tokens"], body["seed"], body["top_k"]) == (0.0, 50, 3, 40)
    assert outcome.unguaranteed == ("top_k", "repeat_penalty")


def test_without_server_figures_the_client_clock_times_the_chunks():
    with fault_server(streaming(chunk("a"), chunk("b"), chunk("c"), chunk(None, "length"), "[DONE]",
                                pause_s=0.02)) as (url, _):
        outcome, arrived = run_stream(url)
    assert outcome.stop_reason is StopReason.MAX_TOKENS
    assert outcome.decode_tps.source == CLIENT_CLOCK
    # Two gaps between three chunks, by their arrival times here.
    assert outcome.decode_tps.value == pytest.approx(2 / (arrived[-1][1] - arrived[0][1]))
    assert (outcome.completion_tokens.value, outcome.completion_tokens.source) == (3, CLIENT_CLOCK)
    assert outcome.prompt_tokens.value is None


def test_a_system_prompt_goes_first_and_a_named_key_is_sent(monkeypatch):
    monkeypatch.setenv("ARENA_TEST_KEY", "sekret")
    sampling = SamplingParams(system_prompt="Be brief.", max_tokens=5)
    with fault_server(streaming(chunk("x", "stop"), "[DONE]")) as (url, received):
        run_stream(url, sampling, key_env="ARENA_TEST_KEY")
    assert received[0].headers["authorization"] == "Bearer sekret"
    assert json.loads(received[0].body)["messages"][0] == {"role": "system", "content": "Be brief."}


def test_a_named_key_variable_that_is_unset_says_so(monkeypatch):
    monkeypatch.delenv("ARENA_TEST_KEY", raising=False)
    with fault_server(streaming("[DONE]")) as (url, received), pytest.raises(EngineError, match="ARENA_TEST_KEY is not set"):
        run_stream(url, key_env="ARENA_TEST_KEY")
    assert received == []  # nothing was sent without it


def test_the_public_url_never_carries_credentials():
    assert Server("https://kim:pw@gpu.example:8443/v1/").public_url() == "https://gpu.example:8443/v1"
    assert Server("http://127.0.0.1:8080").url("models") == "http://127.0.0.1:8080/v1/models"


def refusing(status: str, body: str = "", extra: str = ""):
    def answer(request, wfile, _connection):
        wfile.write(response_head(status, "application/json", extra) + body.encode())
    return answer


@pytest.mark.parametrize("status, body, words", [
    ("401 Unauthorized", "", "API key is missing or wrong"),
    ("403 Forbidden", "", "API key is missing or wrong"),
    ("404 Not Found", '{"error": "model not found"}', "has no model 'smol'"),
    ("500 Internal Server Error", '{"error": "CUDA out of memory"}', "500 Internal Server Error: {\"error\": \"CUDA out of memory\"}"),
    ("503 Service Unavailable", "loading model", "503 Service Unavailable: loading model"),
])
def test_a_refusal_says_what_the_server_answered(status, body, words):
    with fault_server(refusing(status, body)) as (url, _), pytest.raises(EngineError) as caught:
        run_stream(url)
    assert words in str(caught.value) and url.split("//")[1] in str(caught.value)


def test_a_429_is_tried_once_more_after_its_retry_after():
    answers = iter([refusing("429 Too Many Requests", "", "Retry-After: 0\r\n"),
                    streaming(chunk("ok", "stop"), "[DONE]")])
    with fault_server(lambda *args: next(answers)(*args)) as (url, received):
        outcome, _ = run_stream(url)
    assert outcome.text == "ok" and len(received) == 2


def test_a_second_429_is_told_not_retried_again():
    with fault_server(refusing("429 Too Many Requests", "", "Retry-After: 0\r\n")) as (url, received), \
            pytest.raises(EngineError, match="rate-limiting"):
        run_stream(url)
    assert len(received) == 2


def test_a_body_that_is_not_a_stream_is_refused():
    with fault_server(refusing("200 OK", '{"choices": []}')) as (url, _), \
            pytest.raises(EngineError, match="not a stream of server-sent events"):
        run_stream(url)


def test_a_chunk_that_is_not_json_is_refused():
    with fault_server(streaming(chunk("a"), "{not json")) as (url, _), pytest.raises(EngineError, match="not JSON"):
        run_stream(url)


def test_a_line_of_megabytes_is_refused():
    with fault_server(streaming(chunk("a"), "x" * (MAX_EVENT_BYTES + 1))) as (url, _), \
            pytest.raises(EngineError, match="bytes: not a chat chunk"):
        run_stream(url)


def test_a_stream_closed_mid_answer_keeps_its_text_and_is_marked_cut_off():
    with fault_server(streaming(chunk("half "), chunk("an answer"))) as (url, _):
        outcome, _ = run_stream(url)
    assert outcome.text == "half an answer"
    assert outcome.stop_reason is StopReason.CUT_OFF


def test_a_stream_that_never_ends_is_closed_past_max_tokens():
    with fault_server(streaming(*[chunk("x")] * 500, pause_s=0.001)) as (url, _):
        outcome, _ = run_stream(url, SamplingParams(max_tokens=20))
    assert outcome.chunks == 21 and outcome.stop_reason is StopReason.MAX_TOKENS


def test_the_figures_after_the_last_token_are_read_at_max_tokens():
    events = [chunk("x")] * 3 + [chunk(None, "length"), json.dumps(
        {"choices": [], "timings": {"prompt_n": 2, "prompt_ms": 10.0, "predicted_n": 3, "predicted_ms": 30.0}}),
        "[DONE]"]
    with fault_server(streaming(*events)) as (url, _):
        outcome, _ = run_stream(url, SamplingParams(max_tokens=3))
    assert outcome.stop_reason is StopReason.MAX_TOKENS and outcome.decode_tps.source == SERVER_TIMINGS


def test_a_stream_that_never_ends_is_closed_at_its_time_bound():
    with fault_server(streaming(*[chunk("x")] * 500, pause_s=0.05)) as (url, _):
        outcome, _ = run_stream(url, SamplingParams(max_tokens=10_000), time_limit_s=0.5)
    assert outcome.stop_reason is StopReason.TIME_LIMIT and 3 <= outcome.chunks <= 15


def test_stop_closes_the_request_within_one_chunk():
    asked = []

    def should_stop():
        asked.append(True)
        return len(asked) >= 5

    with fault_server(streaming(*[chunk("x")] * 200, pause_s=0.01)) as (url, _):
        outcome, _ = run_stream(url, should_stop=should_stop)
    assert outcome.stop_reason is StopReason.STOPPED_BY_USER and outcome.chunks == 5


def test_connection_refused_says_so():
    with pytest.raises(EngineError, match="Could not connect to http://127.0.0.1:.*is the server running"):
        run_stream(f"http://127.0.0.1:{closed_port()}")


def test_tls_to_a_plain_server_says_tls_failed():
    # A plain HTTP server answers the TLS greeting with plain text, as it would on a wrong scheme.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def answer_plainly():
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

        plain = threading.Thread(target=answer_plainly, daemon=True)
        plain.start()
        with pytest.raises(EngineError, match="the TLS connection failed"):
            run_stream(f"https://127.0.0.1:{listener.getsockname()[1]}")
        plain.join(5)


def test_the_suite_refuses_any_connection_off_loopback():
    # A documentation address (TEST-NET-1): conftest's audit hook stops it before a packet is sent.
    with socket.socket() as probe, pytest.raises(Exception, match="tried to reach 192.0.2.1") as caught:
        probe.connect(("192.0.2.1", 9))
    assert type(caught.value).__name__ == "LeftLoopback"
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.socket() as near:
        near.connect(listener.getsockname())  # loopback stays allowed


def who(path_answers: dict, header: str = "uvicorn"):
    """A server that answers GET paths from `path_answers` (JSON), 404 elsewhere, naming itself in its header."""
    def answer(request, wfile, _connection):
        path = request.path.split("?")[0]
        if path in path_answers:
            wfile.write(response_head("200 OK", "application/json", f"Server: {header}\r\n")
                        + json.dumps(path_answers[path]).encode())
        else:
            wfile.write(response_head("404 Not Found", "application/json", f"Server: {header}\r\n") + b"{}")
    return answer


@pytest.mark.parametrize("answers, name, n_ctx", [
    ({"/props": {"build_info": "b6000-abc", "default_generation_settings": {"n_ctx": 4096}}},
     "llama.cpp server b6000-abc", 4096),
    ({"/version": {"version": "0.11.0"}}, "vLLM 0.11.0", 0),
    ({"/api/version": {"version": "0.12.3"}}, "Ollama 0.12.3", 0),
    ({}, "OpenAI-compatible server (uvicorn)", 0),
])
def test_the_server_says_which_engine_it_is(answers, name, n_ctx):
    from gui.core.served import server_kind

    async def go(url):
        async with client() as http:
            return await server_kind(http, Server(url + "/v1"))

    with fault_server(who(answers)) as (url, received):
        kind = LOOP.run_until_complete(go(url))
    assert (kind.name, kind.n_ctx) == (name, n_ctx)
    assert all(not r.path.startswith("/v1") for r in received)  # asked at the server's root
