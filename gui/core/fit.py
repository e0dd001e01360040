"""What a model needs in RAM and VRAM before it loads: the one estimate behind the load-time fit check and the planner."""

from dataclasses import dataclass

from gui.core.gguf_header import ModelCard, Shape, WeightBytes, read_card

GIB = 2**30
# KV cache bytes per value: f16 is 2; q8_0 keeps blocks of 32 values as 32 bytes and an f16 scale.
KV_BYTES = {"f16": 2.0, "q8_0": 34 / 32}
# llama-cpp-python's micro-batch (n_ubatch), never more than the context: its tokens size the compute buffer.
UBATCH_TOKENS = 512
F32, F16 = 4, 2
# Hidden states alive beside the largest tensor of llama.cpp's graph (input, normed, residual), f32 a token.
LIVE_STATES = 3
# llama.cpp rounds a windowed sliding-window cache (window + micro-batch) up to a multiple of this.
SWA_PAD = 256
# One layer in n attends to everything, the others to a window: llama.cpp sets these by architecture,
# not from the header. Elsewhere every layer is counted as full attention, which can only over-estimate.
SWA_PATTERN = {"gemma2": 2, "gemma3": 6, "cohere2": 4}
# Without the sizes in its header, a model's context buffers are guessed as a share of its weights.
UNKNOWN_CONTEXT_SHARE = 0.25

CONTEXTS = (2048, 8192, 32768, 131072)
BUDGETS_GIB = (8, 16, 24, 48, 80)
# "tight": within 10% of the budget. That margin is for the OS, other programs and the estimate's own error,
# so a context that fits leaves it free.
TIGHT_SHARE = 0.9
FITS, TIGHT, NO = "fits", "tight", "no"
CONTEXT_STEP = 256


class FitError(Exception):
    """A model the planner cannot work out; `str()` says what is wrong and what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """What the estimate needs of a model, from a GGUF header or a preset."""

    name: str
    architecture: str
    shape: Shape
    weights: WeightBytes
    context_length: int | None  # the trained context, where known


@dataclass(frozen=True)
class MemoryEstimate:
    """What a model will need once loaded; `gpu_bytes` of it on the GPU, the rest in RAM."""

    weights_bytes: int
    kv_bytes: int
    compute_bytes: int  # llama.cpp's compute and output buffers
    gpu_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes

    @property
    def cpu_bytes(self) -> int:
        return self.total_bytes - self.gpu_bytes


def spec_of(card: ModelCard) -> ModelSpec:
    """A header's card as the estimate reads it; without a tensor table the file's size stands for the weights."""
    weights = card.weights or WeightBytes(total=card.file_size, layers=0, output=0)
    name = f"{card.name or card.architecture} {card.quantization}"
    return ModelSpec(name, card.architecture, card.shape, weights, card.context_length)


def head_sizes(shape: Shape) -> tuple[int | None, int | None]:
    """Key and value lengths per KV head: the header's, else the embedding split evenly over the heads."""
    head = shape.embedding_length // shape.head_count if shape.embedding_length and shape.head_count else None
    return shape.key_length or head, shape.value_length or head


def is_complete(shape: Shape) -> bool:
    """Whether the header gives every size the KV cache and the compute buffer depend on."""
    sizes = (shape.block_count, shape.head_count, shape.head_count_kv, shape.embedding_length, shape.vocab_size)
    return None not in sizes + head_sizes(shape)


def layer_kv_bytes(spec: ModelSpec, n_ctx: int, kv_type: str = "f16", swa_full: bool = True) -> list[int]:
    """Each layer's KV cache at `n_ctx`: grouped-query heads × (key + value) × cells × bytes a value.

    A sliding-window layer keeps the whole context too when `swa_full` (llama-cpp-python's default, so
    this app's loads); otherwise its window and a micro-batch, as llama-server does by default.
    """
    shape = spec.shape
    key, value = head_sizes(shape)
    window, pattern = shape.sliding_window, SWA_PATTERN.get(spec.architecture)
    windowed = min(n_ctx, -(-(window + min(n_ctx, UBATCH_TOKENS)) // SWA_PAD) * SWA_PAD) if window else n_ctx
    cells = [
        windowed if not swa_full and pattern and layer % pattern < pattern - 1 else n_ctx
        for layer in range(shape.block_count)
    ]
    return [round(n * shape.head_count_kv * (key + value) * KV_BYTES[kv_type]) for n in cells]


def estimate(spec: ModelSpec, n_ctx: int, kv_type: str = "f16", gpu_layers: int = 0,
             swa_full: bool = True) -> MemoryEstimate:
    """Weights + KV cache at `n_ctx` + compute and output buffers, as llama.cpp sizes them on a CPU.

    With `gpu_layers` > 0, llama.cpp's split: the last layers' weights and their KV cache, and the
    compute buffer (sized as on a CPU), on the GPU; above the layer count the output layer too.
    """
    shape = spec.shape
    if kv_type not in KV_BYTES:
        raise FitError(f"There is no KV cache type '{kv_type}': pick one of {', '.join(KV_BYTES)}.")
    if not is_complete(shape):
        return MemoryEstimate(spec.weights.total, int(spec.weights.total * UNKNOWN_CONTEXT_SHARE), 0)
    layers_kv = layer_kv_bytes(spec, n_ctx, kv_type, swa_full)
    ubatch = min(n_ctx, UBATCH_TOKENS)
    logits = shape.vocab_size * ubatch * F32
    if kv_type == "f16":
        # Without flash attention (llama-cpp-python's default) every head's scores are an f32 matrix, with its mask.
        attention = n_ctx * ubatch * (shape.head_count + 1) * F32
    else:
        # llama.cpp quantizes the V cache only with flash attention on, which keeps just an f16 mask.
        attention = n_ctx * ubatch * F16
    compute = max(logits, attention) + LIVE_STATES * shape.embedding_length * ubatch * F32
    output = shape.vocab_size * F32  # one token's logits
    on_gpu = max(0, min(gpu_layers, shape.block_count))
    weights, gpu = spec.weights.total, 0
    if on_gpu:
        gpu_weights = spec.weights.layers * on_gpu // shape.block_count
        if gpu_layers > shape.block_count:
            gpu_weights += spec.weights.output
            # Tied embeddings: the CPU keeps token_embd to look tokens up, the GPU gets a copy for the output.
            weights += spec.weights.output if spec.weights.output_tied else 0
        gpu = gpu_weights + sum(layers_kv[shape.block_count - on_gpu:]) + compute
    return MemoryEstimate(weights, sum(layers_kv), compute + output, gpu)


@dataclass(frozen=True)
class Preset:
    """A well-known model's shape, for planning without its file."""

    architecture: str
    block_count: int
    embedding_length: int
    feed_forward_length: int
    head_count: int
    head_count_kv: int
    head_length: int
    vocab_size: int
    context_length: int
    sliding_window: int | None = None
    tied: bool = False  # the output reuses the token embeddings

    def parameters(self) -> tuple[int, int, int]:
        """(repeating layers', embedding's, output's) weight counts: attention, a gated FFN, norms left out."""
        attention = self.embedding_length * self.head_length * (2 * self.head_count + 2 * self.head_count_kv)
        ffn = 3 * self.embedding_length * self.feed_forward_length
        embedding = self.vocab_size * self.embedding_length
        return self.block_count * (attention + ffn), embedding, 0 if self.tied else embedding


# Shapes from each model's config.json (as their GGUF headers carry them).
PRESETS = {
    "Llama-3-8B": Preset("llama", 32, 4096, 14336, 32, 8, 128, 128256, 8192),
    "Llama-3.1-8B": Preset("llama", 32, 4096, 14336, 32, 8, 128, 128256, 131072),
    "Qwen2.5-14B": Preset("qwen2", 48, 5120, 13824, 40, 8, 128, 152064, 32768),
    "Qwen2.5-32B": Preset("qwen2", 64, 5120, 27648, 40, 8, 128, 152064, 32768),
    "Gemma-3-27B": Preset("gemma3", 62, 5376, 21504, 32, 16, 128, 262144, 131072, sliding_window=1024, tied=True),
}
# Bits per weight of whole files, mixed tensor types included (Llama-3-8B at Q4_K_M: 4.92 GB for 8.03 B weights).
QUANT_BITS = {"Q4_K_M": 4.89, "Q5_K_M": 5.70, "Q8_0": 8.50, "F16": 16.0}


def preset_spec(name: str, quantization: str) -> ModelSpec:
    """A preset's shape at a quantization's bits per weight; FitError names the choices for an unknown one."""
    preset = PRESETS.get(name)
    if preset is None:
        raise FitError(f"There is no preset '{name}': pick one of {', '.join(PRESETS)}, or give a GGUF file.")
    bits = QUANT_BITS.get(quantization)
    if bits is None:
        raise FitError(f"There is no quantization '{quantization}' for presets: pick one of {', '.join(QUANT_BITS)}.")
    layers, embedding, output = (round(count * bits / 8) for count in preset.parameters())
    shape = Shape(block_count=preset.block_count, head_count=preset.head_count, head_count_kv=preset.head_count_kv,
                  embedding_length=preset.embedding_length, key_length=preset.head_length,
                  value_length=preset.head_length, vocab_size=preset.vocab_size, sliding_window=preset.sliding_window)
    weights = WeightBytes(total=layers + embedding + output, layers=layers, output=output or embedding,
                          output_tied=preset.tied)
    return ModelSpec(f"{name} {quantization} (preset)", preset.architecture, shape, weights, preset.context_length)


def file_spec(path: str) -> ModelSpec:
    """A GGUF file's spec, weights or header alone; GGUFFileError or FitError say why one cannot be planned."""
    card = read_card(path, header_only=True)
    if not is_complete(card.shape):
        raise FitError(
            f"'{card.path}' ({card.architecture}) lacks the layer, head or vocabulary sizes in its header, so its "
            "KV cache cannot be worked out. Pick a preset of the same shape instead."
        )
    return spec_of(card)


def planned_bytes(need: MemoryEstimate, gpu_layers: int) -> int:
    """What a budget is held against: the VRAM when layers go to the GPU, else all of it in RAM."""
    return need.gpu_bytes if gpu_layers > 0 else need.total_bytes


def verdict(need_bytes: int, budget_bytes: int) -> str:
    """FITS up to 90% of the budget, TIGHT up to all of it, NO beyond."""
    if need_bytes <= budget_bytes * TIGHT_SHARE:
        return FITS
    return TIGHT if need_bytes <= budget_bytes else NO


def contexts_of(spec: ModelSpec) -> list[int]:
    """2k, 8k, 32k and 128k, capped at the trained context (which stands in for those above it)."""
    trained = spec.context_length or CONTEXTS[-1]
    return sorted({min(n, trained) for n in CONTEXTS})


@dataclass(frozen=True)
class PlanRow:
    """One context's needs and its verdict against each budget."""

    n_ctx: int
    need: MemoryEstimate
    verdicts: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A model's needs at the planner's contexts, and the largest context that fits each budget (None: none)."""

    spec: ModelSpec
    kv_type: str
    gpu_layers: int
    swa_full: bool
    rows: tuple[PlanRow, ...]
    largest: tuple[int | None, ...]

    def setup(self) -> str:
        """The settings in words, for a table's title."""
        where = (f"{min(self.gpu_layers, self.spec.shape.block_count)} of {self.spec.shape.block_count} layers on "
                 f"the GPU{' with the output layer' if self.gpu_layers > self.spec.shape.block_count else ''}; "
                 "budgets are VRAM" if self.gpu_layers > 0 else "all on the CPU; budgets are RAM")
        window = "" if self.swa_full or not self.spec.shape.sliding_window else ", sliding-window layers windowed"
        trained = f"trained context {self.spec.context_length:,}" if self.spec.context_length else "context unknown"
        return f"{self.spec.name}: {trained}; KV cache {self.kv_type}{window}; {where}"


def largest_context(spec: ModelSpec, budget_bytes: int, kv_type: str = "f16", gpu_layers: int = 0,
                    swa_full: bool = True) -> int | None:
    """The largest context, in steps of 256 up to the trained one, whose need FITS the budget; None if none does."""
    def fits(n_ctx: int) -> bool:
        need = planned_bytes(estimate(spec, n_ctx, kv_type, gpu_layers, swa_full), gpu_layers)
        return verdict(need, budget_bytes) == FITS

    low, high = 0, (spec.context_length or CONTEXTS[-1]) // CONTEXT_STEP  # in steps; needs grow with the context
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle * CONTEXT_STEP) else (low, middle - 1)
    return low * CONTEXT_STEP or None


def plan(spec: ModelSpec, kv_type: str = "f16", gpu_layers: int = 0, swa_full: bool = True) -> Plan:
    """Needs and verdicts at each of the planner's contexts, and the largest context per budget."""
    budgets = [gib * GIB for gib in BUDGETS_GIB]
    rows = []
    for n_ctx in contexts_of(spec):
        need = estimate(spec, n_ctx, kv_type, gpu_layers, swa_full)
        rows.append(PlanRow(n_ctx, need, tuple(verdict(planned_bytes(need, gpu_layers), b) for b in budgets)))
    largest = tuple(largest_context(spec, b, kv_type, gpu_layers, swa_full) for b in budgets)
    return Plan(spec, kv_type, gpu_layers, swa_full, tuple(rows), largest)


def gib_text(n: int) -> str:
    """Bytes as GiB with two decimals."""
    return f"{n / GIB:.2f} GiB"


def format_plan(result: Plan, colour: bool = False) -> str:
    """The plan as a text table; `colour` paints the verdicts with ANSI colours (green, yellow, red)."""
    paint = {FITS: "\033[32m", TIGHT: "\033[33m", NO: "\033[31m"}
    budgets = [f"{gib} GiB" for gib in BUDGETS_GIB]
    head = f"{'context':>8}  {'RAM':>10}  {'VRAM':>10}  " + "  ".join(f"{b:>6}" for b in budgets)
    lines = [result.setup(), head]
    for row in result.rows:
        vram = gib_text(row.need.gpu_bytes) if result.gpu_layers > 0 else "-"
        cells = [f"{v:>6}" for v in row.verdicts]
        if colour:
            cells = [f"{paint[v]}{cell}\033[0m" for v, cell in zip(row.verdicts, cells)]
        lines.append(f"{row.n_ctx:>8,}  {gib_text(row.need.cpu_bytes):>10}  {vram:>10}  " + "  ".join(cells))
    largest = "  ".join(f"{b}: {n:,}" if n else f"{b}: none" for b, n in zip(budgets, result.largest))
    lines.append(f"largest context that fits: {largest}")
    return "\n".join(lines)


LEGEND = (f"fits: the need is at most {TIGHT_SHARE:.0%} of the budget; tight: above that, within the budget; "
          "no: more than the budget. GiB = 2^30 bytes, as a \"16 GB\" card or RAM kit counts them.")
