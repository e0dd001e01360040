"""What the report and the charts show, gathered from stored rounds and votes."""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np

from gui.core.cpu import weights_text
from gui.core.leaderboard import Row, compute_leaderboard, summary_lines
from gui.core.rubric import RubricAgreement, ScoreMean, score_means
from gui.core.store import RoundRecord
from gui.core.summary import Distribution, distribution
from gui.core.votes import Vote

SIDES = ("left", "right")


@dataclass(frozen=True)
class ModelInfo:
    """Which file a model is, as stored with its latest round."""

    label: str
    path: str | None
    file_size: int | None
    fingerprint: str | None
    architecture: str | None
    quantization: str | None
    parameter_count: int | None


@dataclass(frozen=True)
class Timing:
    """A model's answers without error under one condition: isolated or contended."""

    ttft_s: tuple[float, ...]
    decode_tps: tuple[float, ...]
    ttft: Distribution | None
    decode: Distribution | None
    answers: int
    first_after_load: int  # how many of these answers were the first request after a load


@dataclass(frozen=True)
class ModelFigures:
    """Speed and memory of one model over its answers (control rounds included, repeats not)."""

    info: ModelInfo
    load_times_s: tuple[float, ...]  # distinct values: every answer after one load repeats its time
    load_s: float | None  # their median
    isolated: Timing
    contended: Timing
    peak_memory_bytes: int | None  # weights + context; None where the rounds predate these figures
    answers: int  # errors included
    stop_reasons: dict[str, int]


@dataclass(frozen=True)
class PassRate:
    """How many automatic checks passed out of how many ran."""

    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total


@dataclass(frozen=True)
class CheckRates:
    """Check pass rates per model, per model and suite category, per model and check kind."""

    by_model: dict[str, PassRate]
    by_category: dict[str, dict[str, PassRate]]
    by_kind: dict[str, dict[str, PassRate]]

    @property
    def json_validity(self) -> dict[str, PassRate]:
        """Per model, how many answers the `json` check found to be valid JSON, of those it ran on."""
        return {model: kinds["json"] for model, kinds in self.by_kind.items() if "json" in kinds}


@dataclass(frozen=True)
class Quality:
    """What the blind votes say: standings, rubric means, rater checks, and who voted."""

    rows: tuple[Row, ...]
    rubric_by_category: dict[str, dict[str, float]]
    rubric_means: dict[str, dict[str, ScoreMean]]  # per answer over its raters, with t-based 95% intervals
    rubric_agreement: RubricAgreement | None  # Krippendorff's alpha (ordinal) on the 0–3 scores
    summary_lines: tuple[str, ...]
    votes: int  # votes counted
    repeat_votes: int  # of those, votes on swapped repeats: they count for flip rates only
    raters: tuple[str, ...]  # "" is a rater who gave no name
    leaks_left_out: int  # votes where an answer named its model, not counted


@dataclass(frozen=True)
class Reproducibility:
    """What it takes to run the comparison again: files, settings, seeds, software, machine, runs."""

    fingerprints: dict[str, tuple[str, ...]]
    paths: dict[str, tuple[str, ...]]
    weight_buffers: dict[str, tuple[str, ...]]  # "repacked (CPU_Mapped, CPU_REPACK)" and the like, per model
    sampling: dict[str, tuple[dict, ...]]  # distinct sampling settings per model, the seed apart
    load: dict[str, tuple[dict, ...]]
    seeds: tuple[int, ...]
    environments: tuple[dict, ...]
    batches: dict[str, int]  # rounds per batch id, repeats apart; "" holds rounds typed in the chat
    categories: dict[str, int]  # rounds per suite category, repeats apart; "" holds rounds without one
    first_at: str | None
    last_at: str | None
    rounds: int
    controls: int
    repeats: int


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, models in the order they first appear."""

    title: str
    models: tuple[ModelFigures, ...]
    checks: CheckRates
    quality: Quality
    reproducibility: Reproducibility


@dataclass(frozen=True)
class _Answer:
    """One side of one round, named by its model rather than its screen side."""

    model: dict
    metrics: dict | None
    checks: list[dict] | None
    params: dict
    category: str

    @property
    def label(self) -> str:
        return self.model["label"]


def gather(rounds: list[RoundRecord], votes: list[Vote], *, title: str = "", include_leaks: bool = False) -> ReportData:
    """The report's figures; swapped repeats are left out of them, since they show an answer a second time."""
    measured = [round_ for round_ in rounds if round_.repeat_of is None]
    answers = [answer for round_ in measured for answer in _answers(round_)]
    by_model: dict[str, list[_Answer]] = {}
    for answer in answers:
        by_model.setdefault(answer.label, []).append(answer)
    return ReportData(
        title=title,
        models=tuple(_figures(own) for own in by_model.values()),
        checks=_check_rates(answers),
        quality=_quality(votes, include_leaks),
        reproducibility=_reproducibility(rounds, measured, by_model),
    )


def check_rates(rounds: list[RoundRecord]) -> CheckRates:
    """Pass rates of the automatic checks, swapped repeats left out."""
    return _check_rates([answer for round_ in rounds if round_.repeat_of is None for answer in _answers(round_)])


def check_lines(rates: CheckRates) -> list[str]:
    """One line per model: checks passed in all, then by category."""
    lines = []
    for model, rate in rates.by_model.items():
        parts = ", ".join(f"{category} {r.passed}/{r.total}" for category, r in rates.by_category[model].items())
        lines.append(f"Checks passed by {model}: {rate.passed} of {rate.total} ({rate.rate:.0%}) — {parts}")
    return lines


def _answers(round_: RoundRecord) -> tuple[_Answer, _Answer]:
    """The round's Left and Right answers (rounds of the first schema kept no parameters per side)."""
    params = round_.params or {}
    return (
        _Answer(round_.left_model, round_.left_metrics, round_.left_checks, params.get("left", {}), round_.category),
        _Answer(round_.right_model, round_.right_metrics, round_.right_checks, params.get("right", {}), round_.category),
    )


def _figures(answers: list[_Answer]) -> ModelFigures:
    """One model's load time, speed per condition, peak memory and stop reasons."""
    measured = [answer.metrics for answer in answers if answer.metrics is not None]
    load_times = sorted({m["load_s"] for m in measured if m.get("load_s") is not None})
    memory = [
        m["weights_bytes"] + m["context_bytes"]
        for m in measured
        if m.get("weights_bytes") is not None and m.get("context_bytes") is not None
    ]
    # A measured turn (Measure mode) keeps every run's figures: each run counts, not only the last.
    runs = [run for m in measured for run in m.get("runs", [m])]
    answered = [m for m in runs if m["error"] is None]
    return ModelFigures(
        info=_info(answers[-1].model),
        load_times_s=tuple(load_times),
        load_s=float(np.median(load_times)) if load_times else None,
        isolated=_timing([m for m in answered if not m["contended"]]),
        contended=_timing([m for m in answered if m["contended"]]),
        peak_memory_bytes=max(memory, default=None),
        answers=len(measured),
        stop_reasons=dict(Counter(m["stop_reason"] for m in measured).most_common()),
    )


def _info(identity: dict) -> ModelInfo:
    """The identity's fields a report shows; a field an imported or older record lacks is None."""
    return ModelInfo(**{field.name: identity.get(field.name) for field in fields(ModelInfo)})


def _timing(metrics: list[dict]) -> Timing:
    """TTFT and decode rates of answers measured under one condition."""
    ttft = tuple(m["ttft_s"] for m in metrics if m["ttft_s"] is not None)
    decode = tuple(m["decode_tps"] for m in metrics if m["decode_tps"] is not None)
    return Timing(
        ttft_s=ttft,
        decode_tps=decode,
        ttft=distribution(ttft),
        decode=distribution(decode),
        answers=len(metrics),
        first_after_load=sum(bool(m["first_after_load"]) for m in metrics),
    )


def _check_rates(answers: list[_Answer]) -> CheckRates:
    """Pass rates of every check result, three ways."""
    results = [
        (answer.label, answer.category, check["kind"], bool(check["passed"]))
        for answer in answers
        for check in answer.checks or ()
    ]
    return CheckRates(
        by_model=_pass_rates((model, passed) for model, _, _, passed in results),
        by_category=_nested(_pass_rates(((model, category), passed) for model, category, _, passed in results)),
        by_kind=_nested(_pass_rates(((model, kind), passed) for model, _, kind, passed in results)),
    )


def _pass_rates(results: Iterable[tuple[object, bool]]) -> dict:
    """{key: PassRate} from (key, passed) pairs, keys in order of first appearance."""
    passed, total = Counter(), Counter()
    for key, ok in results:
        total[key] += 1
        passed[key] += ok
    return {key: PassRate(passed[key], count) for key, count in total.items()}


def _nested(rates: dict[tuple[str, str], PassRate]) -> dict[str, dict[str, PassRate]]:
    """{(model, part): rate} as {model: {part: rate}}, parts sorted."""
    nested: dict[str, dict[str, PassRate]] = {}
    for (model, part), rate in rates.items():
        nested.setdefault(model, {})[part] = rate
    return {model: dict(sorted(parts.items())) for model, parts in nested.items()}


def _quality(votes: list[Vote], include_leaks: bool) -> Quality:
    """The leaderboard of the votes, with how many counted and who cast them."""
    board = compute_leaderboard(votes, include_leaks=include_leaks)
    counted = [vote for vote in votes if include_leaks or not vote.identity_leak]
    return Quality(
        rows=board.rows,
        rubric_by_category=board.rubric_by_category,
        # Repeats show an answer a second time: one rater's judgement would count twice.
        rubric_means=score_means(vote for vote in counted if vote.repeat_of is None),
        rubric_agreement=board.rubric_agreement,
        summary_lines=tuple(summary_lines(board)),
        votes=len(counted),
        repeat_votes=sum(vote.repeat_of is not None for vote in counted),
        raters=tuple(sorted({vote.rater for vote in counted})),
        leaks_left_out=len(votes) - len(counted),
    )


def _reproducibility(
    rounds: list[RoundRecord], measured: list[RoundRecord], by_model: dict[str, list[_Answer]]
) -> Reproducibility:
    """Files, settings, seeds, machines and runs of the measured rounds; counts and time span of all rounds."""
    created = [round_.created_at for round_ in rounds]
    # Rounds of the first schema kept no parameters per side: they add no settings and no seeds.
    sampling = {model: [a.params["sampling"] for a in own if "sampling" in a.params] for model, own in by_model.items()}
    seeds = {params["seed"] for own in sampling.values() for params in own}
    return Reproducibility(
        fingerprints={model: _distinct(a.model.get("fingerprint") for a in own) for model, own in by_model.items()},
        paths={model: _distinct(a.model.get("path") for a in own) for model, own in by_model.items()},
        weight_buffers={model: _distinct(weights_text(a.metrics or {}) for a in own) for model, own in by_model.items()},
        sampling={model: _distinct_dicts(_without_seed(params) for params in own) for model, own in sampling.items()},
        load={model: _distinct_dicts(a.params["load"] for a in own if "load" in a.params)
              for model, own in by_model.items()},
        seeds=tuple(sorted(seeds)),
        environments=_distinct_dicts(round_.environment for round_ in measured),
        batches=dict(Counter(round_.batch_id for round_ in measured)),
        categories=dict(Counter(round_.category for round_ in measured)),
        first_at=min(created, default=None),
        last_at=max(created, default=None),
        rounds=len(rounds),
        controls=sum(round_.control for round_ in rounds),
        repeats=len(rounds) - len(measured),
    )


def _without_seed(sampling: dict) -> dict:
    """Sampling settings without the seed, which the report lists on its own."""
    return {key: value for key, value in sampling.items() if key != "seed"}


def _distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    """The values once each, in order of first appearance; missing ones left out."""
    return tuple(value for value in dict.fromkeys(values) if value is not None)


def _distinct_dicts(dicts: Iterable[dict]) -> tuple[dict, ...]:
    """The dicts once each (equal content is the same), in order of first appearance."""
    unique: dict[str, dict] = {}
    for d in dicts:
        unique.setdefault(json.dumps(d, sort_keys=True), d)
    return tuple(unique.values())
