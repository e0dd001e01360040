"""Load and sampling parameters, one set per side."""

from dataclasses import dataclass

from gui.core.cpu import REPACK_AUTOMATIC

# How a round runs: both at once on split cores (Race), one after the other, or each alone N times.
PARALLEL = "parallel"
SEQUENTIAL = "sequential"
MEASURE = "measure"
DEFAULT_RUNS = 3  # measured runs of each model per round in Measure mode, after its warm-up
# A Load run's most requests at once: it measures the user's own server, it is no load generator.
MAX_LOAD_CONCURRENCY = 64


@dataclass(frozen=True)
class SamplingParams:
    """How a side samples its answer; the same seed on both sides keeps a round fair."""

    system_prompt: str = ""
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.1
    max_tokens: int = 256
    seed: int = 42


@dataclass(frozen=True)
class LoadParams:
    """How a side loads and runs its model.

    n_ctx and n_gpu_layers take effect at the next load; n_threads at the next request.
    n_threads 0 means "automatic": each side gets its share of the cores for the round's mode.
    chat_format None means "the file's own template, else the one for its architecture".
    weight_repack "automatic" lets llama.cpp repack weights where that is safe on this CPU; "off" never.
    """

    n_ctx: int = 2048
    n_threads: int = 0
    n_gpu_layers: int = 0
    chat_format: str | None = None
    weight_repack: str = REPACK_AUTOMATIC
