"""The served-model client against llama-cpp-python's own OpenAI-compatible server, started on loopback with SmolLM2."""

import subprocess
import sys

import pytest

from fault_server import closed_port, serving
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.served import CLIENT_CLOCK, Server, list_models, stream_chat
from processes import ROOT

pytestmark = pytest.mark.integration
GREEDY = SamplingParams(temperature=0.0, max_tokens=24, seed=1)
QUESTION = [{"role": "user", "content": "Name three colours of the rainbow."}]


@pytest.fixture(scope="module")
def served_smollm2(default_pair, tmp_path_factory):
    """llama-cpp-python's server with SmolLM2 on a free loopback port; stopped after the module."""
    port = closed_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", default_pair[0], "--model_alias", "smollm2",
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "1",
               # Queue requests that come at once (its default ends the running one with nothing: see the Load run).
               "--interrupt_requests", "False"]
    # A file, not a pipe: llama.cpp's chatter would fill a pipe nobody reads and stall the server.
    with serving(command, f"http://127.0.0.1:{port}/v1", tmp_path_factory.mktemp("server") / "server.log") as url:
        yield Server(url.removesuffix("/v1"))


def test_lists_the_served_model(served_smollm2, with_client):
    assert with_client(lambda http: list_models(http, served_smollm2)) == ["smollm2"]


def test_streams_an_answer_timed_by_the_client_clock(served_smollm2, with_client):
    arrived = []
    outcome = with_client(lambda http: stream_chat(http, served_smollm2, "smollm2", QUESTION, GREEDY,
                                                   lambda text, at: arrived.append(at), lambda: False))
    assert outcome.text.strip() and outcome.chunks == len(arrived) > 1
    assert outcome.stop_reason in (StopReason.END_OF_TEXT, StopReason.MAX_TOKENS)
    # Seen here: this server's stream carries neither usage nor timings, even when asked for usage.
    assert outcome.decode_tps.source == CLIENT_CLOCK and outcome.decode_tps.value > 0
    assert 0 < outcome.ttft_s < 30


def test_the_same_seed_gives_the_same_greedy_answer(served_smollm2, with_client):
    texts = [with_client(lambda http: stream_chat(http, served_smollm2, "smollm2", QUESTION, GREEDY,
                                                  lambda text, at: None, lambda: False)).text for _ in range(2)]
    assert texts[0] == texts[1]


def test_stop_ends_the_answer_and_the_server_serves_the_next(served_smollm2, with_client):
    arrived = []
    long = SamplingParams(temperature=0.0, max_tokens=200)
    outcome = with_client(lambda http: stream_chat(http, served_smollm2, "smollm2", QUESTION, long,
                                                   lambda text, at: arrived.append(text), lambda: len(arrived) >= 3))
    assert outcome.stop_reason is StopReason.STOPPED_BY_USER and outcome.chunks == 3
    after = with_client(lambda http: stream_chat(http, served_smollm2, "smollm2", QUESTION, GREEDY,
                                                 lambda text, at: None, lambda: False))
    assert after.text.strip()


def test_a_side_streams_the_served_model_like_a_file(served_smollm2, qtbot, event_loop):
    from fakes import FakeEngine
    from gui.bridge.pump import TokenPump
    from gui.bridge.side import Side
    from gui.core.served import served_source

    side = Side("a", FakeEngine())
    pump = TokenPump([side])
    pump.start()
    shown = []
    side.textArrived.connect(shown.append)
    try:
        model = event_loop.run_until_complete(side.load_model(served_source(served_smollm2, "smollm2"),
                                                              LoadParams()))
        answer = event_loop.run_until_complete(side.answer("Name three colours of the rainbow.", GREEDY, 1, False))
    finally:
        pump.stop()
        side.shutdown()
    assert model.identity["fingerprint"] == f"served:{served_smollm2.public_url()}#smollm2"
    assert answer.text.strip() and "".join(shown) == answer.text
    assert answer.stats.tokens > 1 and answer.stats.decode_tps > 0 and answer.stats.ttft_s > 0
    assert answer.stats.stop_reason in (StopReason.END_OF_TEXT, StopReason.MAX_TOKENS)


def test_a_batch_runs_a_local_file_against_the_served_model(served_smollm2, default_pair, tmp_path):
    from gui.core.served import served_source
    from gui.core.store import Store

    db = tmp_path / "results.sqlite"
    suite = ROOT / "tests" / "fixtures" / "tiny.toml"
    done = subprocess.run(
        [sys.executable, "-m", "gui", "batch", "--left", default_pair[0],
         "--right", served_source(served_smollm2, "smollm2"), "--suite", str(suite), "--db", str(db),
         "--max-tokens", "8", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    assert "loaded smollm2 @ 127.0.0.1:" in done.stdout
    store = Store(db)
    try:
        rounds = store.rounds()
    finally:
        store.close()
    assert rounds and all(r.left_output or r.right_output for r in rounds)
    served = [side for r in rounds for side in (r.left_model, r.right_model) if side.get("server")]
    assert len(served) == len(rounds) and served[0]["fingerprint"] == f"served:{served_smollm2.public_url()}#smollm2"


def test_llama_cpp_pythons_server_is_named_by_its_header(served_smollm2, with_client):
    from gui.core.served import server_kind

    kind = with_client(lambda http: server_kind(http, served_smollm2))
    assert kind.name == "OpenAI-compatible server (uvicorn)" and kind.n_ctx == 0


def test_a_load_run_against_the_server_prints_its_table(served_smollm2):
    done = subprocess.run(
        [sys.executable, "-m", "gui", "load", "--url", served_smollm2.base_url, "--model", "smollm2",
         "--levels", "1,2,4", "--max-tokens", "16", "--ttft-bound", "30"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = done.stdout.splitlines()
    table = rows[rows.index(next(r for r in rows if r.strip().startswith("N "))):]
    assert [row.split()[0] for row in table[1:4]] == ["1", "2", "4"]
    assert all(row.split()[-1] == "0" for row in table[1:4])  # no errors
    assert table[-1] == "Largest N with TTFT P95 within 30 s and no error: 4"
    print("\n".join(table))  # the figures, for whoever runs this with -s
