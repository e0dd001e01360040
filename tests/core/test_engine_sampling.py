"""Which sampling settings take the engine's greedy shortcut: only those where the top logit is the pick."""

import pytest

from gui.core.engine import _plain_greedy

GREEDY = {"temp": 0.0, "top_k": 40, "top_p": 0.95, "repeat_penalty": 1.0, "frequency_penalty": 0.0,
          "presence_penalty": 0.0, "grammar": None, "logits_processor": None, "idx": 7}


def test_greedy_without_penalties_is_plain_greedy():
    assert _plain_greedy(GREEDY)


@pytest.mark.parametrize("change", [
    {"temp": 0.7}, {"temp": -1.0}, {"repeat_penalty": 1.1}, {"frequency_penalty": 0.5},
    {"presence_penalty": 0.5}, {"grammar": object()}, {"logits_processor": [lambda ids, logits: logits]},
])
def test_anything_that_changes_the_logits_or_samples_at_random_is_not(change):
    assert not _plain_greedy(GREEDY | change)


def test_no_temperature_given_is_llama_cpps_default_sampling_not_greedy():
    assert not _plain_greedy({key: value for key, value in GREEDY.items() if key != "temp"})
