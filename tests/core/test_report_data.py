"""The report's figures gathered from hand-built rounds and votes, checked exactly."""

import pytest

from gui.core.leaderboard import compute_leaderboard, summary_lines
from gui.core.report_data import CheckRates, ModelInfo, PassRate, Timing, gather
from gui.core.store import RoundRecord
from gui.core.summary import distribution
from gui.core.votes import Outcome, Vote

MIB = 1024**2
A, B = "alpha-q4", "beta-q5"


def identity(label, path=None, fingerprint=None):
    return {
        "label": label, "name": label.title(), "path": path or f"/models/{label}.gguf", "file_size": 900 * MIB,
        "fingerprint": fingerprint or f"sha-{label}", "architecture": "llama", "quantization": label[-2:].upper(),
        "parameter_count": 135_000_000,
    }


def metrics(ttft, decode, *, contended=False, first=False, stop="end of text", error=None, **new_keys):
    """An answer's stored figures; rounds before load time and memory were recorded lack `new_keys`."""
    return {
        "prompt_tokens": 20, "tokens": 64, "ttft_s": ttft, "prompt_tps": 100.0, "decode_tps": decode,
        "elapsed_s": 2.0, "stop_reason": stop, "threads": 4, "contended": contended, "first_after_load": first,
        "error": error, **new_keys,
    }


def measured(load_s, weights_mib, context_mib):
    return {"load_s": load_s, "weights_bytes": weights_mib * MIB, "context_bytes": context_mib * MIB}


def params(temperature=0.7, seed=42, n_ctx=2048):
    return {"sampling": {"temperature": temperature, "top_p": 0.95, "seed": seed},
            "load": {"n_ctx": n_ctx, "n_threads": 0}}


def check(kind, passed):
    return {"kind": kind, "passed": passed, "detail": ""}


ENV_1 = {"app_version": "0.1.0", "llama_cpp_python": "0.3.36", "python": "3.11.2", "os": "Linux", "cpu": "x86",
         "cores": 2, "ram_bytes": 8 * 1024 * MIB, "gpus": []}
ENV_2 = {**ENV_1, "app_version": "0.2.0"}


def round_(round_id, created, left, right, left_metrics, right_metrics, *, category="", swapped=False,
           environment=ENV_1, batch_id="batch-1", params_by_side=None, **fields):
    """A round; B loads with a larger context unless the round says otherwise."""
    by_side = params_by_side or {"left": params(), "right": params(n_ctx=4096 if right["label"] == B else 2048)}
    return RoundRecord(
        id=round_id, created_at=created, chat_id="chat", turn=0, prompt="Q", category=category, mode="parallel",
        params=by_side, swapped=swapped, left_model=left, right_model=right, left_output="a", right_output="b",
        left_metrics=left_metrics, right_metrics=right_metrics, environment=environment, batch_id=batch_id, **fields,
    )


ROUNDS = [
    # Isolated, each model's first answer after its load.
    round_("r1", "2026-11-23T10:00:00", identity(A), identity(B),
           metrics(0.2, 50.0, first=True, **measured(1.5, 100, 20)),
           metrics(0.4, 30.0, first=True, **measured(2.5, 200, 40)),
           category="json", left_checks=[check("json_valid", True)], right_checks=[check("json_valid", False)]),
    # Contended; B on the Left now, with its own sampling settings.
    round_("r2", "2026-11-23T10:10:00", identity(B), identity(A),
           metrics(0.6, 20.0, contended=True, **measured(2.5, 200, 40)),
           metrics(0.3, 40.0, contended=True, stop="max tokens", **measured(1.5, 100, 20)),
           category="math", swapped=True,
           params_by_side={"left": params(temperature=0.2, n_ctx=4096), "right": params()},
           left_checks=[check("math_answer", True)],
           right_checks=[check("math_answer", True), check("max_length", False)]),
    # An older round: no load time or memory keys; B failed; A's file then lived elsewhere.
    round_("r3", "2026-11-23T10:20:00", identity(A, path="/old/alpha-q4.gguf", fingerprint="sha-old"),
           identity(B), metrics(0.4, 60.0), metrics(None, None, stop="error", error="out of memory"),
           batch_id="", params_by_side={"left": params(seed=43), "right": params(seed=43, n_ctx=4096)}),
    # A control: A on both sides, just reloaded (the Right answer is its second after that load).
    round_("r4", "2026-11-23T10:30:00", identity(A), identity(A),
           metrics(0.1, 70.0, first=True, **measured(3.5, 110, 20)),
           metrics(0.3, 55.0, **measured(3.5, 110, 20)),
           category="json", control=True, environment=ENV_2,
           left_checks=[check("json_valid", False)], right_checks=[check("json_valid", True)]),
    # r1 shown again with its sides swapped (outside any batch): its answers must not count twice.
    round_("r5", "2026-11-23T10:40:00", identity(B), identity(A),
           metrics(9.0, 1.0, **measured(2.5, 900, 900)), metrics(9.0, 1.0, **measured(1.5, 900, 900)),
           category="json", swapped=True, repeat_of="r1", batch_id="", environment={**ENV_1, "os": "elsewhere"},
           params_by_side={"left": params(seed=7), "right": params(seed=7)},
           left_checks=[check("json_valid", True)], right_checks=[check("json_valid", True)]),
]
VOTES = [
    Vote("r1", A, B, Outcome.LEFT, rater="ann", category="json", rubric_left=3, rubric_right=1),
    Vote("r2", B, A, Outcome.RIGHT, rater="ann", category="math", rubric_left=1, rubric_right=2),
    Vote("r4", A, A, Outcome.TIE, rater="ann", category="json", control=True),
    Vote("r5", B, A, Outcome.RIGHT, rater="ann", category="json", repeat_of="r1"),
    Vote("r1", A, B, Outcome.RIGHT, rater="bob", category="json", identity_leak=True),
]


@pytest.fixture(scope="module")
def data():
    return gather(ROUNDS, VOTES, title="alpha vs beta")


def model(data, label):
    return next(figures for figures in data.models if figures.info.label == label)


def test_models_in_order_of_first_appearance_with_their_latest_identity(data):
    assert data.title == "alpha vs beta"
    assert [figures.info.label for figures in data.models] == [A, B]
    assert model(data, A).info == ModelInfo(A, "/models/alpha-q4.gguf", 900 * MIB, "sha-alpha-q4", "llama", "Q4",
                                            135_000_000)


def test_speed_by_condition_over_answers_without_error_controls_included_repeats_not(data):
    alpha, beta = model(data, A), model(data, B)
    assert alpha.isolated == Timing(
        ttft_s=(0.2, 0.4, 0.1, 0.3), decode_tps=(50.0, 60.0, 70.0, 55.0),
        ttft=distribution([0.2, 0.4, 0.1, 0.3]), decode=distribution([50.0, 60.0, 70.0, 55.0]),
        answers=4, first_after_load=2,
    )
    assert alpha.contended == Timing((0.3,), (40.0,), distribution([0.3]), distribution([40.0]), 1, 0)
    # B's failed answer is in no speed figure.
    assert beta.isolated == Timing((0.4,), (30.0,), distribution([0.4]), distribution([30.0]), 1, 1)
    assert beta.contended == Timing((0.6,), (20.0,), distribution([0.6]), distribution([20.0]), 1, 0)
    assert alpha.isolated.decode.p50 == 57.5


def test_load_time_is_the_median_of_distinct_loads(data):
    assert model(data, A).load_times_s == (1.5, 3.5)
    assert model(data, A).load_s == 2.5
    assert model(data, B).load_times_s == (2.5,)
    assert model(data, B).load_s == 2.5


def test_peak_memory_is_the_largest_weights_plus_context(data):
    assert model(data, A).peak_memory_bytes == 130 * MIB
    assert model(data, B).peak_memory_bytes == 240 * MIB


def test_answers_and_stop_reasons_count_errors_too(data):
    assert model(data, A).answers == 5
    assert model(data, A).stop_reasons == {"end of text": 4, "max tokens": 1}
    assert model(data, B).answers == 3
    assert model(data, B).stop_reasons == {"end of text": 2, "error": 1}


def test_check_pass_rates_by_model_category_and_kind(data):
    checks = data.checks
    assert checks.by_model == {A: PassRate(3, 5), B: PassRate(1, 2)}
    assert checks.by_category == {
        A: {"json": PassRate(2, 3), "math": PassRate(1, 2)},
        B: {"json": PassRate(0, 1), "math": PassRate(1, 1)},
    }
    assert checks.by_kind == {
        A: {"json_valid": PassRate(2, 3), "math_answer": PassRate(1, 1), "max_length": PassRate(0, 1)},
        B: {"json_valid": PassRate(0, 1), "math_answer": PassRate(1, 1)},
    }
    assert checks.by_model[A].rate == 0.6


def test_quality_is_the_leaderboard_of_the_votes_without_leaks(data):
    board = compute_leaderboard(VOTES)
    assert data.quality.rows == board.rows
    assert data.quality.rubric_by_category == board.rubric_by_category
    assert data.quality.summary_lines == tuple(summary_lines(board))
    assert (data.quality.votes, data.quality.repeat_votes) == (4, 1)
    assert (data.quality.raters, data.quality.leaks_left_out) == (("ann",), 1)


def test_leaks_count_when_asked():
    quality = gather(ROUNDS, VOTES, include_leaks=True).quality
    assert quality.rows == compute_leaderboard(VOTES, include_leaks=True).rows
    assert (quality.votes, quality.raters, quality.leaks_left_out) == (5, ("ann", "bob"), 0)


def test_files_settings_and_seeds_by_model_repeats_apart(data):
    found = data.reproducibility
    assert found.fingerprints == {A: ("sha-alpha-q4", "sha-old"), B: ("sha-beta-q5",)}
    assert found.paths == {A: ("/models/alpha-q4.gguf", "/old/alpha-q4.gguf"), B: ("/models/beta-q5.gguf",)}
    assert found.sampling == {
        A: ({"temperature": 0.7, "top_p": 0.95},),
        B: ({"temperature": 0.7, "top_p": 0.95}, {"temperature": 0.2, "top_p": 0.95}),
    }
    assert found.load == {A: ({"n_ctx": 2048, "n_threads": 0},), B: ({"n_ctx": 4096, "n_threads": 0},)}
    assert found.seeds == (42, 43)
    assert found.environments == (ENV_1, ENV_2)
    # Rounds stored before the weight path was recorded add none.
    assert found.weight_buffers == {A: (), B: ()}


def test_runs_time_span_and_round_counts(data):
    found = data.reproducibility
    assert found.batches == {"batch-1": 3, "": 1}
    assert found.categories == {"json": 2, "math": 1, "": 1}
    assert (found.first_at, found.last_at) == ("2026-11-23T10:00:00", "2026-11-23T10:40:00")
    assert (found.rounds, found.controls, found.repeats) == (5, 1, 1)


def test_a_side_without_figures_counts_no_answer():
    lone = round_("r9", "2026-11-23T11:00:00", identity(A), identity(B), metrics(0.2, 50.0), None)
    gathered = gather([lone], [])
    assert model(gathered, B).answers == 0
    assert model(gathered, B).isolated == Timing((), (), None, None, 0, 0)
    assert model(gathered, B).load_s is None
    assert model(gathered, B).peak_memory_bytes is None


def test_nothing_stored_gathers_empty_figures():
    empty = gather([], [])
    assert empty.models == ()
    assert empty.checks.by_model == {}
    assert empty.quality.rows == ()
    assert (empty.quality.votes, empty.quality.raters) == (0, ())
    assert (empty.reproducibility.rounds, empty.reproducibility.first_at, empty.reproducibility.seeds) == (0, None, ())


def test_json_validity_is_the_json_checks_pass_rate_per_model():
    rates = CheckRates(by_model={}, by_category={}, by_kind={
        "A": {"json": PassRate(3, 4), "json_schema": PassRate(1, 4)}, "B": {"regex": PassRate(1, 1)}})
    assert rates.json_validity == {"A": PassRate(3, 4)}


def test_rubric_means_leave_out_swapped_repeats_and_leaks(data):
    repeat = Vote("r5", B, A, Outcome.RIGHT, rater="ann", category="json", rubric_left=0, rubric_right=0,
                  repeat_of="r1")
    leak = Vote("r1", A, B, Outcome.RIGHT, rater="bob", category="json", rubric_left=0, rubric_right=0,
                identity_leak=True)
    means = gather(ROUNDS, VOTES[:2] + [repeat, leak]).quality.rubric_means
    assert {model: {c: (m.mean, m.n) for c, m in own.items()} for model, own in means.items()} == {
        A: {"json": (3.0, 1), "math": (2.0, 1)}, B: {"json": (1.0, 1), "math": (1.0, 1)}}
    assert data.quality.rubric_agreement is None  # no answer scored by two raters
