"""A comparison of two quantizations as stored, and what the window and the report make of the stored ones."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MIB = 2**20


@dataclass(frozen=True)
class QuantComparison:
    """One run of `quant.measure` as kept: both files (with fingerprints), the text's hash, the run's size, figures.

    `family` names the base model the two are quantizations of: every comparison of one family shares it.
    """

    id: str
    created_at: str
    family: str
    base: dict  # path, name, quantization, file_size, bits_per_weight, fingerprint
    other: dict
    text_name: str
    text_sha256: str
    n_ctx: int
    chunks_planned: int
    chunks_done: int
    figures: dict  # Divergence.to_json()'s figures
    versions: dict  # app_version, llama_cpp_python

    @property
    def complete(self) -> bool:
        return self.chunks_done == self.chunks_planned


def family_key(pair) -> str:
    """What the quantizations of one model share (a QuantPair's): architecture, parameter count, vocabulary."""
    card = pair.base
    return f"{card.architecture}/{card.parameter_count}/{pair.vocabulary.digest[:16]}"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def comparison_of(result, text_name: str, text_digest: str, fingerprints: tuple[str, str],
                  versions: dict) -> QuantComparison:
    """The record of a Divergence that has figures, with the two files' fingerprints (base, other)."""
    run = result.to_json()
    if run["figures"] is None:
        raise ValueError("a comparison without figures (no chunk finished) is not kept")
    return QuantComparison(
        id=uuid.uuid4().hex, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        family=family_key(result.pair),
        base={**run["base"], "fingerprint": fingerprints[0]}, other={**run["other"], "fingerprint": fingerprints[1]},
        text_name=text_name, text_sha256=text_digest, n_ctx=result.n_ctx, chunks_planned=result.chunks_planned,
        chunks_done=result.chunks_done, figures=run["figures"], versions=versions,
    )


@dataclass(frozen=True)
class ScoreRow:
    """A quantization's line of the scoreboard, as llama.cpp's perplexity README tabulates them."""

    quantization: str
    file: str
    size_mib: float
    bits_per_weight: float
    ppl: float
    ppl_error: float
    delta_ppl_percent: float
    kld: float
    kld_error: float
    kld_p99: float
    same_top_percent: float
    base: str  # the reference it was measured against
    run: str  # text, context and chunks


def scoreboard(comparisons: list[QuantComparison]) -> list[ScoreRow]:
    """One row per quantization measured (its newest comparison), most bits per weight first."""
    newest: dict[str, QuantComparison] = {}
    for comparison in comparisons:
        newest.setdefault(comparison.other["fingerprint"], comparison)
    rows = []
    for c in newest.values():
        f, card = c.figures, c.other
        partial = "" if c.complete else f", stopped at {c.chunks_done} of {c.chunks_planned}"
        rows.append(ScoreRow(
            quantization=card["quantization"], file=Path(card["path"]).name, size_mib=card["file_size"] / MIB,
            bits_per_weight=card["bits_per_weight"], ppl=f["ppl_other"]["value"], ppl_error=f["ppl_other"]["error"],
            delta_ppl_percent=f["delta_ppl_percent"], kld=f["kld"]["value"], kld_error=f["kld"]["error"],
            kld_p99=f["kld_p99"], same_top_percent=100 * f["same_top"], base=c.base["quantization"],
            run=f"{c.text_name}, {c.chunks_done} × {c.n_ctx} tokens{partial}",
        ))
    return sorted(rows, key=lambda row: -row.bits_per_weight)


@dataclass(frozen=True)
class Verdict:
    """What a stakeholder asks of one comparison: how much smaller, how much worse, how much faster."""

    base: str  # quantization names
    other: str
    saved_mib: float
    saved_percent: float
    bpw_base: float
    bpw_other: float
    ppl_ratio: float
    ppl_ratio_error: float
    kld: float
    kld_p99: float
    same_top_percent: float
    arena_base: "ArenaFigures | None"  # how the file ran in the arena; None where it has not answered there
    arena_other: "ArenaFigures | None"
    tokens: int
    complete: bool


def verdict_of(comparison: QuantComparison, arena: dict[str, "ArenaFigures"]) -> Verdict:
    """The verdict of `comparison`; `arena` maps fingerprints to how each file ran in the arena (arena_figures)."""
    base, other, f = comparison.base, comparison.other, comparison.figures
    saved = base["file_size"] - other["file_size"]
    return Verdict(
        base=base["quantization"], other=other["quantization"], saved_mib=saved / MIB,
        saved_percent=100 * saved / base["file_size"], bpw_base=base["bits_per_weight"],
        bpw_other=other["bits_per_weight"], ppl_ratio=f["ppl_ratio"]["value"], ppl_ratio_error=f["ppl_ratio"]["error"],
        kld=f["kld"]["value"], kld_p99=f["kld_p99"], same_top_percent=100 * f["same_top"],
        arena_base=arena.get(base["fingerprint"]), arena_other=arena.get(other["fingerprint"]),
        tokens=f["tokens_scored"], complete=comparison.complete,
    )


@dataclass(frozen=True)
class ArenaFigures:
    """How one model file ran in the arena, over its answers without errors: the speed and memory beside a verdict."""

    answers: int
    decode_tps: float | None  # mean
    prompt_tps: float | None  # mean
    load_s: float | None  # median over its answers' loads
    memory_bytes: int | None  # the most its weights and context took


def arena_figures(rounds) -> dict[str, ArenaFigures]:
    """ArenaFigures of every model file that answered in the arena, by fingerprint."""
    seen: dict[str, list[dict]] = {}
    for round_ in rounds:
        for model, metrics in ((round_.left_model, round_.left_metrics), (round_.right_model, round_.right_metrics)):
            if metrics and not metrics.get("error") and model.get("fingerprint"):
                seen.setdefault(model["fingerprint"], []).append(metrics)

    def mean(values):
        values = [value for value in values if value is not None]
        return sum(values) / len(values) if values else None

    figures = {}
    for fingerprint, answers in seen.items():
        loads = sorted(m["load_s"] for m in answers if m.get("load_s") is not None)
        memory = [m["weights_bytes"] + m["context_bytes"] for m in answers
                  if m.get("weights_bytes") is not None and m.get("context_bytes") is not None]
        figures[fingerprint] = ArenaFigures(
            answers=len(answers), decode_tps=mean(m.get("decode_tps") for m in answers),
            prompt_tps=mean(m.get("prompt_tps") for m in answers),
            load_s=loads[len(loads) // 2] if loads else None, memory_bytes=max(memory, default=None),
        )
    return figures


def arena_text(figures: ArenaFigures | None) -> str:
    """One file's arena figures in a line, for the verdict card."""
    if figures is None:
        return "not answered in the arena yet"
    parts = [f"decode {figures.decode_tps:.1f} tok/s" if figures.decode_tps is not None else None,
             f"prompt {figures.prompt_tps:.0f} tok/s" if figures.prompt_tps is not None else None,
             f"load {figures.load_s:.2f} s" if figures.load_s is not None else None,
             f"memory {figures.memory_bytes / MIB:,.1f} MiB" if figures.memory_bytes is not None else None]
    return " · ".join(part for part in parts if part) + f" (over {figures.answers} answers)"


@dataclass(frozen=True)
class QuantReport:
    """The newest comparison's verdict and its family's scoreboard, for the report and the window."""

    verdict: Verdict
    comparison: QuantComparison
    rows: list[ScoreRow]


def quant_report(store, rounds) -> QuantReport | None:
    """The report's quantization section from a Store and its rounds (read once by the caller, for the report's
    other figures too); None when nothing was compared."""
    comparisons = store.quant_comparisons()
    if not comparisons:
        return None
    newest = comparisons[0]
    family = [c for c in comparisons if c.family == newest.family]
    return QuantReport(verdict_of(newest, arena_figures(rounds)), newest, scoreboard(family))
