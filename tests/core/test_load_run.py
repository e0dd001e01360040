"""A Load run against a real loopback server: N requests at once, their throughput, TTFT spread and errors."""

import json
import threading
import time

import pytest

from fault_server import fault_server, response_head, sse
from gui.core.load_run import format_levels, largest_within, run_level
from gui.core.params import SamplingParams
from gui.core.served import Server, client

SAMPLING = SamplingParams(temperature=0.0, max_tokens=20)
LOOP = None


@pytest.fixture(autouse=True)
def on_the_apps_loop(event_loop):
    global LOOP
    LOOP = event_loop


def streaming_server(refuse_every: int = 0):
    """Answers with five chunks and its usage; with `refuse_every` k, every k-th request gets a 500."""
    count = [0]
    lock = threading.Lock()
    in_flight = [0, 0]  # now, most at once

    def answer(request, wfile, _connection):
        with lock:
            count[0] += 1
            number = count[0]
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        try:
            if refuse_every and number % refuse_every == 0:
                wfile.write(response_head("500 Internal Server Error", "application/json") + b'{"error": "busy"}')
                return
            wfile.write(response_head("200 OK", "text/event-stream"))
            for text in "abcde":
                wfile.write(sse(json.dumps({"choices": [{"delta": {"content": text}, "finish_reason": None}]})))
                wfile.flush()
                time.sleep(0.02)
            wfile.write(sse(json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}],
                                        "usage": {"prompt_tokens": 4, "completion_tokens": 5}}), "[DONE]"))
        finally:
            with lock:
                in_flight[0] -= 1

    return answer, count, in_flight


def levels_at(url, ns):
    async def go():
        async with client() as http:
            return [await run_level(http, Server(url), "smol", ["one", "two", "three"], n, SAMPLING) for n in ns]
    return LOOP.run_until_complete(go())


def test_each_level_sends_its_requests_at_once_and_counts_their_tokens():
    answer, count, in_flight = streaming_server()
    with fault_server(answer) as (url, received):
        levels = levels_at(url, [1, 2, 4])
    assert [level.n for level in levels] == [1, 2, 4] and count[0] == 7
    assert in_flight[1] == 4  # the four of the last level were served at the same time
    assert [level.tokens for level in levels] == [5, 10, 20] and all(level.errors == 0 for level in levels)
    assert all(level.ttft.n == level.n and 0 < level.ttft.p50 <= level.ttft.p95 for level in levels)
    # Five chunks 20 ms apart, whatever N: four at once move about four times the tokens per second.
    assert levels[2].aggregate_tps > 2.5 * levels[0].aggregate_tps
    prompts = [json.loads(r.body)["messages"][0]["content"] for r in received[3:]]
    assert sorted(prompts) == ["one", "one", "three", "two"]  # the prompts in turn


def test_errors_are_counted_per_level_and_bar_it_from_the_bound():
    answer, _, _ = streaming_server(refuse_every=2)
    with fault_server(answer) as (url, _):
        (level,) = levels_at(url, [4])
    assert level.errors == 2 and level.tokens == 10 and "500 Internal Server Error" in level.error_texts[0]
    assert largest_within([level], ttft_bound_s=60) is None


def test_the_table_gives_the_largest_n_within_the_ttft_bound():
    answer, _, _ = streaming_server()
    with fault_server(answer) as (url, _):
        levels = levels_at(url, [1, 2])
    assert largest_within(levels, ttft_bound_s=60) == 2
    assert largest_within(levels, ttft_bound_s=0) is None
    table = format_levels(levels, ttft_bound_s=60)
    assert table.splitlines()[0].split() == ["N", "tok/s", "(all)", "TTFT", "P50", "TTFT", "P95", "errors"]
    assert table.splitlines()[-1] == "Largest N with TTFT P95 within 60 s and no error: 2"


def test_a_level_is_bounded():
    with pytest.raises(ValueError, match="1 to 64"):
        levels_at("http://127.0.0.1:9", [65])


def test_an_empty_answer_counts_as_a_failure():
    def empty(request, wfile, _connection):
        wfile.write(response_head("200 OK", "text/event-stream")
                    + sse(json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}]}), "[DONE]"))

    with fault_server(empty) as (url, _):
        (level,) = levels_at(url, [2])
    assert level.errors == 2 and level.tokens == 0 and "empty answer" in level.error_texts[0]
