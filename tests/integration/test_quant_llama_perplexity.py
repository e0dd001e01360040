"""The quantization figures against llama.cpp's own perplexity tool (built by `make llama-perplexity`), same text and pair."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from gui.core.cpu import cpu_info
from gui.core.quant import SAMPLE_TEXT, measure, read_pair, read_text

pytestmark = pytest.mark.integration
CTX = 512


def perplexity_tool(model: str, *args: str) -> str:
    """Run llama-perplexity on the sample text as the app loads a model; its output."""
    binary = os.environ.get("GGUF_ARENA_LLAMA_PERPLEXITY")
    if not binary or not Path(binary).is_file():
        pytest.fail("llama-perplexity is not built: `make llama-perplexity` builds it (`make test` does so first)")
    # As the app loads: no flash attention (llama-cpp-python's default; the tool's "auto" turns it on, and
    # SmolLM2's PPL moves by 0.4%), and on an AMX CPU no repacking (llama.cpp #20824).
    settings = ["-fa", "off", *(["--no-repack"] if cpu_info().has_amx else [])]
    done = subprocess.run([binary, "-m", model, "-f", str(SAMPLE_TEXT), "-c", str(CTX), "-t", "2", *settings, *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def figure(output: str, label: str) -> float:
    return float(re.search(re.escape(label) + r"\s*:\s*(-?[\d.]+)", output).group(1))


@pytest.fixture(scope="module")
def reference(default_pair, requantized, tmp_path_factory) -> str:
    """The tool's KL-divergence statistics: the base's log-probabilities saved, then the other scored against them."""
    saved = tmp_path_factory.mktemp("kld") / "base.kld"
    perplexity_tool(default_pair[0], "--kl-divergence-base", str(saved))
    return perplexity_tool(requantized, "--kl-divergence-base", str(saved), "--kl-divergence")


def test_the_figures_agree_with_llama_perplexity(default_pair, requantized, reference):
    result = measure(read_pair(default_pair[0], requantized), read_text(SAMPLE_TEXT), n_ctx=CTX, n_threads=2)
    f = result.figures
    assert f.tokens == result.chunks_done * (CTX - 1 - CTX // 2) and result.chunks_done >= 6
    # The tool keeps the base's log-probabilities as 16-bit steps over the top 16 nats: its base PPL, KLD and
    # top token carry that rounding, hence the margins.
    assert f.ppl_base.value == pytest.approx(figure(reference, "Mean PPL(base)"), rel=0.005)
    assert f.ppl_other.value == pytest.approx(figure(reference, "Mean PPL(Q)"), rel=0.005)
    assert f.kld.value == pytest.approx(figure(reference, "Mean    KLD"), rel=0.02)
    assert 100 * f.same_top == pytest.approx(figure(reference, "Same top p"), abs=0.5)
