"""A side served by llama.cpp's own llama-server (built by `make llama-server` from the same llama.cpp), on loopback."""

import json
import os
from pathlib import Path

import pytest

from fault_server import closed_port, serving
from gui.core.cpu import cpu_info
from gui.core.metrics import SERVER_TIMINGS, SERVER_USAGE, StopReason
from gui.core.params import SamplingParams
from gui.core.served import Server, server_kind, stream_chat
from gui.core.sources import ServedParts

pytestmark = pytest.mark.integration
GREEDY = SamplingParams(temperature=0.0, max_tokens=32, seed=1)
QUESTION = [{"role": "user", "content": "Name three colours of the rainbow."}]


@pytest.fixture(scope="module")
def llama_server(default_pair, tmp_path_factory):
    """llama-server with SmolLM2 on a free loopback port, one thread; stopped after the module."""
    binary = os.environ.get("GGUF_ARENA_LLAMA_SERVER")
    if not binary or not Path(binary).is_file():
        pytest.fail("llama-server is not built: `make llama-server` builds it (`make test` does so first)")
    port = closed_port()
    # Its CPU weight buffers follow the app's rule: on an AMX CPU, no repacking (llama.cpp #20824).
    repack = ["--no-repack"] if cpu_info().has_amx else []
    command = [binary, "-m", default_pair[0], "--alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
               "-c", "1024", "-t", "1", *repack]
    with serving(command, f"http://127.0.0.1:{port}/v1", tmp_path_factory.mktemp("llama-server") / "server.log") as url:
        yield Server(url)


def test_the_decode_figure_is_the_servers_own_timings(llama_server, with_client):
    outcome = with_client(lambda http: stream_chat(http, llama_server, "smollm2", QUESTION, GREEDY,
                                                   lambda text, at: None, lambda: False))
    assert outcome.text.strip() and outcome.stop_reason in (StopReason.END_OF_TEXT, StopReason.MAX_TOKENS)
    assert outcome.decode_tps.source == SERVER_TIMINGS and outcome.prompt_tokens.source == SERVER_USAGE
    tokens, seconds = outcome.server_decode
    assert outcome.decode_tps.value == pytest.approx(tokens / seconds, rel=0.02)
    # The server's two counts of the answer agree, and match what streamed (one token a chunk on llama-server).
    assert tokens == outcome.completion_tokens.value == outcome.chunks


def test_the_server_says_it_is_llama_cpp_and_its_context(llama_server, with_client):
    kind = with_client(lambda http: server_kind(http, llama_server))
    assert kind.name.startswith("llama.cpp server b") and kind.n_ctx == 1024


def test_local_gemma_against_the_served_model_in_a_blind_round(make_arena, default_pair, llama_server, event_loop):
    arena = make_arena(blind=True)
    arena.rater = "tester"

    async def load_and_ask():
        ended = [side.load_ended() for side in arena.sides]
        assert arena.choose_file(0, default_pair[1])
        assert arena.choose_served(1 ^ arena.swapped, ServedParts(llama_server.base_url, "smollm2"))
        assert await asyncio_gather(ended) == [None, None]
        return await arena.send("Name three colours of the rainbow.")

    answers = event_loop.run_until_complete(load_and_ask())
    assert all(answer.text.strip() for answer in answers)
    served = arena.sides[1].model
    assert served.identity["server_kind"].startswith("llama.cpp server")
    assert answers[1].stats.decode_source == SERVER_TIMINGS
    assert answers[1].stats.decode_tps == pytest.approx(
        answers[1].counters.counter_eval_tokens / answers[1].counters.counter_eval_s, rel=0.02)
    vote = arena.cast_vote("tie", None, None, "")
    record = arena.store.round(vote.round_id)
    assert {record.left_model["label"], record.right_model["label"]} == {"gemma-3-270m-q4_k_m", "smollm2"}
    served_metrics = record.right_metrics if record.right_model["label"] == "smollm2" else record.left_metrics
    assert served_metrics["decode_source"] == SERVER_TIMINGS and served_metrics["server_kind"]
    assert json.dumps(record.environment)  # stored whole


async def asyncio_gather(futures):
    import asyncio

    return await asyncio.gather(*futures)
