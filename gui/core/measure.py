"""Measure mode's schedule and summary: each model alone, a warm-up first, then N runs in alternating order."""

from dataclasses import dataclass

from gui.core.summary import distribution, mean_sd_text, p50_p95_text


@dataclass(frozen=True)
class Step:
    """One answer of a measured round: which side, and which run (None for its warm-up)."""

    side: int
    run: int | None


def measure_schedule(sides: list[int], runs: int) -> list[Step]:
    """Warm-ups, then `runs` passes whose order alternates (A B, B A, A B …), so neither side always goes first."""
    if runs < 1:
        raise ValueError(f"a measurement needs at least one run, got {runs}")
    steps = [Step(side, None) for side in sides]
    for run in range(runs):
        order = sides if run % 2 == 0 else list(reversed(sides))
        steps += [Step(side, run) for side in order]
    return steps


def measure_summary(runs: list[dict]) -> str:
    """'3 runs alone: TTFT P50/P95 0.21 / 0.25 s · decode 80.1 ± 1.2 tok/s' from the runs' stored figures."""
    ttft = distribution([r["ttft_s"] for r in runs if r["ttft_s"] is not None and r["error"] is None])
    decode = distribution([r["decode_tps"] for r in runs if r["decode_tps"] is not None and r["error"] is None])
    return (f"{len(runs)} runs alone: TTFT P50/P95 {p50_p95_text(ttft)} s · "
            f"decode {mean_sd_text(decode)} tok/s")
