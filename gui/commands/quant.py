"""`python -m gui quant`: how far a quantization's next-token predictions stray from another of the same model."""

import argparse
import contextlib
import io
import json
import signal
import sys
from pathlib import Path

# gui.core.quant (numpy, the header reader) is imported when the command runs: the parser is built at every
# start of the app, and the window must not wait for them.

_BAR = 30


def add_quant_parser(commands) -> None:
    """The `quant` sub-command and its options."""
    quant = commands.add_parser("quant", help="compare two quantizations of one model on a text (PPL, KL divergence)")
    quant.add_argument("--base", required=True, metavar="A.gguf", help="the reference quantization (the larger one)")
    quant.add_argument("--other", required=True, metavar="B.gguf", help="the quantization measured against it")
    quant.add_argument("--text", metavar="FILE", help="a UTF-8 text of a few thousand words (default: the shipped "
                       "sample, resources/texts/harbour-town.txt)")
    quant.add_argument("--ctx", type=int, default=512, help="tokens per chunk; the second half of each is scored "
                       "(default 512, as llama.cpp's perplexity tool)")
    quant.add_argument("--chunks", type=int, metavar="N", help="score only the first N chunks (default: all)")
    quant.add_argument("--threads", type=int, default=0, help="threads per model (default: all cores)")
    quant.add_argument("--json", metavar="OUT", help="also write the figures to this JSON file")
    quant.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def run_quant_command(args: argparse.Namespace) -> int:
    """Measure, print the figures and the scoreboard row; 1 on a refusal, 130 when interrupted (figures so far kept)."""
    from gui.core.backend import EngineError
    from gui.core.gguf_header import GGUFFileError
    from gui.core.quant import SAMPLE_TEXT, QuantError, measure, read_pair, read_text

    out = sys.stdout
    text_path = Path(args.text) if args.text else SAMPLE_TEXT
    try:
        pair = read_pair(args.base, args.other)
        text = read_text(text_path)
    except (GGUFFileError, QuantError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Base:  {_describe(pair.base)}\nOther: {_describe(pair.other)}\nText:  {text_path.name}", file=out)
    interrupted = []
    bar = _ProgressBar(sys.stderr)
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))  # stop after the chunk under way
    try:
        # llama-cpp-python prints each load's metadata on standard error; llama.cpp's log goes to the log file.
        with contextlib.redirect_stderr(io.StringIO()):
            result = measure(pair, text, n_ctx=args.ctx, max_chunks=args.chunks, n_threads=args.threads,
                             on_progress=bar.show, should_stop=lambda: bool(interrupted))
    except (QuantError, EngineError) as error:
        bar.end()
        print(error, file=sys.stderr)
        return 130 if interrupted else 1
    finally:
        signal.signal(signal.SIGINT, previous)
    bar.end()
    print(format_result(result), file=out)
    if args.json:
        try:
            Path(args.json).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            print(f"Could not write {args.json}: {error.strerror or error}. Choose another path with --json.",
                  file=sys.stderr)
            return 1
    return 130 if result.cancelled else 0


class _ProgressBar:
    """Chunks done as a bar, redrawn in place on a terminal, a line per chunk elsewhere."""

    def __init__(self, stream):
        self.stream = stream
        self.drawn = False

    def show(self, done: int, planned: int) -> None:
        filled = _BAR * done // planned
        line = f"[{'#' * filled}{'-' * (_BAR - filled)}] {done}/{planned} chunks"
        terminal = self.stream.isatty()
        self.stream.write(("\r" + line) if terminal else line + "\n")
        self.stream.flush()
        self.drawn = terminal

    def end(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.drawn = False


def _describe(card) -> str:
    """A file's name, quantization, size and bits per weight."""
    return f"{Path(card.path).name} ({card.quantization}, {card.file_size / 2**20:,.1f} MiB, " \
           f"{card.bits_per_weight:.2f} bits per weight)"


def format_result(result) -> str:
    """The figures as lines, then a scoreboard row as llama.cpp's perplexity README tabulates quantizations."""
    f = result.figures
    head = (f"{result.text_tokens:,} tokens: {result.chunks_done} of {result.chunks_planned} chunks of {result.n_ctx} "
            f"scored, the second half of each")
    if result.cancelled:
        head += f" (stopped after chunk {result.chunks_done}: the figures are of those chunks)"
    if f is None:
        return head + "\nNo chunk was finished, so there are no figures."
    low, high = f.same_top_ci
    lines = [
        head + f" ({f.tokens:,} tokens)",
        f"PPL base        {f.ppl_base.value:10.4f} ± {f.ppl_base.error:.4f}",
        f"PPL other       {f.ppl_other.value:10.4f} ± {f.ppl_other.error:.4f}",
        f"PPL ratio       {f.ppl_ratio.value:10.5f} ± {f.ppl_ratio.error:.5f}   (ΔPPL {f.delta_ppl_percent:+.2f}%)",
        f"KL divergence   {f.kld.value:10.5f} ± {f.kld.error:.5f}   median {f.kld_median:.5f}, "
        f"99th percentile {f.kld_p99:.5f}, max {f.kld_max:.5f}",
        f"Same top token  {100 * f.same_top:9.2f} %   (95% CI {100 * low:.2f}–{100 * high:.2f} %)",
        f"RMS Δp          {100 * f.rms_dp.value:9.3f} % ± {100 * f.rms_dp.error:.3f} %",
        "",
        "| Quantization | Size [MiB] | BPW  | PPL                  | ΔPPL     | KLD                 | Same top |",
        "|--------------|-----------:|-----:|----------------------|---------:|---------------------|---------:|",
        scoreboard_row(result),
    ]
    return "\n".join(lines)


def scoreboard_row(result) -> str:
    """The other quantization's row: file size, bits per weight, PPL, ΔPPL %, KLD, same top token %."""
    f, card = result.figures, result.pair.other
    return (f"| {card.quantization:<12} | {card.file_size / 2**20:10.2f} | {card.bits_per_weight:4.2f} "
            f"| {f.ppl_other.value:8.4f} ± {f.ppl_other.error:8.4f} | {f.delta_ppl_percent:+7.2f}% "
            f"| {f.kld.value:8.5f} ± {f.kld.error:7.5f} | {100 * f.same_top:7.2f}% |")
