"""`make bench`: what the app costs the models and the GUI, on the default pair; writes build/bench.json."""

import asyncio
import dataclasses
import faulthandler
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

# Set before gui is imported: Qt reads the platform, and results must never go to the user's data.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GGUF_ARENA_DATA", tempfile.mkdtemp(prefix="gguf-arena-bench-"))

from probes import (
    APP_WINDOW,
    BARE_WINDOW,
    StallProbe,
    TimedEngine,
    bare_decode,
    child_code,
    decode_tps,
    overlap_tps,
)

from gui.app import start_qt
from gui.bridge.pump import TokenPump
from gui.bridge.rounds import PARALLEL, SEQUENTIAL, Round, SideRequest
from gui.bridge.side import Side
from gui.core.cpu import weights_text
from gui.core.engine import model_defaults
from gui.core.identity import environment
from gui.core.params import LoadParams, SamplingParams
from gui.core.store import Store

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "bench.json"
MODELS = [ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf", ROOT / "models" / "gemma-3-270m-q4_k_m.gguf"]
PROMPT = "Write a long, detailed story about a lighthouse keeper and the sea, in many paragraphs."
N_CTX = 2048
REPS = 5  # runs per measurement, alternated; the best one counts (the machine is shared: noise only slows)
DECODE_TOKENS = 128
DECODE_THREADS = 1  # one thread: with two on two shared cores, a neighbour's load halves the rate at random
STREAM_TOKENS = 256
STARTUP_RUNS = 5
APPEND_BATCH_TOKENS = 30
APPEND_SAMPLES = 30  # fresh panes per size
APPEND_STREAMED = 10  # batches streamed onto each
APPEND_HELD = (100, 1000, 8000)  # 1,000 tokens already fill the pane: it tells repainting from growth
PHASE_TIMEOUT_S = 120  # one await (a load, an answer, a round)
WATCHDOG_S = 900  # the whole run, as a last resort: dump the stacks and exit
GREEDY = SamplingParams(temperature=0.0, top_k=1, repeat_penalty=1.0, max_tokens=DECODE_TOKENS, seed=0)
# (low, high) of each figure, as the performance issue sets them.
TARGETS = {
    "decode_ratio_vs_bare": (0.98, None),
    "reported_vs_counters": (0.98, 1.02),
    "parallel_efficiency": (0.9, None),
    "ui_stall_ms": (None, 16.0),
    "startup_ratio": (None, 2.0),
    "rss_mb_no_models": (None, 150.0),
    "append_cost_ratio": (None, 1.5),
    "remote_decode_ratio": (0.98, None),
    "remote_ttft_overhead_ms": (None, 5.0),
    "leaderboard_s_100k": (None, 1.0),
    "ui_stall_ms.leaderboard_100k": (None, 16.0),
    "ui_stall_ms.choose_file_max": (None, 16.0),
    "ui_stall_ms.report_100k": (None, 16.0),
    "ui_stall_ms.history_50k": (None, 16.0),
    "import_votes_s_100k": (None, 5.0),
    "quant_eval_ratio": (0.9, None),
}
REMOTE_TOKENS = 64
LEADERBOARD_REPS = 3  # the best one counts
CHOOSE_REPS = 5  # files chosen by hand in one stall record
QUANT_CTX = 512  # llama.cpp's perplexity default
QUANT_CHUNKS = 5  # per run: the first chunk's end starts the clock, so loads and warm-up are left out
QUANT_REPS = 3  # app and bare runs alternated; the best of each counts
HISTORY_ROUNDS = 50_000
HISTORY_SEARCH = "m17"  # typed a key at a time: each key a search, until typing pauses
HISTORY_KEY_GAP_S = 0.12  # a quick typist's pace, under the window's pause before searching


def large_votes() -> list:
    """100,000 seeded votes over 20 models, as the leaderboard's tests make them."""
    sys.path.insert(0, str(ROOT / "tests"))
    from seeded_votes import LARGE, seeded_votes

    return seeded_votes(*LARGE)


def label(path: Path) -> str:
    return path.stem  # what the app calls a model (gui.core.identity)


def run(awaitable, timeout: float = PHASE_TIMEOUT_S):
    """Run `awaitable` on the qasync loop, giving up after `timeout` seconds."""
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(awaitable, timeout))


def checked(answer):
    if answer is None or answer.stats.error:
        raise RuntimeError(f"an answer failed: {answer and answer.stats.error}")
    return answer


def decode_ratio_vs_bare(sides, engines, app_answers: dict) -> tuple[dict, dict]:
    """App decode tok/s (Side worker thread, as the app reports it) ÷ a bare greedy Llama.generate loop; best of REPS."""
    import llama_cpp

    figure, details = {}, {}
    for side, engine, path in zip(sides, engines, MODELS):
        # The bare loop loads with the app's weight buffers: on an AMX CPU llama.cpp's own default crashes.
        with model_defaults(side.model.runtime["weight_path"] == "repacked"):
            llm = llama_cpp.Llama(model_path=str(path), n_ctx=N_CTX, n_threads=DECODE_THREADS,
                                  n_threads_batch=DECODE_THREADS, verbose=True)
        answers, bare = [], []
        try:
            for _ in range(REPS):  # alternated, so drift in the machine's load hits both alike
                side.new_chat()
                answers.append(checked(run(side.answer(PROMPT, GREEDY, DECODE_THREADS, False, reuse_prefix=False))))
                bare.append(bare_decode(llm, engine.prompt, DECODE_TOKENS))  # the very tokens the engine rendered
        finally:
            llm.close()
        app_answers[label(path)] = answers
        app_tps = [a.stats.decode_tps for a in answers]
        bare_tps = [b["tps"] for b in bare]
        figure[label(path)] = max(app_tps) / max(bare_tps)
        # Each loop's tok/s ÷ llama.cpp's eval rate in the same run: what the loop adds to the model's own
        # time, free of the machine's speed drifting between runs (a shared core swings SmolLM2 ±20%).
        app_share = statistics.median(a.stats.decode_tps * a.counters.counter_eval_s / a.counters.counter_eval_tokens
                                      for a in answers)
        bare_share = statistics.median(b["tps"] / b["counter_tps"] for b in bare)
        details[label(path)] = {
            "app_tps": max(app_tps), "bare_tps": max(bare_tps), "app_tps_runs": app_tps, "bare_tps_runs": bare_tps,
            "app_tokens": [a.stats.tokens for a in answers], "bare_tokens": [b["tokens"] for b in bare],
            # the bare loop against llama.cpp's counters (the app's own: reported_vs_counters)
            "bare_vs_counters_runs": [b["tps"] / b["counter_tps"] for b in bare],
            "at_equal_eval_speed": app_share / bare_share,
            "threads": DECODE_THREADS, "max_tokens": DECODE_TOKENS, "prompt_tokens": len(engine.prompt),
        }
    return figure, details


def remote_runs() -> dict:
    """SmolLM2 on llama-cpp-python's own server on loopback: REPS answers through the app (a Side on the event
    loop, the token queue, the pump) alternated with REPS through a bare httpx loop; each one's TTFT and tok/s."""
    from gui.core.served import Server, chat_request, served_source

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tempfile.TemporaryFile("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(MODELS[0]), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(N_CTX), "--n_threads", str(DECODE_THREADS),
         "--interrupt_requests", "False"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    sampling = dataclasses.replace(GREEDY, max_tokens=REMOTE_TOKENS)
    side = Side("remote", TimedEngine())
    pump = TokenPump([side])
    pump.start()
    runs = {"app": [], "bare": []}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("llama-cpp-python's server did not start") from None
                time.sleep(0.2)
        run(side.load_model(served_source(Server(url), "smollm2"), LoadParams()))
        body = chat_request("smollm2", [{"role": "user", "content": PROMPT}], sampling)
        for _ in range(REPS):  # alternated, so drift in the machine's load hits both alike
            side.new_chat()
            answer = checked(run(side.answer(PROMPT, sampling, DECODE_THREADS, False, reuse_prefix=False)))
            runs["app"].append({"tps": answer.stats.decode_tps, "ttft_s": answer.stats.ttft_s,
                                "tokens": answer.stats.tokens})
            runs["bare"].append(run(bare_stream(url, body)))
    finally:
        pump.stop()
        side.shutdown()
        server.terminate()
        server.wait(30)
    return runs


async def bare_stream(url: str, body: dict) -> dict:
    """The same request by hand: httpx and the SSE lines, each content chunk stamped as it arrives."""
    async with httpx.AsyncClient(timeout=60) as http:
        sent = time.perf_counter()
        stamps = []
        async with http.stream("POST", f"{url}/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    for choice in json.loads(line[6:]).get("choices") or ():
                        if (choice.get("delta") or {}).get("content"):
                            stamps.append(time.perf_counter())
    return {"tps": (len(stamps) - 1) / (stamps[-1] - stamps[0]), "ttft_s": stamps[0] - sent, "tokens": len(stamps)}


def remote_decode_ratio(remote: dict) -> tuple[float, dict]:
    """The app's decode tok/s on a served model ÷ the bare loop's, medians of the alternated runs."""
    app, bare = (statistics.median(r["tps"] for r in remote[kind]) for kind in ("app", "bare"))
    return app / bare, {"app_tps": app, "bare_tps": bare, **remote}


def remote_ttft_overhead_ms(remote: dict) -> tuple[float, dict]:
    """The app's TTFT on a served model minus the bare loop's, medians, in ms (the network is loopback)."""
    app, bare = (statistics.median(r["ttft_s"] for r in remote[kind]) for kind in ("app", "bare"))
    return (app - bare) * 1000, {"app_ttft_s": app, "bare_ttft_s": bare}


def reported_vs_counters(app_answers: dict) -> tuple[dict, dict]:
    """The decode tok/s the app reports ÷ llama.cpp's counters (n_eval / t_eval) for the same answer; median of REPS."""
    figure, details = {}, {}
    for name, answers in app_answers.items():
        reported = [a.stats.decode_tps for a in answers]
        counters = [a.counters.counter_eval_tokens / a.counters.counter_eval_s for a in answers]
        ratios = [r / c for r, c in zip(reported, counters)]
        figure[name] = statistics.median(ratios)
        details[name] = {"reported_tps": reported, "counter_tps": counters, "ratios": ratios,
                         "counter_eval_tokens": [a.counters.counter_eval_tokens for a in answers]}
    return figure, details


def parallel_efficiency(sides, engines) -> tuple[dict, dict]:
    """Decode tok/s while both stream (Round PARALLEL, 1 thread each) ÷ alone (Round SEQUENTIAL, 1 thread); best of REPS.

    The parallel rate counts only the tokens made while the other side was also making tokens.
    """
    request = SideRequest(GREEDY, LoadParams(n_ctx=N_CTX, n_threads=1))
    rates = {SEQUENTIAL: ([], []), PARALLEL: ([], [])}
    for _ in range(REPS):
        for mode in (SEQUENTIAL, PARALLEL):
            for side in sides:
                side.new_chat()
            answers = run(Round(sides, PROMPT, mode, lambda _index: request).run())
            for answer in answers:
                if checked(answer).stats.threads != 1 or answer.stats.contended != (mode == PARALLEL):
                    raise RuntimeError(f"{mode} round ran with {answer.stats}")
            times = [engine.times for engine in engines]
            measured = overlap_tps(*times) if mode == PARALLEL else [decode_tps(t) for t in times]
            for runs, tps in zip(rates[mode], measured):
                runs.append(tps)
    figure, details = {}, {}
    for index, path in enumerate(MODELS):
        alone, together = max(rates[SEQUENTIAL][index]), max(rates[PARALLEL][index])
        figure[label(path)] = together / alone
        details[label(path)] = {"parallel_tps": together, "isolated_tps": alone, "threads": 1,
                                "parallel_tps_runs": rates[PARALLEL][index],
                                "isolated_tps_runs": rates[SEQUENTIAL][index]}
    return figure, details


async def _load_pair(arena) -> None:
    """Load the default pair through the arena, as the window does, and wait for both."""
    ended = [side.load_ended() for side in arena.sides]
    if len(await arena.load_pair(*map(str, MODELS))) != 2:
        raise RuntimeError("the arena refused a default model")
    errors = [error for error in await asyncio.gather(*ended) if error is not None]
    if errors:
        raise RuntimeError("; ".join(errors))


def ui_stall_ms() -> tuple[dict, dict]:
    """Lateness of a 5 ms GUI-thread timer in the real window (offscreen): while both load, while both stream."""
    from PySide6.QtWidgets import QApplication

    from gui.controllers.arena import Arena
    from gui.core.store import Store
    from gui.widgets.main_window import MainWindow

    window = MainWindow()
    window.chart.set_held(True)  # as gui.app does: the chart waits for the pair to load
    window.blind_action.setChecked(False)  # unblinded: the gauges and the chart update too
    window.settings.set_mode(PARALLEL)
    window.settings.set_values(dataclasses.replace(GREEDY, max_tokens=STREAM_TOKENS), LoadParams(n_ctx=N_CTX))
    store = Store(Path(tempfile.mkdtemp(prefix="gguf-arena-bench-")) / "results.sqlite")
    arena = Arena(window, store)
    gc.freeze()  # as gui.app.run_app does once the window and the arena are built
    probe = StallProbe()
    try:
        window.show()
        QApplication.processEvents()
        probe.start()
        run(_load_pair(arena))
        loading = probe.take()
        answers = run(arena.send(PROMPT))
        streaming = probe.take()
        for answer in answers:
            checked(answer)
    finally:
        probe.stop()
        arena.shutdown()
        store.close()
        window.close()
        window.deleteLater()
    figure = {"streaming_max": max(streaming), "streaming_p99": percentile(streaming, 99), "loading_max": max(loading)}
    details = {"streaming_ticks": len(streaming), "loading_ticks": len(loading),
               "streaming_p50": percentile(streaming, 50), "loading_p99": percentile(loading, 99),
               "streaming_top5": sorted(streaming)[-5:], "loading_top5": sorted(loading)[-5:],
               "tokens": [a.stats.tokens for a in answers], "decode_tps": [a.stats.decode_tps for a in answers],
               "threads": [a.stats.threads for a in answers]}
    return figure, details


def leaderboard_s_100k(votes: list) -> tuple[float, dict]:
    """Seconds to compute the leaderboard of 100,000 votes over 20 models, 1,000 bootstrap resamples; best of 3.

    From the votes in memory (the fit, the bootstrap, tallies and rater checks); reading them from the store
    is timed apart, since it is the same before and after any change to the statistics.
    """
    from gui.core.leaderboard import compute_leaderboard

    compute_leaderboard(votes[:100], bootstrap_rounds=1)  # imports scipy and statsmodels, once an app's life
    runs = []
    for _ in range(LEADERBOARD_REPS):
        started = time.perf_counter()
        board = compute_leaderboard(votes, bootstrap_rounds=1000)
        runs.append(time.perf_counter() - started)
    store = Store(Path(tempfile.mkdtemp(prefix="gguf-arena-bench-")) / "results.sqlite")
    try:
        store.add_votes(votes)
        started = time.perf_counter()
        store.votes()
        read_s = time.perf_counter() - started
    finally:
        store.close()
    return min(runs), {"runs_s": runs, "store_read_s": read_s, "votes": len(votes), "models": len(board.rows),
                       "resamples": 1000}


def leaderboard_stall_ms(votes: list) -> tuple[float, dict]:
    """Lateness of a 5 ms GUI-thread timer while Results › Leaderboard is computed and shown from a store of
    100,000 votes (the window already built once: its first opening imports matplotlib, as Design note 1 says)."""
    from PySide6.QtWidgets import QApplication

    from gui.controllers.results import Results
    from gui.widgets.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="gguf-arena-bench-"))
    store = Store(folder / "results.sqlite")
    store.add_votes(votes)
    window = MainWindow()
    results = Results(window, None, store, folder)
    results.leaderboard.show()
    QApplication.processEvents()
    gc.freeze()  # as gui.app.run_app does once the window and the arena are built
    probe = StallProbe()
    try:
        probe.start()
        started = time.perf_counter()
        run(results.show_leaderboard())
        QApplication.processEvents()  # the table and the chart painted
        shown_s = time.perf_counter() - started
        late = probe.take()
    finally:
        probe.stop()
        results.leaderboard.close()
        window.close()
        store.close()
    return max(late), {"ticks": len(late), "p99": percentile(late, 99), "top5": sorted(late)[-5:],
                       "shown_s": shown_s, "rows": results.leaderboard.standings.rowCount()}


async def _choose_by_hand(arena, path: Path) -> None:
    """Choose `path` in the Left pane as a person does (list, Browse…, drop, recent) and wait for its load."""
    ended = arena.sides[0].load_ended()
    arena.window.left.fileChosen.emit(str(path))
    error = await ended
    if error is not None:
        raise RuntimeError(error)


def choose_file_stall_ms() -> tuple[float, dict]:
    """Lateness of a 5 ms GUI-thread timer while Gemma 3 270M (262,144-word vocabulary) is chosen by hand, five
    times: from the pane's choice to its card shown and its load ended. The sides' engines are fakes: what a
    real load costs the GUI is ui_stall_ms.loading_max."""
    from PySide6.QtWidgets import QApplication

    from gui.controllers.arena import Arena
    from gui.widgets.main_window import MainWindow

    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import FakeEngine

    window = MainWindow()
    window.blind_action.setChecked(False)  # unblinded: the Left pane is side 0, and shows the card
    store = Store(Path(tempfile.mkdtemp(prefix="gguf-arena-bench-")) / "results.sqlite")
    arena = Arena(window, store, (FakeEngine(), FakeEngine()))
    gc.freeze()  # as gui.app.run_app does once the window and the arena are built
    probe = StallProbe()
    late = []
    try:
        window.show()
        QApplication.processEvents()
        # As the start-up pair is at start: the first choice of a session checks memory through psutil and NVML
        # for the first time (15 ms).
        run(arena.load_pair(str(MODELS[0]), None))
        for _ in range(CHOOSE_REPS):
            probe.start()
            run(asyncio.sleep(0.05))  # ticking before the choice, so a stall at the choice itself is seen
            run(_choose_by_hand(arena, MODELS[1]))
            QApplication.processEvents()  # the card painted
            late += probe.take()
            probe.stop()
    finally:
        probe.stop()
        arena.shutdown()
        store.close()
        window.close()
        window.deleteLater()
    return max(late), {"ticks": len(late), "p99": percentile(late, 99), "top5": sorted(late)[-5:],
                       "chosen": CHOOSE_REPS, "file": MODELS[1].name}


def report_stall_ms(votes: list) -> tuple[float, dict]:
    """Lateness of a 5 ms GUI-thread timer while Save report… writes the report from a store of 100,000 votes, as
    the charts window (already open, its charts drawn: the button is there) does."""
    from unittest import mock

    from PySide6.QtWidgets import QApplication

    from gui.controllers.results import Results
    from gui.widgets.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="gguf-arena-bench-"))
    store = Store(folder / "results.sqlite")
    store.add_votes(votes)
    window = MainWindow()
    results = Results(window, None, store, folder)
    run(results.show_charts())
    QApplication.processEvents()
    gc.freeze()  # as gui.app.run_app does once the window and the arena are built
    probe = StallProbe()
    try:
        # The "Report saved" box would wait for a click.
        with mock.patch("gui.controllers.results.QMessageBox.information"):
            probe.start()
            started = time.perf_counter()
            page = run(results.save_report())
            QApplication.processEvents()  # the charts painted
            shown_s = time.perf_counter() - started
            late = probe.take()
    finally:
        probe.stop()
        results.charts.close()
        window.close()
        store.close()
    if page is None:
        raise RuntimeError(f"no report: {results.charts.status.text()}")
    return max(late), {"ticks": len(late), "p99": percentile(late, 99), "top5": sorted(late)[-5:],
                       "saved_s": shown_s, "report_bytes": page.stat().st_size}


def history_stall_ms() -> tuple[float, dict]:
    """Lateness of a 5 ms GUI-thread timer while Results › History opens (built for the first time) on 50,000 seeded
    rounds with votes by three raters, then a search is typed a key at a time, until the rows answer it."""
    from types import SimpleNamespace

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gui.controllers.results import Results
    from gui.widgets.main_window import MainWindow

    sys.path.insert(0, str(ROOT / "tests"))
    from seeded_rounds import store_seeded_rounds

    folder = Path(tempfile.mkdtemp(prefix="gguf-arena-bench-"))
    store = Store(folder / "results.sqlite")
    store_seeded_rounds(store, HISTORY_ROUNDS)
    window = MainWindow()
    # A rater who cast a third of the votes: the others' votes on the other rounds are hidden from them.
    arena = SimpleNamespace(rater="ann", blind=False, chat_id="", revealed=True)
    results = Results(window, arena, store, folder)
    gc.freeze()  # as gui.app.run_app does once the window and the arena are built
    probe = StallProbe()
    try:
        probe.start()
        started = time.perf_counter()
        run(results.show_history())
        QApplication.processEvents()  # the rows painted
        opened_s = time.perf_counter() - started
        view = results.history
        started = time.perf_counter()
        for key in HISTORY_SEARCH:
            QTest.keyClick(view.search, key)
            run(asyncio.sleep(HISTORY_KEY_GAP_S))
        run(_until_current(view))
        QApplication.processEvents()
        searched_s = time.perf_counter() - started
        late = probe.take()
    finally:
        probe.stop()
        results.history.close()
        window.close()
        store.close()
    return max(late), {"ticks": len(late), "p99": percentile(late, 99), "top5": sorted(late)[-5:],
                       "opened_s": opened_s, "searched_s": searched_s, "count": view.count.text()}


async def _until_current(view) -> None:
    """Until the history window's rows answer its search."""
    while not view.status.isHidden():
        await asyncio.sleep(0.01)


def import_votes_s_100k(votes: list) -> tuple[float, dict]:
    """Seconds to import 100,000 votes in FastChat's battle format (JSON Lines) into an empty store, as File ›
    Import votes… does on the results thread: the file read whole and checked, then one transaction."""
    from gui.controllers.results import import_votes_file

    winners = {"left": "model_a", "right": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}
    folder = Path(tempfile.mkdtemp(prefix="gguf-arena-bench-"))
    battles = folder / "battles.jsonl"
    battles.write_text("".join(
        json.dumps({"question_id": number, "model_a": vote.model_left, "model_b": vote.model_right,
                    "winner": winners[vote.outcome.value], "judge": vote.rater, "tstamp": 1_700_000_000 + number})
        + "\n" for number, vote in enumerate(votes)))
    started = time.perf_counter()
    added, total = import_votes_file(folder / "results.sqlite", str(battles))
    seconds = time.perf_counter() - started
    if added != len(votes):
        raise RuntimeError(f"imported {added} of {total} votes")
    return seconds, {"votes": added, "file_bytes": battles.stat().st_size}


def startup_ratio() -> tuple[float, dict]:
    """Median time from before the first import to the first paint: the app's window ÷ a bare QMainWindow.

    Five `python -c` children each, alternated: MainWindow + Arena with no model, and a bare QMainWindow.
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    reports = {"app": [], "bare": []}
    for _ in range(STARTUP_RUNS):
        for name, window_code in (("app", APP_WINDOW), ("bare", BARE_WINDOW)):
            done = subprocess.run([sys.executable, "-c", child_code(window_code)], capture_output=True, text=True,
                                  timeout=60, env=env, cwd=ROOT, check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise RuntimeError(f"the {name} start-up child failed ({done.returncode}): {done.stderr[-2000:]}")
            reports[name].append(json.loads(lines[-1]))
    runs = {f"{name}_{figure}_runs": [r[figure] for r in reports[name]]
            for name in reports for figure in ("shown_s", "rss_mb")}
    app, bare = statistics.median(runs["app_shown_s_runs"]), statistics.median(runs["bare_shown_s_runs"])
    return app / bare, {"app_s": app, "bare_s": bare} | runs


def rss_mb_no_models(startup: dict) -> tuple[float, dict]:
    """Median RSS (MB, psutil) of the app's start-up children, window shown, no model loaded."""
    runs = startup["app_rss_mb_runs"]
    return statistics.median(runs), {"rss_mb_runs": runs, "bare_rss_mb": statistics.median(startup["bare_rss_mb_runs"])}


def _answer_text(tokens: int, start: int = 0) -> str:
    """`tokens` word-sized tokens of a story, with a paragraph break every 60."""
    words = PROMPT.lower().rstrip(".").replace(",", "").split()
    return "".join(" " + words[i % len(words)] + ("\n\n" if i % 60 == 59 else "") for i in range(start, start + tokens))


def append_cost_ratio() -> tuple[float, dict]:
    """Median time to append 30 tokens and repaint, in an AnswerPane holding 8,000 tokens ÷ holding 100 tokens.

    Each sample starts from a pane freshly filled to its size and streams a few batches onto it, as
    an answer does: taking a batch out again between samples (an earlier version did) scrolls the
    view back, so the next append repaints everything, which no stream ever does.
    """
    from PySide6.QtWidgets import QApplication

    from gui.widgets.answer_pane import AnswerPane

    app = QApplication.instance()
    pane = AnswerPane("Left")
    pane.resize(640, 800)
    pane.show()
    details = {"batch_tokens": APPEND_BATCH_TOKENS, "samples": APPEND_SAMPLES * APPEND_STREAMED}
    try:
        for held in APPEND_HELD:
            appends, totals = [], []
            for _ in range(APPEND_SAMPLES):
                pane.clear_chat()
                pane.begin_answer(PROMPT)
                pane.append_text(_answer_text(held))
                app.processEvents()
                for batch in range(APPEND_STREAMED):
                    text = _answer_text(APPEND_BATCH_TOKENS, start=held + batch * APPEND_BATCH_TOKENS)
                    started = time.perf_counter()
                    pane.append_text(text)
                    appended = time.perf_counter()
                    app.processEvents()  # the repaint is part of what a pump tick costs the GUI thread
                    totals.append(time.perf_counter() - started)
                    appends.append(appended - started)
            details[f"ms_at_{held}_tokens"] = statistics.median(totals) * 1000
            details[f"ms_append_only_at_{held}_tokens"] = statistics.median(appends) * 1000
    finally:
        pane.close()
        pane.deleteLater()
    return details["ms_at_8000_tokens"] / details["ms_at_100_tokens"], details


def quant_eval_ratio() -> tuple[float, dict]:
    """Tokens the app's quantization comparison evaluates per second, per model, ÷ llama.cpp's own prompt rate.

    The app (`quant.measure`, SmolLM2 against itself: one model, so one rate) decodes every chunk on both
    models and turns half of each chunk's rows into log-probabilities, KL and the rest; the bare rate is
    llama-cpp-python's `Llama.eval` of the same chunks on the same threads (one llama_decode a chunk, one
    logits row), timed around the call: llama.cpp's perf counters read nothing after `eval` (n_p_eval 0 in
    0.3.36). So the ratio is what scoring costs on top of evaluating.
    """
    import llama_cpp

    from gui.core.quant import SAMPLE_TEXT, measure, read_pair, read_text

    path, text = str(MODELS[0]), read_text(SAMPLE_TEXT)
    pair = read_pair(path, path)
    app_rates, bare_rates = [], []
    for _ in range(QUANT_REPS):
        stamps = []
        result = measure(pair, text, n_ctx=QUANT_CTX, max_chunks=QUANT_CHUNKS, n_threads=DECODE_THREADS,
                         on_progress=lambda done, planned: stamps.append(time.perf_counter()))
        per_chunk_s = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
        app_rates.append(2 * QUANT_CTX / per_chunk_s)  # both models evaluate the whole chunk
        bare = llama_cpp.Llama(path, n_ctx=QUANT_CTX, n_batch=QUANT_CTX, n_threads=DECODE_THREADS,
                               n_threads_batch=DECODE_THREADS, verbose=False)
        try:
            tokens = bare.tokenize(text.encode(), add_bos=True, special=False)
            rates = []
            for chunk in range(1, QUANT_CHUNKS):  # the first is warm-up, as in the app's clock
                bare.reset()
                llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(bare.ctx), True)
                started = time.perf_counter()
                bare.eval(tokens[chunk * QUANT_CTX : (chunk + 1) * QUANT_CTX])
                rates.append(QUANT_CTX / (time.perf_counter() - started))
            bare_rates.append(statistics.median(rates))
        finally:
            bare.close()
    details = {"app_tokens_per_s_per_model": app_rates, "bare_prompt_tokens_per_s": bare_rates,
               "tokens_scored_per_s": max(app_rates) / 2 * (QUANT_CTX - 1 - QUANT_CTX // 2) / QUANT_CTX,
               "model": label(MODELS[0]), "n_ctx": QUANT_CTX, "threads": DECODE_THREADS,
               "chunks_timed": QUANT_CHUNKS - 1, "tokens_scored": result.figures.tokens}
    return max(app_rates) / max(bare_rates), details


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def machine() -> dict:
    env = environment()
    return {key: env[key] for key in ("cpu", "cpu_features", "cores", "python", "llama_cpp_python", "os",
                                      "ram_bytes")} | {"load_average": os.getloadavg()}


def print_table(results: dict) -> None:
    """Each figure beside its target, PASS or MISS."""
    rows = []
    for key in ("decode_ratio_vs_bare", "reported_vs_counters", "parallel_efficiency", "ui_stall_ms",
                "startup_ratio", "rss_mb_no_models", "append_cost_ratio", "remote_decode_ratio",
                "remote_ttft_overhead_ms", "leaderboard_s_100k", "ui_stall_ms.leaderboard_100k",
                "ui_stall_ms.choose_file_max", "ui_stall_ms.report_100k", "ui_stall_ms.history_50k",
                "import_votes_s_100k", "quant_eval_ratio"):
        value = results.get(key)
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, figure in items:
            low, high = TARGETS[key]
            target = f"{low:g}–{high:g}" if low is not None and high is not None else (
                f">= {low:g}" if low is not None else f"<= {high:g}")
            met = figure is not None and (low is None or figure >= low) and (high is None or figure <= high)
            name = key if sub is None else f"{key} [{sub}]"
            shown = "—" if figure is None else f"{figure:.3f}"
            rows.append((name, shown, target, "PASS" if met else "MISS"))
    widths = [max(len(row[i]) for row in rows + [("figure", "value", "target", "")]) for i in range(3)]
    print(f"\n{'figure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}")
    for name, shown, target, verdict in rows:
        print(f"{name:<{widths[0]}}  {shown:>{widths[1]}}  {target:<{widths[2]}}  {verdict}")


def cpu_seconds() -> tuple[float, float]:
    """(CPU seconds every process used, CPU seconds this process and its children used) so far."""
    total, own = psutil.cpu_times(), psutil.Process().cpu_times()
    return (total.user + total.nice + total.system + total.irq + total.softirq,
            own.user + own.system + own.children_user + own.children_system)


def measure(results: dict, key: str, function, *args) -> None:
    """Run one figure's function into results[key] and results['details'][key]; a failure leaves None."""
    print(f"\n== {key}", flush=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    try:
        results[key], details = function(*args)
    except Exception as error:  # noqa: BLE001 - one broken figure must not cost the others
        traceback.print_exc()
        results[key], details = None, {"error": f"{type(error).__name__}: {error}"}
    wall = time.perf_counter() - started
    busy, own = (now - before for now, before in zip(cpu_seconds(), cpu))
    # Other processes' CPU use in cores: on 2 shared cores a neighbour's busy core halves a parallel round.
    details |= {"phase_s": wall, "others_cpu_cores": max(0.0, busy - own) / wall}
    results["details"][key] = details


def main() -> int:
    """Measure every figure in order, write build/bench.json, print the table."""
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    start_qt(os.environ["QT_QPA_PLATFORM"])
    results = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "details": {}}
    engines = [TimedEngine(), TimedEngine()]
    sides = [Side(name, engine) for name, engine in zip(("a", "b"), engines)]
    pump = TokenPump(sides)  # drains the token queues at 30 Hz, as in the app
    pump.start()
    app_answers: dict = {}
    try:
        try:
            for side, path in zip(sides, MODELS):
                run(side.load_model(str(path), LoadParams(n_ctx=N_CTX, n_threads=DECODE_THREADS)))
        except Exception:  # noqa: BLE001 - the figures that need these models record the failure
            traceback.print_exc()
        results["machine"]["weight_paths"] = {
            label(path): weights_text(side.model.runtime)
            for side, path in zip(sides, MODELS) if side.model is not None}
        measure(results, "decode_ratio_vs_bare", decode_ratio_vs_bare, sides, engines, app_answers)
        measure(results, "reported_vs_counters", reported_vs_counters, app_answers)
        measure(results, "parallel_efficiency", parallel_efficiency, sides, engines)
    finally:
        pump.stop()
        for side in sides:
            side.shutdown()  # stop, free the model on its own thread, end the thread
    measure(results, "ui_stall_ms", ui_stall_ms)
    measure(results, "ui_stall_ms.choose_file_max", choose_file_stall_ms)
    votes = large_votes()
    measure(results, "leaderboard_s_100k", leaderboard_s_100k, votes)
    measure(results, "ui_stall_ms.leaderboard_100k", leaderboard_stall_ms, votes)
    measure(results, "ui_stall_ms.report_100k", report_stall_ms, votes)
    measure(results, "import_votes_s_100k", import_votes_s_100k, votes)
    measure(results, "ui_stall_ms.history_50k", history_stall_ms)
    measure(results, "startup_ratio", startup_ratio)
    measure(results, "rss_mb_no_models", rss_mb_no_models, results["details"]["startup_ratio"])
    measure(results, "append_cost_ratio", append_cost_ratio)
    remote = remote_runs()
    measure(results, "remote_decode_ratio", remote_decode_ratio, remote)
    measure(results, "remote_ttft_overhead_ms", remote_ttft_overhead_ms, remote)
    measure(results, "quant_eval_ratio", quant_eval_ratio)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwrote {OUT}")
    faulthandler.cancel_dump_traceback_later()
    return 0 if all(results.get(key) is not None for key in TARGETS) else 1


if __name__ == "__main__":
    sys.exit(main())
