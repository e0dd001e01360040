"""Human-readable sizes and counts for labels ("92.1 MiB", "135M")."""

DASH = "—"


def format_bytes(count: int | None) -> str:
    """Binary units, as llama.cpp prints its buffer sizes; None is a dash."""
    if count is None:
        return DASH
    if count < 1024**2:
        return f"{count / 1024:.1f} KiB"
    if count < 1024**3:
        return f"{count / 1024**2:.1f} MiB"
    return f"{count / 1024**3:.2f} GiB"


def format_count(count: int | None) -> str:
    """Three significant digits with a K/M/B/T suffix: 134_515_008 -> "135M"; None is a dash."""
    if count is None:
        return DASH
    value = float(count)
    for suffix in ("", "K", "M", "B"):
        # 999.6 would round up to "1e+03" under .3g: move it to the next unit instead.
        if abs(value) < 999.5:
            return f"{value:.3g}{suffix}"
        value /= 1000
    return f"{value:.3g}T"


def format_or_dash(value: float | None, spec: str, unit: str = "") -> str:
    """Format a figure that may be missing; the unit follows a space when there is one."""
    if value is None:
        return DASH
    text = format(value, spec)
    return f"{text} {unit}" if unit else text
