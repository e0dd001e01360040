"""The report's charts: each a matplotlib Figure drawn from ReportData, or None when it has nothing to show."""

import math
from collections.abc import Callable

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gui.core.report_data import ModelFigures, ReportData
from gui.core.summary import Distribution

MIB = 1024**2
NO_CATEGORY = "(no category)"
_MARKERS = {"isolated": "o", "contended": "^"}
_MAX_AREA = 2000  # points² of the largest memory marker on the trade-off chart
_UNKNOWN_MEMORY_AREA = 60


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _finite(*values: float) -> bool:
    """Whether every figure exists: a bootstrap that could not give an interval leaves NaN."""
    return all(math.isfinite(value) for value in values)


def _colours(data: ReportData) -> dict[str, str]:
    """One colour per model, the same on every chart: models as they first appear, then those only voted on."""
    labels = [model.info.label for model in data.models]
    labels += [row.model for row in data.quality.rows]
    labels += [*data.quality.rubric_by_category, *data.checks.by_model]
    return {label: f"C{index % 10}" for index, label in enumerate(dict.fromkeys(labels))}


def _group_offsets(groups: int) -> np.ndarray:
    """Bar centres of `groups` bars side by side around each tick, 0.8 wide in all."""
    width = 0.8 / groups
    return (np.arange(groups) - (groups - 1) / 2) * width


def interval_arms(value: float, low: float, high: float) -> list[list[float]]:
    """An error bar's two arms for an interval around `value`, never negative: a percentile interval need not
    hold the point estimate (a skewed or degenerate bootstrap), and matplotlib refuses a negative arm."""
    return [[max(0.0, value - low)], [max(0.0, high - value)]]


def ratings_chart(data: ReportData) -> Figure | None:
    """Each model's rating as a dot with its 95% interval, best at the top."""
    rows = [row for row in data.quality.rows if _finite(row.rating)]
    if not rows:
        return None
    colours = _colours(data)
    figure = _figure(7, 1.6 + 0.55 * len(rows))
    axes = figure.add_subplot()
    positions = np.arange(len(rows))[::-1]
    for y, row in zip(positions, rows):
        spread = interval_arms(row.rating, row.ci_low, row.ci_high) if _finite(row.ci_low, row.ci_high) else None
        axes.errorbar(row.rating, y, xerr=spread, fmt="o", color=colours[row.model], capsize=4, markersize=6)
        axes.annotate(f"{row.rating:.0f}", (row.rating, y), xytext=(0, 7), textcoords="offset points",
                      ha="center", fontsize=8)
    axes.set_yticks(positions, [f"{row.model}\n{row.wins} W / {row.losses} L / {row.ties} T" for row in rows],
                    fontsize=8)
    axes.set_ylim(-0.6, len(rows) - 0.3)
    axes.axvline(1000, color="0.6", linewidth=0.8, linestyle=":")
    axes.grid(True, axis="x", alpha=0.3)
    axes.set_xlabel("rating (Bradley–Terry, Elo scale, mean 1000) with 95% bootstrap interval")
    axes.set_title("Blind rating")
    return figure


def rubric_chart(data: ReportData) -> Figure | None:
    """Mean rubric score (0–3) per category, one bar per model."""
    rubric = data.quality.rubric_by_category
    if not rubric:
        return None
    colours = _colours(data)
    categories = sorted({category for means in rubric.values() for category in means})
    figure = _figure(max(6.4, 1.6 + 1.3 * len(categories)), 4.2)
    axes = figure.add_subplot()
    ticks = np.arange(len(categories))
    for offset, (model, means) in zip(_group_offsets(len(rubric)), rubric.items()):
        heights = [means.get(category, np.nan) for category in categories]
        bars = axes.bar(ticks + offset, heights, 0.8 / len(rubric), label=model, color=colours[model])
        axes.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    axes.set_xticks(ticks, [category or NO_CATEGORY for category in categories])
    # Room above a full score for its label; the scale itself stops at 3.
    axes.set_ylim(0, 3.35)
    axes.set_yticks(range(4))
    axes.grid(True, axis="y", alpha=0.3)
    axes.set_ylabel("mean rubric score (0 wrong – 3 rigorous)")
    axes.set_xlabel("prompt category")
    axes.set_title("Rubric score by category")
    figure.legend(loc="outside upper center", ncols=min(len(rubric), 3), fontsize=8, frameon=False)
    return figure


def _timing_chart(data: ReportData, fields: tuple[str, str], title: str, unit: str, digits: int) -> Figure | None:
    """Every answer's value as a dot per model and condition, P50 (solid) and P95 (dashed) as lines."""
    panels = [(model, _measured(model, *fields)) for model in data.models]
    panels = [(model, conditions) for model, conditions in panels if conditions]
    if not panels:
        return None
    colours = _colours(data)
    ink = matplotlib.rcParams["text.color"]  # the theme's text colour: black on light, light on dark
    figure = _figure(max(6.4, 3.3 * len(panels)), 4.4)
    # A fixed jitter: the same data always draws the same picture.
    rng = np.random.default_rng(0)
    panel_axes = figure.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for axes, (model, conditions) in zip(panel_axes, panels):
        labels = []
        for x, (condition, values, summary) in enumerate(conditions):
            jitter = rng.uniform(-0.15, 0.15, len(values))
            axes.scatter(x + jitter, values, s=18, marker=_MARKERS[condition], color=colours[model.info.label],
                         alpha=0.6, linewidths=0)
            axes.hlines(summary.p50, x - 0.3, x + 0.3, colors=ink, linewidth=2)
            axes.hlines(summary.p95, x - 0.3, x + 0.3, colors=ink, linewidth=1.2, linestyles="--")
            labels.append(f"{condition}, n = {summary.n}\nP50 {summary.p50:.{digits}f} {unit}\n"
                          f"P95 {summary.p95:.{digits}f} {unit}")
        axes.set_xticks(range(len(conditions)), labels, fontsize=8)
        axes.set_xlim(-0.6, len(conditions) - 0.4)
        axes.set_title(model.info.label, fontsize=9)
        axes.grid(True, axis="y", alpha=0.3)
    panel_axes[0].set_ylim(bottom=0)
    panel_axes[0].set_ylabel(f"{title} ({unit})")
    markers = [Line2D([], [], color=ink, linewidth=2, label="P50"),
               Line2D([], [], color=ink, linewidth=1.2, linestyle="--", label="P95")]
    markers += [Line2D([], [], color="0.4", marker=_MARKERS[name], linestyle="", label=f"{name} answer")
                for name in _MARKERS]
    # Below the panels: above them the legend would collide with the title.
    figure.legend(handles=markers, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    figure.suptitle(f"{title} per answer, isolated and contended")
    return figure


def _measured(model: ModelFigures, values: str, summary: str) -> list[tuple[str, tuple[float, ...], Distribution]]:
    """(condition, values, summary) of each condition with answers; `values` and `summary` name Timing fields."""
    timings = (("isolated", model.isolated), ("contended", model.contended))
    return [(name, getattr(timing, values), getattr(timing, summary))
            for name, timing in timings if getattr(timing, summary) is not None]


def ttft_chart(data: ReportData) -> Figure | None:
    """Time to first token of every answer without error, per model and condition."""
    return _timing_chart(data, ("ttft_s", "ttft"), "Time to first token", "s", 2)


def decode_chart(data: ReportData) -> Figure | None:
    """Decode tokens/s of every answer without error, per model and condition."""
    return _timing_chart(data, ("decode_tps", "decode"), "Decode speed", "tok/s", 1)


def memory_chart(data: ReportData) -> Figure | None:
    """Peak memory (weights resident + context buffers) per model, as bars in MiB."""
    models = [model for model in data.models if model.peak_memory_bytes is not None]
    if not models:
        return None
    colours = _colours(data)
    figure = _figure(7, 1.6 + 0.6 * len(models))
    axes = figure.add_subplot()
    labels = [model.info.label for model in models]
    positions = np.arange(len(models))[::-1]
    bars = axes.barh(positions, [model.peak_memory_bytes / MIB for model in models], 0.6,
                     color=[colours[label] for label in labels])
    axes.bar_label(bars, fmt="%.1f MiB", fontsize=8, padding=3)
    axes.set_yticks(positions, labels, fontsize=8)
    # Room to the right of the longest bar for its label.
    axes.set_xlim(0, 1.25 * max(model.peak_memory_bytes for model in models) / MIB)
    axes.grid(True, axis="x", alpha=0.3)
    axes.set_xlabel("peak memory (MiB): weights resident + KV cache and compute buffers")
    axes.set_title("Peak memory per model")
    return figure


def tradeoff_chart(data: ReportData) -> Figure | None:
    """Rating against decode speed (P50), marker area proportional to peak memory."""
    ratings = {row.model: row for row in data.quality.rows if _finite(row.rating)}
    points = [
        (model, ratings[model.info.label], model.isolated.decode or model.contended.decode)
        for model in data.models
        if model.info.label in ratings and (model.isolated.decode or model.contended.decode)
    ]
    if not points:
        return None
    colours = _colours(data)
    largest = max((model.peak_memory_bytes or 0 for model, _, _ in points), default=0)
    middle = np.median([speed.p50 for _, _, speed in points])
    figure = _figure(7, 4.8)
    axes = figure.add_subplot()
    for model, row, speed in points:
        colour = colours[row.model]
        memory = model.peak_memory_bytes
        area = _MAX_AREA * memory / largest if memory else _UNKNOWN_MEMORY_AREA
        axes.scatter(speed.p50, row.rating, s=area, color=colour, alpha=0.45, edgecolors=colour, linewidths=1.5)
        if _finite(row.ci_low, row.ci_high):
            axes.errorbar(speed.p50, row.rating, yerr=interval_arms(row.rating, row.ci_low, row.ci_high),
                          fmt="none", ecolor=colour, capsize=3, alpha=0.7)
        condition = "" if model.isolated.decode else ", contended"
        size = f"{memory / MIB:.0f} MiB" if memory else "memory unknown"
        # Clear of the marker (its diameter is sqrt(area) points), on the side facing the middle of the chart.
        towards_middle = 1 if speed.p50 <= middle else -1
        axes.annotate(f"{row.model}\n{speed.p50:.1f} tok/s{condition} · {size}", (speed.p50, row.rating),
                      xytext=(towards_middle * (math.sqrt(area) / 2 + 4), 0), textcoords="offset points",
                      ha="left" if towards_middle > 0 else "right", va="center", fontsize=8)
    axes.margins(0.35, 0.3)
    axes.grid(True, alpha=0.3)
    axes.set_xlabel("decode tok/s, P50 (isolated answers; contended where a model has no isolated ones)")
    axes.set_ylabel("rating with 95% interval")
    axes.set_title("Quality vs speed vs memory (marker area ∝ peak memory)")
    return figure


def checks_chart(data: ReportData) -> Figure | None:
    """Share of automatic checks passed per model, overall and per suite category."""
    checks = data.checks
    if not checks.by_model:
        return None
    colours = _colours(data)
    categories = sorted({category for parts in checks.by_category.values() for category in parts if category})
    groups = ["all checks", *categories]
    figure = _figure(max(6.4, 1.6 + 1.3 * len(groups)), 4.2)
    axes = figure.add_subplot()
    ticks = np.arange(len(groups))
    for offset, (model, overall) in zip(_group_offsets(len(checks.by_model)), checks.by_model.items()):
        rates = [overall, *(checks.by_category.get(model, {}).get(category) for category in categories)]
        heights = [np.nan if rate is None else 100 * rate.rate for rate in rates]
        bars = axes.bar(ticks + offset, heights, 0.8 / len(checks.by_model), label=model, color=colours[model])
        axes.bar_label(bars, labels=["" if rate is None else f"{rate.passed}/{rate.total}" for rate in rates],
                       fontsize=7, padding=2)
    axes.set_xticks(ticks, groups)
    axes.set_ylim(0, 112)  # room above 100% for the counts
    axes.set_yticks(range(0, 101, 20))
    axes.grid(True, axis="y", alpha=0.3)
    axes.set_ylabel("checks passed (%)")
    axes.set_title("Automatic check pass rate (passed/run above each bar)")
    figure.legend(loc="outside upper center", ncols=min(len(checks.by_model), 3), fontsize=8, frameon=False)
    return figure


ChartFunction = Callable[[ReportData], Figure | None]
CHARTS: tuple[tuple[str, str, ChartFunction], ...] = (
    ("ratings", "Ratings", ratings_chart),
    ("rubric", "Rubric by category", rubric_chart),
    ("ttft", "Time to first token", ttft_chart),
    ("decode", "Decode speed", decode_chart),
    ("memory", "Peak memory", memory_chart),
    ("tradeoff", "Quality vs speed vs memory", tradeoff_chart),
    ("checks", "Check pass rates", checks_chart),
)
MISSING = {
    "ratings": "No votes yet: rate some rounds to see ratings.",
    "rubric": "No rubric scores yet: score answers 0–3 when you vote to see them by category.",
    "ttft": "No timed answers yet: run some rounds to see time to first token.",
    "decode": "No timed answers yet: run some rounds to see decode speed.",
    "memory": "No memory figures yet: rounds recorded by this version of the app carry them.",
    "tradeoff": "Needs a rating and a decode speed for a model: run and rate some rounds.",
    "checks": "No automatic checks yet: run a suite with checks (JSON, math) to see pass rates.",
}
