"""`python -m gui fit`: what GGUF files or preset shapes need in RAM or VRAM per context, against common budgets."""

import argparse
import sys

# The estimate is imported when the command runs: the parser is built at every start of the app, and the
# header reader brings gguf and numpy, which the window must not wait for. So choices are checked there too.


def add_fit_parser(commands) -> None:
    """The `fit` sub-command and its options."""
    fit = commands.add_parser("fit", help="which contexts of a model fit 8 to 80 GiB of RAM or VRAM")
    fit.add_argument("files", nargs="*", metavar="FILE.gguf", help="GGUF files; a header alone (no weights) will do")
    fit.add_argument("--preset", action="append", default=[], metavar="NAME",
                     help="a model shape instead of a file, e.g. Llama-3-8B, Qwen2.5-14B (repeatable)")
    fit.add_argument("--quant", default="Q4_K_M", help="the presets' quantization: Q4_K_M, Q5_K_M, Q8_0 or F16")
    fit.add_argument("--kv", default="f16", help="the KV cache's type, f16 or q8_0 (q8_0 needs flash attention, "
                     "which the estimate then assumes)")
    fit.add_argument("--gpu-layers", type=int, default=0, metavar="N",
                     help="layers on the GPU (above the layer count: the output layer too); the budgets are then VRAM")
    fit.add_argument("--swa-window", action="store_true", help="sliding-window layers keep only their window "
                     "(llama-server's default); this app's loads keep the whole context")


def run_fit_command(args: argparse.Namespace) -> int:
    """One table per file or preset; 1 when any could not be planned (the others are still printed)."""
    from gui.core.fit import LEGEND, PRESETS, FitError, file_spec, format_plan, plan, preset_spec
    from gui.core.gguf_header import GGUFFileError

    if not args.files and not args.preset:
        print("Give one or more GGUF files, or --preset NAME (one of "
              f"{', '.join(PRESETS)}).", file=sys.stderr)
        return 2
    failed = False
    tables = []
    sources = [(path, None) for path in args.files] + [(None, name) for name in args.preset]
    for path, name in sources:
        try:
            spec = file_spec(path) if path else preset_spec(name, args.quant)
            result = plan(spec, args.kv, args.gpu_layers, swa_full=not args.swa_window)
        except (GGUFFileError, FitError) as error:
            print(error, file=sys.stderr)
            failed = True
            continue
        tables.append(format_plan(result, colour=sys.stdout.isatty()))
    if tables:
        print("\n\n".join(tables + [LEGEND]))
    return 1 if failed else 0
