"""`python -m gui screenshots`: the README's pictures, taken from the real app running the default pair offscreen."""

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from gui.core.paths import RESOURCES_DIR

# asyncio is imported where a session uses it: gui.app builds this command's parser before its window shows.

PROMPT = "In two sentences: why is the sky blue?"
SEED = 7  # the Left/Right draw of the blind round; the answers use the settings' seed
WINDOW = (1280, 800)  # logical size of the main window in every session
MAX_WIDTH = 1280  # pixels: a 200% picture keeps its left part (the left pane, whole height) at full sharpness
LOAD_TIMEOUT_S = 600
ROUND_TIMEOUT_S = 600

# One child process per look: Qt reads QT_SCALE_FACTOR when the QApplication is made, and the theme is set then too.
# name: (theme, scale, pictures it takes)
SESSIONS = {
    "light": ("light", 1, ("welcome", "blind-vote", "revealed", "main-light")),
    "dark": ("dark", 1, ("main-dark",)),
    "light-200": ("light", 2, ("main-light-200",)),
}
# For checking the look by eye (--all), not for the README.
EXTRA_SESSIONS = {
    "dark-200": ("dark", 2, ("main-dark-200",)),
}


def add_screenshots_parser(commands) -> None:
    """The `screenshots` sub-command and its options."""
    shots = commands.add_parser("screenshots", help="take the README's screenshots with the default pair")
    shots.add_argument("--out", default=str(RESOURCES_DIR / "screenshots"),
                       help="folder for the PNG files (default: resources/screenshots)")
    # One look, in this process (the parent starts a child per look).
    shots.add_argument("--session", choices=(*SESSIONS, *EXTRA_SESSIONS), help=argparse.SUPPRESS)
    shots.add_argument("--all", action="store_true", help="also the dark theme at 200%%, to check it by eye")
    shots.add_argument("--full", action="store_true", help="keep 200%% pictures whole instead of their left part")


def run_screenshots(args: argparse.Namespace) -> int:
    """Take every picture, one child process per look; 1 when one failed."""
    if args.session:
        return _run_session(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gguf-arena-screenshots-") as temp:
        sessions = {**SESSIONS, **EXTRA_SESSIONS} if args.all else SESSIONS
        for name, (theme, scale, _pictures) in sessions.items():
            env = dict(
                os.environ,
                GGUF_ARENA_THEME=theme,
                QT_SCALE_FACTOR=str(scale),
                # A fresh data directory per look: the first start shows the welcome and no earlier votes.
                GGUF_ARENA_DATA=str(Path(temp) / name),
                # One font cache for all: matplotlib builds it on its first import, which takes seconds.
                MPLCONFIGDIR=os.environ.get("MPLCONFIGDIR", str(Path(temp) / "matplotlib")),
            )
            command = [sys.executable, "-m", "gui", "screenshots", "--out", str(out), "--session", name]
            if args.full:
                command.append("--full")
            print(f"{name}: theme {theme}, scale {scale}", flush=True)
            # llama.cpp's loading chatter goes to standard error: shown only when something failed.
            done = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True, errors="replace")
            if done.returncode:
                print("\n".join(done.stderr.splitlines()[-30:]), file=sys.stderr)
                print(f"The {name} screenshots failed (exit {done.returncode}): the last lines of its output are above.",
                      file=sys.stderr)
                return 1
    return 0


def _run_session(args: argparse.Namespace) -> int:
    from gui.app import run_app
    from gui.core.default_models import default_model_paths
    from gui.core.paths import models_dir

    missing = [path.name for path in default_model_paths(models_dir()) if not path.is_file()]
    if missing:
        print(f"The default pair is missing from {models_dir()} ({', '.join(missing)}): run `make models` first.",
              file=sys.stderr)
        return 1
    args.left, args.right = (str(path) for path in default_model_paths(models_dir()))

    async def drive(arena, left, right) -> int:
        pictures = {**SESSIONS, **EXTRA_SESSIONS}[args.session][2]
        return await _shoot(arena, left, right, pictures, Path(args.out), args.full)

    return run_app(args, drive=drive)


async def _settle(seconds: float = 0.3) -> None:
    """Let the token pump, the gauges and the chart's timer show their last state."""
    import asyncio

    await asyncio.sleep(seconds)


async def _load(arena, left: str, right: str) -> str | None:
    """Load the pair; the first error, or None."""
    import asyncio

    loads = [side.load_ended() for side in arena.sides]
    started = await arena.load_pair(left, right)
    if len(started) < 2:
        return " ".join(pane.error_text() for pane in arena.window.panes) or "a load did not start"
    errors = await asyncio.wait_for(asyncio.gather(*loads), LOAD_TIMEOUT_S)
    return next((error for error in errors if error), None)


async def _round(arena) -> str | None:
    """Send the prompt as a person would (the box, then Send) and wait for both answers; an error, or None."""
    import asyncio

    window = arena.window
    window.prompt.setPlainText(PROMPT)
    window.send_action.trigger()
    answers = await asyncio.wait_for(arena.round_task, ROUND_TIMEOUT_S)
    await _settle()
    errors = [answer.stats.error if answer is not None else "no answer" for answer in answers]
    return next((error for error in errors if error), None)


def _save(widget, path: Path, full: bool) -> None:
    picture = widget.grab()
    if not full and picture.width() > MAX_WIDTH:
        picture = picture.copy(0, 0, MAX_WIDTH, picture.height())
    if not picture.save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"  {path} ({picture.width()}×{picture.height()})", flush=True)


async def _shoot(arena, left: str, right: str, pictures: tuple[str, ...], out: Path, full: bool) -> int:
    """Take this session's pictures: the welcome, a blind round and its vote if asked for, then a round with all shown."""
    window = arena.window
    window.resize(*WINDOW)
    window.show()
    arena.rng = random.Random(SEED)
    arena.rater = "readme"  # no name dialog before the vote
    error = await _load(arena, left, right)
    if error:
        print(f"Loading the default pair failed: {error}", file=sys.stderr)
        return 1
    if "welcome" in pictures:
        await _settle()
        _save(window, out / "welcome.png", full)
    window.welcome.dismiss()
    if "blind-vote" in pictures:
        arena.new_chat()  # a draw from the seeded generator
        error = await _round(arena)
        if error:
            print(f"The blind round failed: {error}", file=sys.stderr)
            return 1
        _save(window, out / "blind-vote.png", full)
        window.rating.buttons[2].click()  # Tie: a picture is no place to judge two models
        await _settle()
    if "revealed" in pictures:
        _save(window, out / "revealed.png", full)
    main = next(name for name in pictures if name.startswith("main"))
    window.blind_action.setChecked(False)  # a new chat with every file, card, gauge and the chart shown
    error = await _round(arena)
    if error:
        print(f"The round failed: {error}", file=sys.stderr)
        return 1
    from gui.commands.smoke import chart_drawn

    await chart_drawn(window.chart)
    _save(window, out / f"{main}.png", full)
    return 0
