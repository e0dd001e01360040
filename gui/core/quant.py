"""Two quantizations of one model: is a pair one, and where, by how much, do their next-token predictions differ."""

import codecs
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gui.core.gguf_header import ModelCard, Vocabulary, read_card, read_vocabulary
from gui.core.paths import RESOURCES_DIR

# Log-softmax rows handled at a time: about 32 MiB of float64 whatever the vocabulary (85 rows of SmolLM2's, 16 of Gemma's).
_BLOCK_BYTES = 2**25
_Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
MIN_CTX = 16
RIBBON_TOKENS = 4096  # scored tokens kept with their text for the ribbon; a longer text's rest is not shown
WORST = 20  # tokens of most divergence kept with both models' top guesses
TOP = 5  # guesses kept per model for each of those
_CONTEXT = 8  # tokens shown before a worst token
SAMPLE_TEXT = RESOURCES_DIR / "texts" / "harbour-town.txt"  # public domain, written for the app


class QuantError(Exception):
    """A comparison that cannot run as asked; `str()` says what is wrong and what to do."""


class NotAQuantPair(QuantError):
    """Two files that are not one model in two quantizations; `str()` says why, in plain words."""


class TextRefused(QuantError):
    """A text the comparison cannot use; `str()` says what is wrong and what to do."""


@dataclass(frozen=True)
class QuantPair:
    """One base model in two quantizations: the reference (`base`) and the one measured against it."""

    base: ModelCard
    other: ModelCard
    vocabulary: Vocabulary


def read_pair(base_path: str | os.PathLike, other_path: str | os.PathLike) -> QuantPair:
    """The pair from the two files' headers; GGUFFileError for a bad file, NotAQuantPair for a mismatch."""
    return quant_pair(read_card(base_path), read_vocabulary(base_path), read_card(other_path),
                      read_vocabulary(other_path))


def quant_pair(base: ModelCard, base_vocabulary: Vocabulary, other: ModelCard, other_vocabulary: Vocabulary) -> QuantPair:
    """A QuantPair where both cards are the same model (architecture, sizes, vocabulary), else NotAQuantPair."""
    reasons = []
    if base.architecture != other.architecture:
        reasons.append(f"different architectures ({base.architecture} and {other.architecture})")
    if base_vocabulary.size != other_vocabulary.size:
        reasons.append(f"different vocabularies ({base_vocabulary.size:,} and {other_vocabulary.size:,} tokens)")
    elif base_vocabulary.digest != other_vocabulary.digest:
        reasons.append(f"different vocabularies (both {base_vocabulary.size:,} tokens, but not the same tokens)")
    if base.parameter_count != other.parameter_count:
        reasons.append(f"different sizes ({base.parameter_count:,} and {other.parameter_count:,} parameters)")
    shapes = [(name, getattr(base.shape, name), getattr(other.shape, name))
              for name in ("block_count", "embedding_length", "head_count", "head_count_kv")]
    differing = [f"{name.replace('_', ' ')} {a} and {b}" for name, a, b in shapes if a != b]
    if differing and base.architecture == other.architecture:
        reasons.append(f"different shapes ({', '.join(differing)})")
    if reasons:
        raise NotAQuantPair(
            f"{Path(base.path).name} and {Path(other.path).name} are not two quantizations of one model: "
            f"{'; '.join(reasons)}. Their next-token predictions cannot be compared token by token; "
            "pick two files of the same model (say its Q8_0 and its Q4_K_M)."
        )
    return QuantPair(base, other, base_vocabulary)


def read_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file's text, as llama.cpp's perplexity tool reads it (one final newline dropped)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise TextRefused(f"'{p}' was not found. Give the path of a plain-text (UTF-8) file.") from None
    except IsADirectoryError:
        raise TextRefused(f"'{p}' is a folder. Give the path of a plain-text (UTF-8) file.") from None
    except OSError as error:
        raise TextRefused(f"'{p}' cannot be read ({error.strerror or error}). Check it, or give another file.") from None
    if not raw.strip():
        raise TextRefused(f"'{p.name}' is empty{' but for white space' if raw else ''}: there is nothing to score. "
                          "Give a text of a few thousand words.")
    if b"\0" in raw:
        raise TextRefused(f"'{p.name}' holds NUL bytes (the first at byte {raw.index(0):,}), so it is binary, not "
                          "text. Give a plain-text (UTF-8) file.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TextRefused(f"'{p.name}' is not UTF-8 text (byte {error.start:,} cannot be read as UTF-8): it may be "
                          "binary, or text in another encoding. Give a plain-text file saved as UTF-8.") from None
    return text.removesuffix("\n")


def suite_text(suite) -> str:
    """A suite's prompts, each followed by its reference answer where it has one, as one text to score."""
    text = "\n\n".join(part for item in suite.items for part in (item.prompt, item.reference) if part.strip())
    if not text.strip():
        raise TextRefused(f"The suite '{suite.name}' has no prompt or reference text to score. Pick another text.")
    return text


@dataclass
class TokenScores:
    """Per scored token, in order: each model's -log p of the actual next token, KL(base‖other), same top token;
    the tokens themselves, and the WORST tokens by KL with each model's TOP guesses (ids and probabilities)."""

    nll_base: list[np.ndarray] = field(default_factory=list)
    nll_other: list[np.ndarray] = field(default_factory=list)
    kld: list[np.ndarray] = field(default_factory=list)
    same_top: list[np.ndarray] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)
    worst: list[tuple] = field(default_factory=list)  # (kld, index, base top, other top), most divergent first
    count: int = 0

    def add(self, base: np.ndarray, other: np.ndarray, targets: np.ndarray) -> None:
        """Score one block of log-softmax rows of both models against the tokens that came next."""
        rows = np.arange(len(targets))
        self.nll_base.append(-base[rows, targets])
        self.nll_other.append(-other[rows, targets])
        # KL(P_base ‖ P_other) = Σ p_base (log p_base − log p_other): what the other quant loses of the base's.
        kld = np.sum(np.exp(base) * (base - other), axis=1)
        self.kld.append(kld)
        self.same_top.append(np.argmax(base, axis=1) == np.argmax(other, axis=1))
        self.targets.append(np.asarray(targets, dtype=np.int32))
        self._keep_worst(base, other, kld)
        self.count += len(targets)

    def _keep_worst(self, base: np.ndarray, other: np.ndarray, kld: np.ndarray) -> None:
        """Keep the block's rows that enter the WORST so far, with their top guesses: the rows go with the block."""
        floor = self.worst[-1][0] if len(self.worst) >= WORST else -math.inf
        rows = np.flatnonzero(kld > floor)
        rows = rows[np.argsort(-kld[rows], kind="stable")[:WORST]]
        for row in rows:
            self.worst.append((float(kld[row]), self.count + int(row), _top(base[row]), _top(other[row])))
        self.worst.sort(key=lambda entry: -entry[0])
        del self.worst[WORST:]

    def arrays(self) -> dict[str, np.ndarray]:
        """The scores so far, each as one array."""
        return {name: np.concatenate(getattr(self, name)) if getattr(self, name) else np.zeros(0)
                for name in ("nll_base", "nll_other", "kld", "same_top", "targets")}


def _top(row: np.ndarray) -> tuple[tuple[int, float], ...]:
    """A log-probability row's TOP tokens, most likely first, as (id, probability)."""
    k = min(TOP, len(row))
    ids = np.argpartition(-row, k - 1)[:k]
    ids = ids[np.argsort(-row[ids], kind="stable")]
    return tuple((int(i), float(math.exp(row[i]))) for i in ids)


@dataclass(frozen=True)
class WorstToken:
    """A token where the two quantizations' predictions differ most: the text before it, it, and their guesses."""

    index: int  # among the scored tokens
    kld: float
    text: str
    context: str
    base_top: tuple[tuple[str, float], ...]  # (token text, probability), most likely first
    other_top: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Ribbon:
    """The first RIBBON_TOKENS scored tokens' text with their KL, where each chunk's scored part begins, the worst."""

    pieces: tuple[str, ...]
    kld: np.ndarray
    chunk_starts: tuple[int, ...]
    worst: tuple[WorstToken, ...]


def ribbon_of(scores: TokenScores, tokens: list[int], n_ctx: int, spell: Callable[[list[int]], list[bytes]]) -> Ribbon:
    """The ribbon of the tokens scored so far; `spell(ids)` gives each token's bytes (the base model's)."""
    a = scores.arrays()
    per_chunk = n_ctx - 1 - n_ctx // 2
    shown = min(len(a["targets"]), RIBBON_TOKENS)
    starts = tuple(range(0, shown, per_chunk))
    pieces: list[str] = []
    for start in starts:
        # A character split over tokens belongs to the token that ends it; each chunk is read on its own.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces += [decoder.decode(b) for b in spell([int(t) for t in a["targets"][start : min(start + per_chunk, shown)]])]

    def text(ids) -> str:
        return b"".join(spell([int(i) for i in ids])).decode("utf-8", errors="replace")

    def before(index: int) -> str:
        """The few tokens of the text before scored token `index`, within its chunk (BOS left out)."""
        chunk, offset = divmod(index, per_chunk)
        at = chunk * n_ctx + n_ctx // 2 + 1 + offset
        return text(tokens[max(at - _CONTEXT, chunk * n_ctx + 1) : at])

    worst = tuple(
        WorstToken(index=index, kld=kld, text=text([a["targets"][index]]), context=before(index),
                   base_top=tuple((text([i]), p) for i, p in base_top),
                   other_top=tuple((text([i]), p) for i, p in other_top))
        for kld, index, base_top, other_top in scores.worst
    )
    return Ribbon(pieces=tuple(pieces), kld=a["kld"][:shown], chunk_starts=starts, worst=worst)


@dataclass(frozen=True)
class Estimate:
    """A mean-like figure and its standard error."""

    value: float
    error: float


@dataclass(frozen=True)
class Figures:
    """What the scored tokens say, each figure defined as llama.cpp's perplexity tool defines it."""

    tokens: int
    ppl_base: Estimate
    ppl_other: Estimate
    ppl_ratio: Estimate  # PPL(other)/PPL(base), its error from the paired per-token differences
    kld: Estimate
    kld_median: float
    kld_p99: float
    kld_max: float
    same_top: float  # share of tokens whose most likely next token is the same for both
    same_top_ci: tuple[float, float]  # Wilson's 95% interval: unlike ±2 errors it stays inside 0–1 at 100%
    rms_dp: Estimate  # RMS of p_other − p_base of the actual next token

    @property
    def delta_ppl_percent(self) -> float:
        """How much higher the other's perplexity is, in % of the base's."""
        return (self.ppl_ratio.value - 1) * 100


@dataclass(frozen=True)
class Divergence:
    """A comparison's run: the pair, the text's size, how far it got, and the figures (None before a chunk ended)."""

    pair: QuantPair
    n_ctx: int
    text_tokens: int
    chunks_planned: int
    chunks_done: int
    cancelled: bool
    figures: Figures | None
    kld_values: np.ndarray  # per scored token, kept for plots and percentiles
    ribbon: Ribbon | None = None  # the scored tokens' text and the worst ones, for the window

    def to_json(self) -> dict:
        """The run as plain JSON types (per-token values left out)."""
        figures = self.figures
        out = {
            "base": _card_json(self.pair.base), "other": _card_json(self.pair.other),
            "n_ctx": self.n_ctx, "text_tokens": self.text_tokens, "chunks_planned": self.chunks_planned,
            "chunks_done": self.chunks_done, "cancelled": self.cancelled, "figures": None,
        }
        if figures is not None:
            out["figures"] = {
                "tokens_scored": figures.tokens,
                "ppl_base": vars(figures.ppl_base), "ppl_other": vars(figures.ppl_other),
                "ppl_ratio": vars(figures.ppl_ratio), "delta_ppl_percent": figures.delta_ppl_percent,
                "kld": vars(figures.kld), "kld_median": figures.kld_median, "kld_p99": figures.kld_p99,
                "kld_max": figures.kld_max, "same_top": figures.same_top, "same_top_ci95": list(figures.same_top_ci),
                "rms_dp": vars(figures.rms_dp),
            }
        return out


def _card_json(card: ModelCard) -> dict:
    """What the JSON says of one file."""
    return {"path": card.path, "name": card.name, "quantization": card.quantization, "file_size": card.file_size,
            "bits_per_weight": card.bits_per_weight}


def _mean(values: np.ndarray) -> Estimate:
    """The mean and its standard error (population spread over √(n−1), as llama.cpp computes it)."""
    n = len(values)
    error = float(np.std(values) / math.sqrt(n - 1)) if n > 1 else 0.0
    return Estimate(float(np.mean(values)), error)


def _exp(log_value: Estimate) -> Estimate:
    """exp of an estimate, its error carried through to first order."""
    value = math.exp(log_value.value)
    return Estimate(value, value * log_value.error)


def _wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson's 95% interval for a proportion."""
    p, z2 = successes / n, _Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def figures_of(scores: TokenScores) -> Figures | None:
    """The figures of the tokens scored so far; None when there are none."""
    a = scores.arrays()
    n = len(a["kld"])
    if n == 0:
        return None
    dp = np.exp(-a["nll_other"]) - np.exp(-a["nll_base"])
    mean_square = _mean(dp**2)
    rms = math.sqrt(mean_square.value)
    same = int(a["same_top"].sum())
    return Figures(
        tokens=n,
        ppl_base=_exp(_mean(a["nll_base"])),
        ppl_other=_exp(_mean(a["nll_other"])),
        ppl_ratio=_exp(_mean(a["nll_other"] - a["nll_base"])),
        kld=_mean(a["kld"]),
        kld_median=float(np.median(a["kld"])),
        kld_p99=float(np.percentile(a["kld"], 99)),
        kld_max=float(a["kld"].max()),
        same_top=same / n,
        same_top_ci=_wilson(same, n),
        rms_dp=Estimate(rms, 0.5 / rms * mean_square.error if rms else 0.0),
    )


def check_length(n_tokens: int, n_ctx: int) -> int:
    """How many whole chunks the text makes; TextRefused under two (the first half of each is context only)."""
    if n_tokens < 2 * n_ctx:
        raise TextRefused(
            f"The text is {n_tokens:,} tokens long; at a context of {n_ctx:,} it needs at least {2 * n_ctx:,} "
            f"(two chunks of {n_ctx:,}, the first half of each read as context only). "
            "Give a longer text, or a smaller context."
        )
    return n_tokens // n_ctx


def score_chunks(base, other, tokens: list[int], bos: int | None, n_ctx: int, n_chunks: int, block_rows: int,
                 on_progress: Callable[[int, int], None], should_stop: Callable[[], bool]) -> tuple[TokenScores, int]:
    """Score chunk after chunk on both engines (LlamaEngine); (the scores, chunks done), stopping when asked.

    Each chunk of n_ctx tokens is read from an empty cache, starting with BOS where the model wants one;
    the tokens of its second half are scored, each predicted from everything before it in the chunk.
    Only one block of rows of each model's log-probabilities is held at a time.
    """
    scores = TokenScores()
    first = n_ctx // 2
    for done in range(n_chunks):
        if should_stop():
            return scores, done
        chunk = tokens[done * n_ctx : (done + 1) * n_ctx]
        if bos is not None:
            chunk = [bos, *chunk[1:]]
        targets = np.asarray(chunk[first + 1 :])
        at = 0
        blocks = zip(base.chunk_log_probs(chunk, first, block_rows), other.chunk_log_probs(chunk, first, block_rows),
                     strict=True)
        for base_rows, other_rows in blocks:
            scores.add(base_rows, other_rows, targets[at : at + len(base_rows)])
            at += len(base_rows)
        on_progress(done + 1, n_chunks)
    return scores, n_chunks


def measure(pair: QuantPair, text: str, n_ctx: int = 512, max_chunks: int | None = None, n_threads: int = 0,
            on_progress: Callable[[int, int], None] = lambda done, planned: None,
            should_stop: Callable[[], bool] = lambda: False) -> Divergence:
    """Load both models and score `text` on them, chunk by chunk; a cancelled run keeps the chunks done.

    Both stay loaded for the run (twice one model's memory): llama.cpp's tool writes the base's
    log-probabilities to a file instead, gigabytes for a long text. Raises QuantError, EngineError.
    """
    from gui.core.engine import LlamaEngine
    from gui.core.params import LoadParams

    trained = min(c for c in (pair.base.context_length, pair.other.context_length, 2**31) if c)
    if not MIN_CTX <= n_ctx <= trained:
        raise QuantError(f"A context of {n_ctx:,} is outside what can be scored: give one from {MIN_CTX} to the "
                         f"model's trained context of {trained:,} (512 is llama.cpp's usual).")
    if max_chunks is not None and max_chunks < 1:
        raise QuantError(f"--chunks {max_chunks}: give at least 1, or leave it out to score the whole text.")
    params = LoadParams(n_ctx=n_ctx, n_threads=n_threads or os.cpu_count() or 1)
    base, other = LlamaEngine(), LlamaEngine()
    try:
        base.load(pair.base.path, params, lambda _fraction: not should_stop(), pair.base)
        tokens, bos = base.scoring_tokens(text)
        planned = min(check_length(len(tokens), n_ctx), max_chunks or len(tokens))
        other.load(pair.other.path, params, lambda _fraction: not should_stop(), pair.other)
        block_rows = max(1, _BLOCK_BYTES // (8 * pair.vocabulary.size))
        scores, done = score_chunks(base, other, tokens, bos, n_ctx, planned, block_rows, on_progress, should_stop)
        ribbon = ribbon_of(scores, tokens, n_ctx, base.token_bytes)
    finally:
        base.close()
        other.close()
    return Divergence(pair=pair, n_ctx=n_ctx, text_tokens=len(tokens), chunks_planned=planned, chunks_done=done,
                      cancelled=done < planned, figures=figures_of(scores), kld_values=scores.arrays()["kld"], ribbon=ribbon)
