"""`python -m gui load`: a Load run against a served model, N requests at once for each N, printed as a table."""

import argparse
import sys

from gui.core.params import SamplingParams

# The rest is imported when the command runs: the parser is built at every start of the app.


def levels_from(text: str) -> list[int]:
    """"1,2,4,8" as concurrency levels (core.load_run.parse_levels), for argparse."""
    from gui.core.load_run import parse_levels

    try:
        return parse_levels(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_load_parser(commands) -> None:
    """The `load` sub-command and its options."""
    load = commands.add_parser("load", help="send N requests at once to a served model, for each N, and time them")
    load.add_argument("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8080/v1")
    load.add_argument("--model", required=True, help="the model id, as the server lists it")
    key = load.add_mutually_exclusive_group()
    key.add_argument("--key-env", help="the environment variable that holds the API key, if the server needs one")
    key.add_argument("--keyring", action="store_true",
                     help="use the API key kept for this server in the system keyring (by Server… in the window)")
    load.add_argument("--levels", type=levels_from, default=[1, 2, 4], help="requests at once, e.g. 1,2,4,8")
    load.add_argument("--suite", default="logic", help="the suite whose prompts are sent in turn (default: logic)")
    load.add_argument("--max-tokens", type=int, default=128)
    load.add_argument("--ttft-bound", type=float, default=2.0, help="the TTFT P95 (seconds) a level must keep")
    load.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def run_load_command(args: argparse.Namespace) -> int:
    """Each level in turn against the server; the table at the end. 1 when the server could not be used."""
    from PySide6.QtCore import QCoreApplication

    from gui.app import run_on_qasync
    from gui.core.backend import EngineError
    from gui.core.load_run import format_levels, run_level
    from gui.core.paths import data_dir
    from gui.core.served import Server, client
    from gui.core.suites import SuiteError, find_suite

    try:
        prompts = [item.prompt for item in find_suite(args.suite, data_dir(getattr(args, "data_dir", None))).items]
    except SuiteError as error:
        print(error, file=sys.stderr)
        return 1
    server = Server(args.url, args.key_env, args.keyring)
    sampling = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
    loop = run_on_qasync(QCoreApplication.instance() or QCoreApplication([sys.argv[0]]))

    async def run() -> list:
        levels = []
        async with client() as http:
            for n in args.levels:
                level = await run_level(http, server, args.model, prompts, n, sampling)
                print(f"N={n}: {level.tokens} tokens in {level.wall_s:.2f} s, {level.errors} errors", flush=True)
                levels.append(level)
        return levels

    try:
        levels = loop.run_until_complete(run())
    except EngineError as error:
        print(error, file=sys.stderr)
        return 1
    print(format_levels(levels, args.ttft_bound))
    for level in levels:
        for text in dict.fromkeys(level.error_texts):
            print(f"N={level.n}: {text}", file=sys.stderr)
    return 0
