"""Summary statistics of one measured figure: count, mean, sample sd, P50, P95 and range."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

DASH = "—"


@dataclass(frozen=True)
class Distribution:
    """A sample summarised; P50 and P95 interpolate linearly between order statistics (numpy's default)."""

    n: int
    mean: float
    sd: float | None  # sample standard deviation (ddof=1); None below two values
    p50: float
    p95: float
    min: float
    max: float


def distribution(values: Iterable[float]) -> Distribution | None:
    """The summary of `values`; None when there are none."""
    sample = np.asarray(list(values), dtype=float)
    if sample.size == 0:
        return None
    p50, p95 = np.percentile(sample, [50, 95], method="linear")
    return Distribution(
        n=int(sample.size),
        mean=float(sample.mean()),
        sd=float(sample.std(ddof=1)) if sample.size >= 2 else None,
        p50=float(p50),
        p95=float(p95),
        min=float(sample.min()),
        max=float(sample.max()),
    )


def mean_sd_text(d: Distribution | None, digits: int = 1) -> str:
    """"57.8 ± 2.1"; the mean alone without an sd; a dash without values."""
    if d is None:
        return DASH
    if d.sd is None:
        return f"{d.mean:.{digits}f}"
    return f"{d.mean:.{digits}f} ± {d.sd:.{digits}f}"


def p50_p95_text(d: Distribution | None, digits: int = 2) -> str:
    """"0.21 / 0.40" (P50 / P95); a dash without values."""
    if d is None:
        return DASH
    return f"{d.p50:.{digits}f} / {d.p95:.{digits}f}"
