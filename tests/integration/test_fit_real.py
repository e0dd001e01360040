"""The estimate before loading against the buffers llama.cpp reports on the real default pair (within 5%)."""

import logging

import pytest

from gui.core import engine as engine_module
from gui.core.engine import LlamaEngine, buffer_bytes_from_log
from gui.core.fit import estimate, file_spec
from gui.core.params import LoadParams

pytestmark = pytest.mark.integration


@pytest.fixture
def engine():
    made = LlamaEngine()
    yield made
    made.close()


@pytest.mark.parametrize("n_ctx", [2048, 8192])
@pytest.mark.parametrize("index", [0, 1], ids=["smollm2", "gemma3"])
def test_the_estimate_is_within_5_percent_of_the_engines_buffers(engine, default_pair, index, n_ctx):
    need = estimate(file_spec(default_pair[index]), n_ctx)
    model = engine.load(default_pair[index], LoadParams(n_ctx=n_ctx, n_threads=1), lambda f: True)
    assert need.kv_bytes + need.compute_bytes == pytest.approx(model.context_bytes, rel=0.05)
    assert need.weights_bytes == pytest.approx(model.model_bytes, rel=0.05)


def logged_context_bytes(path: str, caplog, **context) -> int:
    """llama.cpp's KV, compute and output buffers for a context the app's loads do not make, from its log."""
    import llama_cpp

    engine_module._install_log_callback(llama_cpp)  # llama.cpp's lines go to the "gui.llama" logger
    with caplog.at_level(logging.DEBUG, logger="gui.llama"):
        llm = llama_cpp.Llama(model_path=path, n_threads=1, **context)
    llm.close()
    return buffer_bytes_from_log(caplog.messages)[1]


@pytest.mark.parametrize("index", [0, 1], ids=["smollm2", "gemma3"])
def test_a_q8_0_kv_cache_is_within_5_percent(default_pair, caplog, index):
    import llama_cpp

    logged = logged_context_bytes(default_pair[index], caplog, n_ctx=8192, flash_attn=True,
                                  type_k=llama_cpp.GGML_TYPE_Q8_0, type_v=llama_cpp.GGML_TYPE_Q8_0)
    need = estimate(file_spec(default_pair[index]), 8192, kv_type="q8_0")
    assert need.kv_bytes + need.compute_bytes == pytest.approx(logged, rel=0.05)


def test_gemma3s_windowed_sliding_layers_are_within_5_percent(default_pair, caplog):
    logged = logged_context_bytes(default_pair[1], caplog, n_ctx=8192, swa_full=False)
    need = estimate(file_spec(default_pair[1]), 8192, swa_full=False)
    assert need.kv_bytes + need.compute_bytes == pytest.approx(logged, rel=0.05)
