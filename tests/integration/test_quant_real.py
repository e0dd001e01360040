"""Two quantizations of SmolLM2 scored on the real llama.cpp: against itself, against a lower quant, against numpy."""

import math

import numpy as np
import pytest

from gui.core.quant import SAMPLE_TEXT, NotAQuantPair, QuantPair, TextRefused, measure, read_pair, read_text

pytestmark = pytest.mark.integration
CTX = 128  # small chunks: the figures' definitions do not depend on the size, the test's time does


@pytest.fixture(scope="session")
def text() -> str:
    return read_text(SAMPLE_TEXT)


def self_pair(path: str) -> QuantPair:
    return read_pair(path, path)


def test_a_file_against_itself_does_not_diverge(default_pair, text):
    result = measure(self_pair(default_pair[0]), text, n_ctx=CTX, max_chunks=2, n_threads=2)
    f = result.figures
    assert (result.chunks_done, result.cancelled, f.tokens) == (2, False, 2 * (CTX - 1 - CTX // 2))
    assert f.kld.value == pytest.approx(0, abs=1e-12) and f.kld_max == pytest.approx(0, abs=1e-12)
    assert f.same_top == 1 and f.ppl_ratio.value == pytest.approx(1, abs=1e-12)
    assert f.ppl_base.value == f.ppl_other.value and 1 < f.ppl_base.value < 1000


def test_a_lower_quant_diverges_and_predicts_worse(default_pair, requantized, text):
    pair = read_pair(default_pair[0], requantized)
    assert (pair.base.quantization, pair.other.quantization) == ("Q4_1", "Q2_K")
    assert pair.other.bits_per_weight < pair.base.bits_per_weight
    f = measure(pair, text, n_ctx=CTX, max_chunks=3, n_threads=2).figures
    assert f.kld.value > 10 * f.kld.error > 0
    assert f.ppl_other.value > f.ppl_base.value and f.ppl_ratio.value - 1 > 2 * f.ppl_ratio.error
    assert 0 < f.same_top < 1 and f.rms_dp.value > 0


def reference_log_probs(path: str, chunk: list[int]) -> np.ndarray:
    """log-softmax of every position's logits of `chunk`, from llama-cpp-python's own eval with logits_all."""
    import llama_cpp

    llm = llama_cpp.Llama(path, n_ctx=CTX, n_threads=2, logits_all=True, verbose=False)
    try:
        llm.eval(chunk)
        logits = np.array(llm.scores[: len(chunk)], dtype=np.float64)
    finally:
        llm.close()
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("index", [0, 1], ids=["smollm2", "gemma3-bos"])
def test_figures_match_numpy_on_llama_cpps_own_logits(default_pair, requantized, text, index):
    import llama_cpp

    base_path = default_pair[index]
    other_path = requantized if index == 0 else base_path
    result = measure(read_pair(base_path, other_path), text, n_ctx=CTX, max_chunks=2, n_threads=2)
    vocab_only = llama_cpp.Llama(base_path, vocab_only=True, verbose=False)
    tokens = vocab_only.tokenize(text.encode(), add_bos=True, special=False)
    bos = vocab_only.token_bos() if index == 1 else None  # Gemma adds a BOS, SmolLM2 none
    first = CTX // 2
    nll_base, nll_other, kld = [], [], []
    for c in range(2):
        chunk = tokens[c * CTX : (c + 1) * CTX]
        if bos is not None:
            chunk = [bos, *chunk[1:]]
        base, other = (reference_log_probs(path, chunk)[first:-1] for path in (base_path, other_path))
        targets = np.array(chunk[first + 1 :])
        nll_base += list(-base[np.arange(len(targets)), targets])
        nll_other += list(-other[np.arange(len(targets)), targets])
        kld += list((np.exp(base) * (base - other)).sum(axis=1))
    f = result.figures
    assert result.text_tokens == len(tokens) and f.tokens == len(kld)
    assert f.ppl_base.value == pytest.approx(math.exp(np.mean(nll_base)), rel=1e-6)
    assert f.ppl_other.value == pytest.approx(math.exp(np.mean(nll_other)), rel=1e-6)
    np.testing.assert_allclose(result.kld_values, kld, rtol=0, atol=1e-6)
    assert f.kld.value == pytest.approx(np.mean(kld), abs=1e-6)


def test_cancel_keeps_the_chunks_done_and_progress_counts_them(default_pair, requantized, text):
    seen = []
    result = measure(read_pair(default_pair[0], requantized), text, n_ctx=CTX, max_chunks=4, n_threads=2,
                     on_progress=lambda done, planned: seen.append((done, planned)), should_stop=lambda: len(seen) == 2)
    assert seen == [(1, 4), (2, 4)]
    assert (result.chunks_done, result.chunks_planned, result.cancelled) == (2, 4, True)
    assert result.figures.tokens == 2 * (CTX - 1 - CTX // 2) and result.figures.kld.value > 0


def test_a_short_text_is_refused_with_its_token_count(default_pair):
    with pytest.raises(TextRefused) as info:
        measure(self_pair(default_pair[0]), "Too short to score.", n_ctx=CTX, n_threads=2)
    assert str(info.value).startswith("The text is 5 tokens long; at a context of 128 it needs at least 256")


def test_smollm2_and_gemma_are_not_two_quantizations(default_pair):
    with pytest.raises(NotAQuantPair) as info:
        read_pair(*default_pair)
    message = str(info.value)
    assert "different architectures (llama and gemma3)" in message
    assert "different vocabularies (49,152 and 262,144 tokens)" in message
