"""The memory estimate and the fit planner: llama.cpp's logged figures, header-only GGUF files, GPU splits, bad input."""

import pytest

from fakes import fake_card
from gguf_files import SHAPES, write_header_only
from gui.core.fit import (
    BUDGETS_GIB,
    FITS,
    GIB,
    NO,
    TIGHT,
    FitError,
    estimate,
    file_spec,
    format_plan,
    plan,
    preset_spec,
    spec_of,
    verdict,
)
from gui.core.gguf_header import GGUFFileError, Shape, WeightBytes

MIB = 2**20
SMOLLM2 = Shape(block_count=30, head_count=9, head_count_kv=3, embedding_length=576, vocab_size=49152)
GEMMA3 = Shape(block_count=18, head_count=4, head_count_kv=1, embedding_length=640, key_length=256, value_length=256,
               vocab_size=262144, sliding_window=512)


def card(shape: Shape, architecture: str = "llama", file_size: int = 100 * MIB):
    return spec_of(fake_card(shape=shape, architecture=architecture, file_size=file_size))


def test_kv_cache_and_compute_buffer_are_llama_cpps_for_smollm2():
    # llama.cpp 0.3.36's log for SmolLM2 135M (f16 KV, no flash attention): KV 45.00 MiB at 2048 and 180.00 at
    # 8192 (30 layers × 3 KV heads × (64 + 64) × 2 bytes a cell); compute + output 99.38 + 0.19 MiB at 2048, where
    # the 512-token micro-batch's logits are the largest tensor, and 166.38 + 0.19 at 8192, where 9 heads' scores are.
    need = estimate(card(SMOLLM2), 2048)
    assert need.kv_bytes == 45 * MIB
    assert need.compute_bytes == pytest.approx((99.38 + 0.19) * MIB, rel=0.01)
    assert need.total_bytes == 100 * MIB + need.kv_bytes + need.compute_bytes  # weights: the file, lacking a table
    at_8k = estimate(card(SMOLLM2), 8192)
    assert at_8k.kv_bytes == 180 * MIB
    assert at_8k.compute_bytes == pytest.approx((166.38 + 0.19) * MIB, rel=0.03)


def test_q8_0_kv_cache_takes_34_bytes_for_32_values_and_flash_attentions_smaller_compute_buffer():
    # llama.cpp said KV 23.91 MiB and compute 99.38 MiB for SmolLM2 at 8192 with a q8_0 cache (flash attention on).
    need = estimate(card(SMOLLM2), 8192, kv_type="q8_0")
    assert need.kv_bytes == 180 * MIB * 34 // 64
    assert need.compute_bytes == pytest.approx((99.38 + 0.19) * MIB, rel=0.01)
    with pytest.raises(FitError, match="pick one of f16, q8_0"):
        estimate(card(SMOLLM2), 2048, kv_type="q4_0")


def test_gemma3s_sliding_window_layers_are_full_size_as_the_app_loads_them_or_windowed():
    # llama-cpp-python keeps a full-size cache for sliding-window layers: 36.00 MiB at 2048 (6.00 + 30.00 logged).
    assert estimate(card(GEMMA3, "gemma3"), 2048).kv_bytes == 36 * MIB
    # With swa_full off, llama.cpp logged 6.00 MiB for the 3 full layers and 15.00 for the 15 windowed ones
    # (512 + 512 cells, rounded to 256) at 2048, and 24.00 + 15.00 at 8192.
    assert estimate(card(GEMMA3, "gemma3"), 2048, swa_full=False).kv_bytes == 21 * MIB
    assert estimate(card(GEMMA3, "gemma3"), 8192, swa_full=False).kv_bytes == 39 * MIB
    # An architecture whose pattern of windowed layers is not known is counted in full: an over-estimate.
    assert estimate(card(GEMMA3, "mystery"), 8192, swa_full=False).kv_bytes == 144 * MIB


def test_explicit_key_and_value_lengths_win_over_the_head_size():
    shape = Shape(block_count=2, head_count=4, head_count_kv=1, embedding_length=64, key_length=192, value_length=128,
                  vocab_size=100)
    assert estimate(card(shape), 1024).kv_bytes == 2 * 1024 * 1 * (192 + 128) * 2


def test_without_the_sizes_the_context_is_guessed_from_the_file():
    need = estimate(spec_of(fake_card(file_size=400 * MIB)), 2048)
    assert (need.weights_bytes, need.kv_bytes + need.compute_bytes, need.gpu_bytes) == (400 * MIB, 100 * MIB, 0)


def test_offloaded_layers_take_their_weights_and_kv_cache_to_the_gpu():
    spec = preset_spec("Llama-3-8B", "Q4_K_M")
    layer_weights, layer_kv = spec.weights.layers / 32, 8192 * 8 * 256 * 2
    cpu_only = estimate(spec, 8192)
    assert cpu_only.gpu_bytes == 0 and cpu_only.cpu_bytes == cpu_only.total_bytes
    half = estimate(spec, 8192, gpu_layers=16)
    compute = half.compute_bytes - 128256 * 4  # the output buffer stays in RAM
    assert half.gpu_bytes == pytest.approx(16 * (layer_weights + layer_kv) + compute, abs=1)
    assert half.total_bytes == cpu_only.total_bytes
    everything = estimate(spec, 8192, gpu_layers=33)  # 33: the output layer too
    assert everything.gpu_bytes == pytest.approx(half.gpu_bytes + 16 * (layer_weights + layer_kv)
                                                 + spec.weights.output, abs=1)
    assert everything.total_bytes == cpu_only.total_bytes


def test_tied_embeddings_are_copied_to_a_gpu_that_holds_the_output_layer():
    spec = preset_spec("Gemma-3-27B", "Q8_0")
    on_gpu = estimate(spec, 2048, gpu_layers=63)
    assert on_gpu.weights_bytes == spec.weights.total + spec.weights.output  # token_embd stays in RAM as well
    assert on_gpu.cpu_bytes > spec.weights.output


# --- header-only GGUF files, against a reference written here -------------------------------------------------


@pytest.mark.parametrize("size", list(SHAPES))
def test_header_only_files_match_a_reference_worked_out_here(tmp_path, size):
    layers, embedding, _ffn, heads, kv_heads, vocab, context = SHAPES[size]
    path = tmp_path / f"{size}.gguf"
    weights = write_header_only(path, *SHAPES[size])
    assert path.stat().st_size < 8 * MIB < weights  # the header alone
    spec = file_spec(str(path))
    assert spec.context_length == context
    for n_ctx in (2048, 8192, 32768):
        kv = 2 * layers * n_ctx * kv_heads * (embedding // heads) * 2  # K and V, f16
        scores = n_ctx * 512 * heads * 4 + n_ctx * 512 * 4  # f32 attention scores and mask of a 512-token batch
        logits = vocab * 512 * 4
        compute = max(scores, logits) + 3 * embedding * 512 * 4 + vocab * 4
        need = estimate(spec, n_ctx)
        assert (need.weights_bytes, need.kv_bytes) == (weights, kv)
        assert need.compute_bytes == compute


def test_the_planner_caps_contexts_at_the_trained_one_and_finds_the_largest_that_fits(tmp_path):
    path = tmp_path / "14B.gguf"
    write_header_only(path, *SHAPES["14B"])
    result = plan(file_spec(str(path)))
    assert [row.n_ctx for row in result.rows] == [2048, 8192, 32768]
    for index, gib in enumerate(BUDGETS_GIB):
        largest = result.largest[index]
        if largest is not None:
            assert verdict(estimate(result.spec, largest).total_bytes, gib * GIB) == FITS
        if largest is None or largest < 32768:
            beyond = (largest or 0) + 256
            assert verdict(estimate(result.spec, beyond).total_bytes, gib * GIB) != FITS
    assert result.largest[0] is None and result.largest[-1] == 32768  # 8 GiB: none; 80 GiB: the trained context
    assert "\033[" not in format_plan(result) and "\033[32m" in format_plan(result, colour=True)


def test_verdicts_are_fits_to_90_percent_tight_to_the_budget_then_no():
    assert [verdict(n, 100) for n in (90, 91, 100, 101)] == [FITS, TIGHT, TIGHT, NO]


def test_the_8b_preset_at_8k_fits_16_gib_of_ram_and_a_24_gib_card_fully_offloaded():
    on_cpu = plan(preset_spec("Llama-3-8B", "Q4_K_M"))
    assert [row.n_ctx for row in on_cpu.rows] == [2048, 8192]
    assert on_cpu.rows[1].verdicts[BUDGETS_GIB.index(16)] == FITS
    assert 5 * GIB < on_cpu.rows[1].need.total_bytes < 7 * GIB
    on_gpu = plan(preset_spec("Llama-3-8B", "Q4_K_M"), gpu_layers=33)
    assert on_gpu.rows[1].verdicts[BUDGETS_GIB.index(24)] == FITS
    assert on_gpu.rows[1].need.cpu_bytes < GIB


# --- bad input --------------------------------------------------------------------------------------------------


def test_an_unknown_preset_or_quantization_says_what_there_is():
    with pytest.raises(FitError, match="no preset 'Llama-9-1B': pick one of Llama-3-8B, Llama-3.1-8B, Qwen2.5-14B"):
        preset_spec("Llama-9-1B", "Q4_K_M")
    with pytest.raises(FitError, match="no quantization 'Q3_K_S'.*pick one of Q4_K_M, Q5_K_M, Q8_0, F16"):
        preset_spec("Llama-3-8B", "Q3_K_S")


def test_a_missing_file_or_a_file_that_is_not_gguf_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(GGUFFileError, match="was not found.*Pick another file"):
        file_spec(str(tmp_path / "gone.gguf"))
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(GGUFFileError, match="is not a GGUF file.*Pick a .gguf model file"):
        file_spec(str(text))


def test_a_header_without_the_sizes_cannot_be_planned(tmp_path):
    from gguf_files import write_gguf

    with pytest.raises(FitError, match="lacks the layer, head or vocabulary sizes.*Pick a preset"):
        file_spec(str(write_gguf(tmp_path / "tiny.gguf")))


def test_weights_of_a_card_without_a_tensor_table_are_its_file():
    assert spec_of(fake_card(file_size=5)).weights == WeightBytes(total=5, layers=0, output=0)
