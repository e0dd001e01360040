"""Two quantizations of one model, without running them: the pair check, the text check, the figures' arithmetic."""

import math

import numpy as np
import pytest

from fakes import fake_card
from gui.core.gguf_header import Shape, Vocabulary
from gui.core.quant import (
    SAMPLE_TEXT,
    NotAQuantPair,
    TextRefused,
    TOP,
    WORST,
    TokenScores,
    check_length,
    figures_of,
    quant_pair,
    read_text,
    ribbon_of,
)

SMOL_SHAPE = Shape(block_count=30, head_count=9, head_count_kv=3, embedding_length=576, vocab_size=49152)
SMOL_VOCABULARY = Vocabulary(size=49152, digest="e3f7", tokenizer="gpt2")


def refusal(other_card, other_vocabulary=SMOL_VOCABULARY) -> str:
    base = fake_card(shape=SMOL_SHAPE)
    with pytest.raises(NotAQuantPair) as info:
        quant_pair(base, SMOL_VOCABULARY, other_card, other_vocabulary)
    return str(info.value)


def test_two_quantizations_of_one_model_make_a_pair():
    base = fake_card(shape=SMOL_SHAPE)
    other = fake_card("/models/smol-Q2_K.gguf", quantization="Q2_K", file_size=88_201_792, shape=SMOL_SHAPE)
    pair = quant_pair(base, SMOL_VOCABULARY, other, SMOL_VOCABULARY)
    assert (pair.base, pair.other, pair.vocabulary) == (base, other, SMOL_VOCABULARY)


def test_another_model_is_refused_saying_why():
    message = refusal(fake_card("/models/gemma.gguf", architecture="gemma3", parameter_count=268_098_176),
                      Vocabulary(size=262144, digest="1d66", tokenizer="llama"))
    assert message.startswith("SmolLM2-135M-Instruct.Q4_1.gguf and gemma.gguf are not two quantizations of one model")
    assert "different architectures (llama and gemma3)" in message
    assert "different vocabularies (49,152 and 262,144 tokens)" in message
    assert "different sizes (134,515,008 and 268,098,176 parameters)" in message
    assert "pick two files of the same model" in message


def test_same_size_vocabularies_with_other_tokens_are_refused():
    message = refusal(fake_card(shape=SMOL_SHAPE), Vocabulary(size=49152, digest="0000", tokenizer="gpt2"))
    assert "different vocabularies (both 49,152 tokens, but not the same tokens)" in message


def test_a_model_of_another_shape_is_refused():
    message = refusal(fake_card(shape=Shape(block_count=32, head_count=9, head_count_kv=3, embedding_length=576)))
    assert "different shapes (block count 30 and 32)" in message


def test_text_files_are_read_as_llama_cpp_reads_them(tmp_path):
    text = tmp_path / "t.txt"
    text.write_bytes("Hello, wörld.\n\n".encode())
    assert read_text(text) == "Hello, wörld.\n"  # one final newline dropped, as llama-perplexity -f does
    assert len(read_text(SAMPLE_TEXT).split()) > 2500


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "'t.txt' is empty: there is nothing to score"),
    (b" \n\n", "'t.txt' is empty but for white space"),
    (b"GGUF\x03\x00\x00\x00\xff\xfe", "'t.txt' holds NUL bytes (the first at byte 5), so it is binary"),
    ("café au lait".encode("latin-1"), "'t.txt' is not UTF-8 text (byte 3 cannot be read as UTF-8): it may be binary"),
])
def test_unusable_texts_are_refused_saying_why(tmp_path, content, expected):
    text = tmp_path / "t.txt"
    text.write_bytes(content)
    with pytest.raises(TextRefused, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_text(text)


def test_missing_text_and_folder_are_refused(tmp_path):
    with pytest.raises(TextRefused, match="was not found"):
        read_text(tmp_path / "gone.txt")
    with pytest.raises(TextRefused, match="is a folder"):
        read_text(tmp_path)


def test_a_text_under_two_chunks_is_refused_with_its_length():
    assert check_length(1024, 512) == 2 and check_length(3535, 512) == 6
    with pytest.raises(TextRefused) as info:
        check_length(1000, 512)
    assert str(info.value).startswith("The text is 1,000 tokens long; at a context of 512 it needs at least 1,024")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_figures_follow_their_definitions():
    rng = np.random.default_rng(1)
    base = log_softmax(rng.normal(size=(40, 7)))
    other = log_softmax(np.log(np.exp(base) + 0.05 * rng.random((40, 7))))
    targets = rng.integers(0, 7, 40)
    scores = TokenScores()
    scores.add(base[:25], other[:25], targets[:25])  # blocks add up to the whole
    scores.add(base[25:], other[25:], targets[25:])
    f = figures_of(scores)
    p, q = np.exp(base), np.exp(other)
    nll_b, nll_o = -base[np.arange(40), targets], -other[np.arange(40), targets]
    kld = (p * np.log(p / q)).sum(axis=1)
    assert f.tokens == 40
    assert f.ppl_base.value == pytest.approx(math.exp(nll_b.mean()))
    assert f.ppl_base.error == pytest.approx(math.exp(nll_b.mean()) * nll_b.std(ddof=1) / math.sqrt(40))
    assert f.ppl_ratio.value == pytest.approx(math.exp(nll_o.mean()) / math.exp(nll_b.mean()))
    assert f.kld.value == pytest.approx(kld.mean()) and f.kld_median == pytest.approx(np.median(kld))
    assert f.kld_p99 == pytest.approx(np.sort(kld)[-2] + 0.61 * (np.sort(kld)[-1] - np.sort(kld)[-2]))
    dp = np.exp(-nll_o) - np.exp(-nll_b)
    assert f.rms_dp.value == pytest.approx(math.sqrt((dp**2).mean()))
    assert f.same_top == pytest.approx((base.argmax(1) == other.argmax(1)).mean())
    assert f.delta_ppl_percent == pytest.approx((f.ppl_ratio.value - 1) * 100)


def test_identical_predictions_give_no_divergence_and_a_ci_below_100():
    base = log_softmax(np.random.default_rng(2).normal(size=(200, 5)))
    scores = TokenScores()
    scores.add(base, base.copy(), np.zeros(200, dtype=int))
    f = figures_of(scores)
    assert (f.kld.value, f.kld_max, f.ppl_ratio.value, f.ppl_ratio.error, f.rms_dp.value) == (0, 0, 1, 0, 0)
    assert f.same_top == 1 and f.same_top_ci[1] == 1
    assert f.same_top_ci[0] == pytest.approx(1 - 1.96**2 / (200 + 1.96**2), abs=1e-4)  # Wilson's bound at 200 of 200


def test_no_tokens_no_figures():
    assert figures_of(TokenScores()) is None


def test_the_worst_tokens_are_kept_with_both_models_top_guesses_across_blocks():
    rng = np.random.default_rng(3)
    base = log_softmax(rng.normal(size=(90, 12)))
    other = log_softmax(base + rng.normal(scale=rng.random((90, 1)), size=(90, 12)))
    scores = TokenScores()
    for start in range(0, 90, 40):
        scores.add(base[start : start + 40], other[start : start + 40], np.zeros(len(base[start : start + 40]), int))
    kld = (np.exp(base) * (base - other)).sum(axis=1)
    assert [index for _, index, _, _ in scores.worst] == list(np.argsort(-kld)[:WORST])
    _, index, base_top, other_top = scores.worst[0]
    assert [i for i, _ in base_top] == list(np.argsort(-base[index])[:TOP])
    assert [i for i, _ in other_top] == list(np.argsort(-other[index])[:TOP])
    assert base_top[0][1] == pytest.approx(np.exp(base[index]).max())


def test_the_ribbon_spells_each_scored_token_with_a_split_character_on_the_token_that_ends_it():
    n_ctx = 8  # 3 scored tokens a chunk: positions 5, 6, 7
    spelled = {1: b"a", 2: "é".encode()[:1], 3: "é".encode()[1:], 4: b" b"}
    tokens = [9, 9, 9, 9, 4, 1, 2, 3, 9, 9, 9, 1, 4, 4, 3, 1]
    scores = TokenScores()
    for chunk in range(2):
        targets = np.array(tokens[chunk * n_ctx + 5 : (chunk + 1) * n_ctx])
        rows = log_softmax(np.zeros((3, 10)))
        scores.add(rows, rows, targets)

    ribbon = ribbon_of(scores, tokens, n_ctx, lambda ids: [spelled.get(i, b"?") for i in ids])
    assert ribbon.pieces == ("a", "", "é", " b", "\ufffd", "a")  # a chunk starting mid-character is not mended
    assert ribbon.chunk_starts == (0, 3) and len(ribbon.kld) == 6
    assert ribbon.worst[0].index == 0 and ribbon.worst[0].text == "a"
    assert ribbon.worst[0].context == "??? b"  # the tokens before position 5 in its chunk, the BOS place left out
