"""The Pareto chart of a model's quantizations: KL divergence against bits per weight, for window and report."""

from matplotlib.figure import Figure
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

from gui.core.quant_record import ScoreRow
from gui.widgets.charts_window import figure_image

_FLOOR = 1e-6  # a KLD this small draws at the axis' foot: a log axis has no 0 (a file against itself)


def pareto_figure(rows: list[ScoreRow], base: str, figure: Figure | None = None) -> Figure | None:
    """Each quantization measured against `base` as a point, the cheapest at the least divergence joined; None
    without rows."""
    if not rows:
        return None
    figure = figure or Figure(figsize=(6.4, 4.0), layout="constrained")
    axes = figure.add_subplot()
    points = sorted(((row.bits_per_weight, max(row.kld, _FLOOR), row.quantization) for row in rows))
    axes.scatter([p[0] for p in points], [p[1] for p in points], color="C0", zorder=3)
    for bpw, kld, name in points:
        axes.annotate(name, (bpw, kld), xytext=(4, 4), textcoords="offset points", fontsize=8)
    # The front: quantizations no other beats on both size and divergence.
    front, best = [], float("inf")
    for bpw, kld, _ in points:
        if kld < best:
            front.append((bpw, kld))
            best = kld
    if len(front) > 1:
        axes.plot(*zip(*front), color="C1", linewidth=1, zorder=2, label="Pareto front")
        axes.legend(fontsize=8)
    axes.set_yscale("log")
    axes.set_xlabel("bits per weight")
    axes.set_ylabel(f"mean KL divergence from {base} (nats)")
    axes.grid(True, which="both", alpha=0.3)
    axes.set_title("Quantizations: divergence against size")
    return figure


def draw_pareto(rows: list[ScoreRow], base: str, size: QSize, ratio: float) -> QImage:
    """The Pareto chart drawn with Agg into an image of `size` logical pixels; safe on any thread (null without rows)."""
    figure = Figure(figsize=(size.width() / 100, size.height() / 100), dpi=100 * ratio, layout="constrained")
    if pareto_figure(rows, base, figure) is None:
        return QImage()
    return figure_image(figure, ratio)
