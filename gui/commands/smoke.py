"""The headless self-check: load both models, run one round in the real window offscreen, report figures."""

import asyncio
import json
from pathlib import Path

from gui.core.paths import models_dir

LOAD_TIMEOUT_S = 600
MID_ROUND_TOKENS = 24  # enough text on both panes for the streaming screenshot to show something


async def _capture_mid_round(arena, task: asyncio.Task, path: Path) -> None:
    """Save the window while both sides stream (or at the end, when an answer is short)."""
    while not task.done():
        counts = [side.live_tokens for side in arena.sides if side.model is not None]
        if counts and min(counts) >= MID_ROUND_TOKENS:
            break
        await asyncio.sleep(0.05)
    arena.window.grab().save(str(path))


def no_model_message() -> str:
    """What a side without a file says: where the default pair belongs, and the flags that name other files."""
    return (
        f"no model file given: put the default pair in {models_dir()} (`make models` in a source checkout "
        "fetches it), or name the files with --left and --right"
    )


def _side_report(arena, index: int, path: str | None, load_error: str | None, answer) -> dict:
    """One side's figures for metrics.json, with the definitions DESIGN.md gives (the check runs unblinded)."""
    model = arena.sides[index].model
    stats = answer.stats if answer is not None else None
    memory = arena.side_memory(index)
    return {
        "side": ("left", "right")[index],
        "model_file": path,
        "load_s": model.load_s if model else None,
        "ttft_s": stats.ttft_s if stats else None,
        "prompt_tps": stats.prompt_tps if stats else None,
        "decode_tps": stats.decode_tps if stats else None,
        "tokens": stats.tokens if stats else 0,
        "stop_reason": stats.stop_reason.value if stats else None,
        "threads": stats.threads if stats else None,
        "contended": stats.contended if stats else None,
        "memory_bytes": memory.total_bytes if memory else None,
        "weights_bytes": memory.weights_bytes if memory else None,
        "context_bytes": memory.context_bytes if memory else None,
        "answer": answer.text if answer is not None else None,
        "error": load_error or (stats.error if stats else None) or (None if path else no_model_message()),
    }


def _print_table(report: dict) -> None:
    def fmt(value, pattern):
        return "—" if value is None else pattern.format(value)

    print(f"mode: {report['mode']}    prompt: {report['prompt']!r}")
    print(f"{'side':6} {'load s':>7} {'TTFT s':>7} {'prompt t/s':>10} {'decode t/s':>10} {'tokens':>6} "
          f"{'memory MiB':>10}  stop")
    for side in report["sides"]:
        memory = None if side["memory_bytes"] is None else side["memory_bytes"] / 2**20
        print(f"{side['side']:6} {fmt(side['load_s'], '{:.2f}'):>7} {fmt(side['ttft_s'], '{:.3f}'):>7} "
              f"{fmt(side['prompt_tps'], '{:.1f}'):>10} {fmt(side['decode_tps'], '{:.1f}'):>10} "
              f"{side['tokens']:>6} {fmt(memory, '{:.1f}'):>10}  {side['stop_reason'] or side['error']}")
    for side in report["sides"]:
        print(f"\n--- {side['side']}: {Path(side['model_file']).name if side['model_file'] else '(none)'}")
        print(side["error"] if side["error"] else side["answer"])


async def chart_drawn(chart, timeout_s: float = 30.0) -> None:
    """Wait until the rate chart shows its last points: it draws on a thread of its own, twice a second."""
    for _ in range(int(timeout_s / 0.05)):
        if chart.is_current():
            return
        await asyncio.sleep(0.05)


async def run_smoke(arena, left: str | None, right: str | None, prompt: str, out: Path) -> int:
    """Load both, run one round, write screenshot.png and metrics.json to `out`; 1 when a side failed."""
    out.mkdir(parents=True, exist_ok=True)
    window = arena.window
    window.show()
    paths = (left, right)
    loads = [side.load_ended() for side in arena.sides]
    started = await arena.load_pair(left, right)
    if started:
        await asyncio.wait_for(asyncio.gather(*(loads[i] for i in started)), LOAD_TIMEOUT_S)
    # A file refused before loading (a bad header, too big) has its error in its pane.
    load_errors = [loads[i].result() if i in started else window.panes[i].error_text() or None for i in range(2)]
    answers = [None, None]
    if any(side.model is not None for side in arena.sides):
        task = arena.send(prompt)
        await _capture_mid_round(arena, task, out / "screenshot-streaming.png")
        answers = await task
    await asyncio.sleep(0.1)  # let the pump and the gauges show the final figures
    await chart_drawn(window.chart)
    window.grab().save(str(out / "screenshot.png"))
    arena.sample_memory_now()
    report = {
        "prompt": prompt,
        "mode": window.settings.mode(),
        "sides": [_side_report(arena, i, paths[i], load_errors[i], answers[i]) for i in range(2)],
    }
    (out / "metrics.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    _print_table(report)
    print(f"\nscreenshots and metrics.json in {out}")
    return 1 if any(side["error"] for side in report["sides"]) else 0


def run_smoke_command(args) -> int:
    """`python -m gui smoke`: the real app offscreen, not blind (it shows its figures), with no welcome."""
    from gui.app import run_app

    out = Path(args.out)

    async def drive(arena, left, right) -> int:
        return await run_smoke(arena, left, right, args.prompt, out)

    return run_app(args, drive=drive, blind=False, welcome=False)
