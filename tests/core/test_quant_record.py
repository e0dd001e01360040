"""Comparisons of quantizations kept in the store: the record, the scoreboard, the verdict, decode rates."""

import dataclasses

import pytest

from gui.core.quant_record import (
    ArenaFigures,
    QuantComparison,
    arena_figures,
    arena_text,
    quant_report,
    scoreboard,
    verdict_of,
)
from gui.core.store import Store
from core.test_store import a_round


def figures(kld: float, ppl: float = 12.0, same_top: float = 0.9) -> dict:
    return {"tokens_scored": 630, "ppl_base": {"value": 11.0, "error": 0.2}, "ppl_other": {"value": ppl, "error": 0.3},
            "ppl_ratio": {"value": ppl / 11.0, "error": 0.004}, "delta_ppl_percent": (ppl / 11.0 - 1) * 100,
            "kld": {"value": kld, "error": kld / 20}, "kld_median": kld / 2, "kld_p99": 8 * kld, "kld_max": 10 * kld,
            "same_top": same_top, "same_top_ci95": [same_top - 0.02, same_top + 0.02],
            "rms_dp": {"value": 0.05, "error": 0.001}}


def card(quantization: str, size: int, bpw: float, fingerprint: str) -> dict:
    return {"path": f"/m/Smol.{quantization}.gguf", "name": "Smol", "quantization": quantization,
            "file_size": size, "bits_per_weight": bpw, "fingerprint": fingerprint}


def comparison(other: dict, kld: float, when: str, family: str = "llama/135/ab", done: int = 5) -> QuantComparison:
    return QuantComparison(id=when, created_at=when, family=family, base=card("Q8_0", 140 * 2**20, 8.5, "fp-q8"),
                           other=other, text_name="harbour-town.txt", text_sha256="ab" * 32, n_ctx=512,
                           chunks_planned=5, chunks_done=done, figures=figures(kld),
                           versions={"app_version": "1", "llama_cpp_python": "0.3.36"})


Q4 = card("Q4_K_M", 100 * 2**20, 4.9, "fp-q4")
Q2 = card("Q2_K", 70 * 2**20, 3.1, "fp-q2")


def test_comparisons_are_kept_with_their_record_and_read_back_by_family_newest_first(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    kept = [comparison(Q4, 0.05, "2026-01-01T10:00:00"), comparison(Q2, 0.3, "2026-01-02T10:00:00"),
            comparison(Q2, 0.2, "2026-01-03T10:00:00", family="gemma3/270/cd")]
    for c in kept:
        store.add_quant_comparison(c)
    assert store.quant_comparisons("llama/135/ab") == [kept[1], kept[0]]
    assert store.quant_comparisons()[0] == kept[2]


def test_the_scoreboard_has_each_quantizations_newest_row_most_bits_first():
    rows = scoreboard([comparison(Q2, 0.3, "3", done=2), comparison(Q4, 0.05, "2"), comparison(Q2, 0.9, "1")])
    assert [(row.quantization, row.kld) for row in rows] == [("Q4_K_M", 0.05), ("Q2_K", 0.3)]
    assert rows[1].run == "harbour-town.txt, 2 × 512 tokens, stopped at 2 of 5" and rows[0].size_mib == 100
    assert rows[1].kld_p99 == pytest.approx(2.4) and rows[1].base == "Q8_0"


def test_the_verdict_says_what_is_saved_and_lost_and_how_each_ran_in_the_arena():
    ran = ArenaFigures(answers=3, decode_tps=80.0, prompt_tps=400.0, load_s=0.5, memory_bytes=200 * 2**20)
    verdict = verdict_of(comparison(Q4, 0.05, "1"), {"fp-q8": ran})
    assert (verdict.saved_mib, verdict.saved_percent) == (40, pytest.approx(100 * 40 / 140))
    assert (verdict.bpw_base, verdict.bpw_other, verdict.kld, verdict.kld_p99) == (8.5, 4.9, 0.05, 0.4)
    assert (verdict.arena_base, verdict.arena_other, verdict.same_top_percent) == (ran, None, 90.0)
    assert arena_text(ran) == "decode 80.0 tok/s · prompt 400 tok/s · load 0.50 s · memory 200.0 MiB (over 3 answers)"
    assert arena_text(None) == "not answered in the arena yet"


def test_arena_figures_sum_up_each_files_answers_and_skip_failed_ones(tmp_path):
    base = a_round("r1")
    left = {**base.left_model, "fingerprint": "fp-a"}
    right = {**base.right_model, "fingerprint": "fp-b"}
    rounds = [
        dataclasses.replace(base, left_model=left, right_model=right,
                            left_metrics={"decode_tps": 10.0, "prompt_tps": 300.0, "load_s": 0.4,
                                          "weights_bytes": 100, "context_bytes": 50},
                            right_metrics={"decode_tps": 30.0, "error": "boom"}),
        dataclasses.replace(base, id="r2", left_model=right, right_model=left, left_metrics={"decode_tps": 20.0},
                            right_metrics={"decode_tps": 14.0, "prompt_tps": None, "load_s": 0.6,
                                           "weights_bytes": 100, "context_bytes": 70}),
    ]
    figures = arena_figures(rounds)
    assert figures["fp-a"] == ArenaFigures(answers=2, decode_tps=12.0, prompt_tps=300.0, load_s=0.6,
                                           memory_bytes=170)
    assert figures["fp-b"] == ArenaFigures(answers=1, decode_tps=20.0, prompt_tps=None, load_s=None,
                                           memory_bytes=None)


def test_the_report_section_is_the_newest_comparisons_family(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    assert quant_report(store, store.rounds()) is None
    store.add_quant_comparison(comparison(Q2, 0.2, "1", family="gemma3/270/cd"))
    store.add_quant_comparison(comparison(Q4, 0.05, "2"))
    report = quant_report(store, store.rounds())
    assert report.verdict.other == "Q4_K_M" and [row.quantization for row in report.rows] == ["Q4_K_M"]
