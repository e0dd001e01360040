"""The comparison report: one self-contained HTML file, and its charts as PNG files beside it."""

import base64
import html
import math
from datetime import datetime
from pathlib import Path

import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gui.core.quant_record import QuantReport, arena_text
from gui.core.report_data import ModelFigures, PassRate, ReportData, Timing
from gui.core.rubric import ScoreMean
from gui.core.summary import Distribution, mean_sd_text, p50_p95_text
from gui.widgets.charts import CHARTS, MISSING, NO_CATEGORY
from gui.widgets.quant_chart import pareto_figure
from gui.widgets.units import DASH, format_bytes, format_count

DPI = 110
_ENVIRONMENT_KEYS = (
    ("app_version", "GGUF Arena"), ("llama_cpp_python", "llama-cpp-python"), ("python", "Python"), ("os", "OS"),
    ("cpu", "CPU"), ("cpu_features", "CPU features"), ("cores", "Cores"), ("ram_bytes", "RAM"), ("gpus", "GPUs"),
)
# Inline, like everything else: the file must open anywhere, offline, on its own.
_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 1060px;
       margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; vertical-align: top; white-space: pre-line; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
.note { color: #555; font-size: 0.92em; }
code { font-size: 0.9em; }
"""


def default_report_dir(data_dir: Path) -> Path:
    """A new folder for a report under the data directory, named by the minute: reports/2026-11-23-1405."""
    return data_dir / "reports" / datetime.now().strftime("%Y-%m-%d-%H%M")


def write_report(data: ReportData, out_dir: Path, quant: QuantReport | None = None) -> Path:
    """Write charts/<name>.png for each chart with data and report.html (charts embedded); returns the HTML path.

    With `quant` (the stored comparisons of quantizations), a section on them and its Pareto chart too.
    """
    charts = _write_charts(data, out_dir / "charts")
    quantizations = quant_section(quant, out_dir / "charts") if quant is not None else ""
    page = out_dir / "report.html"
    page.write_text(_page(data, charts, quantizations), encoding="utf-8")
    return page


def _write_charts(data: ReportData, folder: Path) -> dict[str, Path]:
    """Render each chart with data off-screen; a chart without data leaves no PNG, not even an older one."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    # The report is a light page whatever the app's theme: its charts are drawn in matplotlib's own colours.
    with matplotlib.style.context("default"):
        for name, _, draw in CHARTS:
            path = folder / f"{name}.png"
            figure = draw(data)
            if figure is None:
                path.unlink(missing_ok=True)
                continue
            FigureCanvasAgg(figure)
            figure.savefig(path, dpi=DPI)
            written[name] = path
    return written


def _e(value) -> str:
    """Text from the data, safe inside HTML."""
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[str]], numeric: tuple[int, ...] | None = None) -> str:
    """An HTML table of plain-text cells; the `numeric` columns (all but the first by default) are right-aligned."""
    figures = range(1, len(headers)) if numeric is None else numeric
    head = "".join(f"<th>{_e(header)}</th>" for header in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{_e(cell)}</td>' if column in figures else f"<td>{_e(cell)}</td>"
            for column, cell in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(section_id: str, title: str, body: str) -> str:
    return f'<section><h2 id="{section_id}">{_e(title)}</h2>\n{body}\n</section>'


def _page(data: ReportData, charts: dict[str, Path], quantizations: str = "") -> str:
    """The whole report as one HTML document."""
    title = data.title or "GGUF Arena report: " + " vs ".join(model.info.label for model in data.models)
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    sections = [
        _section("pair", "The models", _pair(data)),
        _section("metrics", "Speed and memory", _metrics(data)),
        _section("quality", "Quality", _quality(data)),
        _section("charts", "Charts", _charts(charts)),
        _section("reproducibility", "Reproducibility", _reproducibility(data)),
    ]
    if quantizations:
        sections.insert(-1, quantizations)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<h1>{_e(title)}</h1>\n<p class="note">Generated {_e(generated)} by GGUF Arena.</p>\n'
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def _pair(data: ReportData) -> str:
    if not data.models:
        return "<p>No rounds yet.</p>"
    validity = data.checks.json_validity
    rows = [
        [info.label, Path(info.path).name if info.path else DASH, format_bytes(info.file_size),
         info.quantization or DASH, info.architecture or DASH, format_count(info.parameter_count),
         _validity(validity.get(info.label))]
        for info in (model.info for model in data.models)
    ]
    headers = ["Model", "File", "Size", "Quantization", "Architecture", "Parameters", "JSON validity"]
    note = (
        '<p class="note">JSON validity: the share of answers that parse as JSON, of those a suite checked '
        "for it (the json check).</p>"
    )
    return _table(headers, rows, numeric=(2, 5, 6)) + note


def _validity(rate: PassRate | None) -> str:
    """"92% (23 of 25)", or a dash where no answer was checked for JSON."""
    return DASH if rate is None else f"{rate.rate:.0%} ({rate.passed} of {rate.total})"


def _metrics(data: ReportData) -> str:
    """One column per model, so the two read side by side."""
    if not data.models:
        return "<p>No rounds yet.</p>"
    figures = [
        ("Load time, median over loads", _load_time),
        ("TTFT P50 / P95, isolated", lambda m: _ttft(m.isolated)),
        ("TTFT P50 / P95, contended", lambda m: _ttft(m.contended)),
        ("Decode tok/s mean ± sd, isolated", lambda m: _decode(m.isolated)),
        ("Decode tok/s mean ± sd, contended", lambda m: _decode(m.contended)),
        ("Peak memory (weights + context)", lambda m: format_bytes(m.peak_memory_bytes)),
        ("File size", lambda m: format_bytes(m.info.file_size)),
        ("Answers (errors included)", lambda m: str(m.answers)),
        ("Stop reasons", lambda m: "\n".join(f"{reason}: {count}" for reason, count in m.stop_reasons.items())),
    ]
    rows = [[name, *(show(model) for model in data.models)] for name, show in figures]
    note = (
        '<p class="note">Isolated: the other model was idle; contended: both generated at once. '
        "TTFT includes prompt processing; decode tok/s = (tokens − 1) / (last token − first token). "
        "Percentiles interpolate linearly; sd is the sample standard deviation. "
        "Answers that ended in an error are left out of the speed figures.</p>"
    )
    return _table(["", *(model.info.label for model in data.models)], rows) + note


def _load_time(model: ModelFigures) -> str:
    if model.load_s is None:
        return DASH
    return f"{model.load_s:.2f} s (n = {len(model.load_times_s)})"


def _ttft(timing: Timing) -> str:
    if timing.ttft is None:
        return DASH
    return f"{p50_p95_text(timing.ttft)} s\n{_sample_note(timing.ttft, timing)}"


def _decode(timing: Timing) -> str:
    if timing.decode is None:
        return DASH
    return f"{mean_sd_text(timing.decode)} tok/s\n{_sample_note(timing.decode, timing)}"


def _sample_note(summary: Distribution, timing: Timing) -> str:
    """"n = 12" and how many of the answers were the first after a load (slower: caches are cold)."""
    first = f", {timing.first_after_load} first after load" if timing.first_after_load else ""
    return f"(n = {summary.n}{first})"


def _quality(data: ReportData) -> str:
    quality = data.quality
    parts = ["<h3>Blind ratings</h3>", _ratings(data)]
    parts.append(f"<p>{_e(_votes_line(data))}</p>")
    parts.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in quality.summary_lines) + "</ul>")
    parts += ["<h3>Protocol: rubric score by category, speed and memory</h3>", _protocol(data)]
    parts += ["<h3>Rubric agreement (Krippendorff's alpha, ordinal)</h3>", _alpha(data)]
    parts += ["<h3>Automatic checks</h3>", _checks(data)]
    return "\n".join(parts)


def _ratings(data: ReportData) -> str:
    if not data.quality.rows:
        return "<p>No rated votes yet.</p>"
    rows = [
        [str(rank), row.model, f"{row.rating:.0f}", _interval(row.ci_low, row.ci_high),
         f"{row.wins} / {row.losses} / {row.ties}", str(row.both_bad), str(row.votes)]
        for rank, row in enumerate(data.quality.rows, 1)
    ]
    headers = ["#", "Model", "Rating", "95% CI", "W / L / T", "Both bad", "Votes"]
    table = _table(headers, rows, numeric=(0, 2, 3, 4, 5, 6))
    note = (
        '<p class="note">Bradley–Terry ratings on the Elo scale (mean 1000), 95% percentile bootstrap intervals; '
        "ties count both-bad votes too. Votes with the same model on both sides (controls) are not rated.</p>"
    )
    return table + note


def _interval(low: float, high: float) -> str:
    """"951 – 1050", or a dash where the bootstrap gave no interval (NaN)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return DASH
    return f"{low:.0f} – {high:.0f}"


def _votes_line(data: ReportData) -> str:
    quality = data.quality
    raters = ", ".join(rater or "(unnamed)" for rater in quality.raters) or "nobody"
    repeats = f" ({quality.repeat_votes} on swapped repeats, for flip rates only)" if quality.repeat_votes else ""
    leaks = f"; {quality.leaks_left_out} with an identity leak left out" if quality.leaks_left_out else ""
    count = len(quality.raters)
    return f"{quality.votes} votes counted{repeats}, by {count} rater{'s' if count != 1 else ''}: {raters}{leaks}."


def _protocol(data: ReportData) -> str:
    """Per model: mean rubric score ± 95% CI per category, then TTFT P95, decode rate, peak memory, load time."""
    means = data.quality.rubric_means
    if not means:
        return "<p>No rubric scores yet: run the protocol (Results › Run batch › Run protocol) and rate it.</p>"
    categories = sorted({category for own in means.values() for category in own})
    figures = {model.info.label: model for model in data.models}
    # Models known only from imported votes have scores but no figures here.
    rows = [
        [model, *(_score(means.get(model, {}).get(category)) for category in categories), *_speed(figures.get(model))]
        for model in dict.fromkeys([*figures, *means])
    ]
    headers = ["Model", *(f"{category or NO_CATEGORY} (0–3)" for category in categories),
               "TTFT P95, isolated", "Decode tok/s, isolated", "Peak memory", "Load time"]
    note = (
        '<p class="note">Rubric: each answer\'s 0–3 score is first averaged over its raters; the cell gives the '
        "mean over answers with a t-based 95% confidence interval, mean ± t(0.975, n − 1) · sd / √n, and n, the "
        "answers scored (no interval below two; bounds clipped to 0–3). Swapped repeats are left out. Speed from "
        "isolated answers (the other model idle, as the protocol runs them): TTFT P95, mean decode tok/s; peak "
        "memory is weights + context; load time the median over loads.</p>"
    )
    return _table(headers, rows) + note


def _score(mean: ScoreMean | None) -> str:
    """"2.33 (1.81–2.85)\nn = 12"; the mean alone below two answers; a dash without scores."""
    if mean is None:
        return DASH
    interval = "" if mean.low is None else f" ({mean.low:.2f}–{mean.high:.2f})"
    return f"{mean.mean:.2f}{interval}\nn = {mean.n}"


def _speed(model: ModelFigures | None) -> list[str]:
    """TTFT P95 and mean decode rate of isolated answers, peak memory, load time; dashes where unknown."""
    if model is None:
        return [DASH] * 4
    ttft, decode = model.isolated.ttft, model.isolated.decode
    return [
        DASH if ttft is None else f"{ttft.p95:.2f} s (n = {ttft.n})",
        DASH if decode is None else f"{decode.mean:.1f} (n = {decode.n})",
        format_bytes(model.peak_memory_bytes),
        _load_time(model),
    ]


def _alpha(data: ReportData) -> str:
    """Alpha over every answer scored twice or more, then per category."""
    found = data.quality.rubric_agreement
    if found is None:
        return "<p>No answer was scored by two raters yet: agreement needs a second rater (File › Switch rater).</p>"
    rows = [[label, _alpha_value(alpha.value), str(alpha.answers), str(alpha.raters)]
            for label, alpha in [("all categories", found.overall),
                                 *((category or NO_CATEGORY, alpha) for category, alpha in found.by_category.items())]]
    note = (
        '<p class="note">Krippendorff\'s alpha for ordinal data over the answers two raters or more scored '
        "(1 perfect agreement, 0 no better than chance); an answer a rater did not score is a gap, not a zero. "
        "The kappa on votes is under Blind ratings.</p>"
    )
    return _table(["Category", "Alpha", "Answers", "Raters"], rows) + note


def _alpha_value(value: float | None) -> str:
    return "undefined (every score the same)" if value is None else f"{value:.3f}"


def _checks(data: ReportData) -> str:
    checks = data.checks
    if not checks.by_model:
        return "<p>No automatic checks ran.</p>"
    rows = []
    for model, overall in checks.by_model.items():
        rows.append([model, "all checks", *_rate_cells(overall)])
        rows += [[model, f"kind: {kind}", *_rate_cells(rate)] for kind, rate in checks.by_kind[model].items()]
        rows += [
            [model, f"category: {category or NO_CATEGORY}", *_rate_cells(rate)]
            for category, rate in checks.by_category[model].items()
        ]
    return _table(["Model", "Checks", "Passed", "Run", "Pass rate"], rows, numeric=(2, 3, 4))


def _rate_cells(rate: PassRate) -> list[str]:
    return [str(rate.passed), str(rate.total), f"{rate.rate:.0%}"]


def _charts(charts: dict[str, Path]) -> str:
    """Every chart embedded as a PNG data URI, or the line saying what it still needs."""
    parts = []
    for name, title, _ in CHARTS:
        if name not in charts:
            parts.append(f'<p class="note">{_e(title)}: {_e(MISSING[name])}</p>')
            continue
        encoded = base64.b64encode(charts[name].read_bytes()).decode("ascii")
        parts.append(
            f'<figure id="chart-{name}"><img src="data:image/png;base64,{encoded}" alt="{_e(title)}">'
            f"<figcaption>{_e(title)} (also charts/{name}.png)</figcaption></figure>"
        )
    return "\n".join(parts)


def _reproducibility(data: ReportData) -> str:
    found = data.reproducibility
    parts = [f"<p>{_e(_rounds_line(data))}</p>", "<h3>Model files</h3>"]
    parts.append(_table(
        ["Model", "Fingerprint", "Path", "Weight buffers"],
        [[model, "\n".join(found.fingerprints[model]), "\n".join(found.paths[model]),
          "\n".join(found.weight_buffers[model]) or DASH] for model in found.fingerprints],
        numeric=(),
    ))
    parts.append("<h3>Settings</h3>")
    parts.append(_table(
        ["Model", "Sampling", "Load"],
        [[model, _settings(found.sampling[model]), _settings(found.load[model])] for model in found.sampling],
        numeric=(),
    ))
    parts.append(f"<p>Seeds: {_e(', '.join(map(str, found.seeds)) or DASH)}</p>")
    parts.append("<h3>Software and machine</h3>")
    parts.append(_environments(found.environments))
    parts.append("<h3>Runs</h3>")
    batches = [[batch or "(typed in the chat)", str(count)] for batch, count in found.batches.items()]
    categories = [[category or NO_CATEGORY, str(count)] for category, count in found.categories.items()]
    parts.append(_table(["Batch", "Rounds (repeats apart)"], batches))
    parts.append(_table(["Category", "Rounds (repeats apart)"], categories))
    return "\n".join(parts)


def _rounds_line(data: ReportData) -> str:
    found = data.reproducibility
    if not found.rounds:
        return "No rounds yet."
    return (
        f"{found.rounds} rounds from {found.first_at} to {found.last_at}: {found.controls} controls (the same model "
        f"on both sides, counted in its speed and memory figures) and {found.repeats} swapped repeats (a rated "
        "round shown again to check its rater, left out of every figure above)."
    )


def _settings(distinct: tuple[dict, ...]) -> str:
    """Each distinct set of settings on its own line, as key=value pairs."""
    return "\n".join(", ".join(f"{key}={value!r}" for key, value in settings.items()) for settings in distinct) or DASH


def _environments(environments: tuple[dict, ...]) -> str:
    """One column per distinct environment: versions and machine."""
    if not environments:
        return "<p>No rounds yet.</p>"
    rows = [[title, *(_environment_value(key, env.get(key)) for env in environments)]
            for key, title in _ENVIRONMENT_KEYS]
    headers = ["", *(f"Environment {index}" for index in range(1, len(environments) + 1))]
    return _table(headers, rows, numeric=())


def _environment_value(key: str, value) -> str:
    if value is None:
        return DASH
    if key == "ram_bytes":
        return format_bytes(value)
    if key == "gpus":
        return ", ".join(map(str, value)) or "none"
    if key == "cpu_features":
        return ", ".join(f"{name.upper()} {DASH if has is None else 'yes' if has else 'no'}" for name, has in value.items())
    return str(value)


def quant_section(quant: QuantReport, folder: Path) -> str:
    """The quantizations section: the newest comparison's verdict, its model's scoreboard, the Pareto chart
    (written to charts/quant_pareto.png and embedded)."""
    v, c = quant.verdict, quant.comparison
    card = _table(["", f"{v.other} against {v.base}"], [
        ["Size saved", f"{v.saved_percent:.1f}% ({v.saved_mib:,.1f} MiB)"],
        ["Bits per weight", f"{v.bpw_base:.2f} → {v.bpw_other:.2f}"],
        ["PPL ratio", f"{v.ppl_ratio:.4f} ± {v.ppl_ratio_error:.4f}"],
        ["KL divergence (mean, p99)", f"{v.kld:.4f}, {v.kld_p99:.4f} nats"],
        ["Same top token", f"{v.same_top_percent:.2f}% of {v.tokens:,} tokens"],
        [f"In the arena, {v.base}", arena_text(v.arena_base)], [f"In the arena, {v.other}", arena_text(v.arena_other)],
    ], numeric=(1,))
    board = _table(
        ["Quantization", "Size [MiB]", "BPW", "PPL", "ΔPPL", "KLD", "KLD p99", "Same top", "vs", "Text"],
        [[r.quantization, f"{r.size_mib:,.2f}", f"{r.bits_per_weight:.2f}", f"{r.ppl:.4f} ± {r.ppl_error:.4f}",
          f"{r.delta_ppl_percent:+.2f}%", f"{r.kld:.5f} ± {r.kld_error:.5f}", f"{r.kld_p99:.4f}",
          f"{r.same_top_percent:.2f}%", r.base, r.run] for r in quant.rows],
        numeric=tuple(range(1, 8)),
    )
    record = (f"Text {c.text_name} (sha256 {c.text_sha256[:16]}…), context {c.n_ctx}, {c.chunks_done} of "
              f"{c.chunks_planned} chunks; base {c.base['fingerprint']}, other {c.other['fingerprint']}; GGUF Arena "
              f"{c.versions.get('app_version')}, llama-cpp-python {c.versions.get('llama_cpp_python')}.")
    parts = ["<h3>Verdict of the newest comparison</h3>", card, f'<p class="note">{_e(record)}</p>',
             "<h3>Scoreboard: every quantization of this model compared</h3>", board]
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.style.context("default"):
        figure = pareto_figure(quant.rows, v.base)
        FigureCanvasAgg(figure)
        figure.savefig(folder / "quant_pareto.png", dpi=DPI)
    encoded = base64.b64encode((folder / "quant_pareto.png").read_bytes()).decode("ascii")
    parts.append(f'<figure id="chart-quant-pareto"><img src="data:image/png;base64,{encoded}" alt="Pareto chart">'
                 "<figcaption>KL divergence against bits per weight (also charts/quant_pareto.png)</figcaption></figure>")
    return _section("quantizations", "Quantizations", "\n".join(parts))
