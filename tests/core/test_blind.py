"""Who sits on the Left, and answers that give their model away."""

import random

from gui.core.blind import draw_swap, identifying_words, names_its_model

SMOL = {"label": "SmolLM2-135M-Instruct.Q4_1", "name": "Smollm2 135M 8k Lc100K Mix1 Ep2", "architecture": "llama"}
GEMMA = {"label": "gemma-3-270m-q4_k_m", "name": "Gemma 3 270m", "architecture": "gemma3"}


def test_the_draw_is_seedable_and_balanced():
    draws = [draw_swap(random.Random(seed)) for seed in range(1000)]
    assert draws == [draw_swap(random.Random(seed)) for seed in range(1000)]
    assert 400 < sum(draws) < 600


def test_identifying_words_skip_generic_and_shared_words():
    assert identifying_words(SMOL) == {"smollm"}
    assert identifying_words(GEMMA) == {"gemma"}


def test_an_answer_naming_its_model_is_flagged():
    assert names_its_model("Hello! I am SmolLM, a helpful assistant.", SMOL)
    assert names_its_model("As a GEMMA model I cannot...", GEMMA)


def test_an_ordinary_answer_is_not_flagged():
    assert not names_its_model("The llama is a domesticated South American camelid.", SMOL)
    assert not names_its_model("Paris is the capital of France.", GEMMA)
