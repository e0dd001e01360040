"""Plain-words reasons for failed loads, from log lines llama.cpp really writes."""

import pytest

from gui.core.load_errors import LOG_HINT, explain_load_failure

PATH = "/home/me/models/some model.Q4_K_M.gguf"
# What llama.cpp 0.3.36 logged for each failure, captured from real loads.
SUMMARY = "llama_model_load_from_file_impl: failed to load model\n"


def test_unknown_architecture():
    message = explain_load_failure(
        PATH,
        ["llama_model_load: error loading model: unknown model architecture: 'xyz'\n", SUMMARY],
    )
    assert message == (
        "'some model.Q4_K_M.gguf' uses the architecture 'xyz', which this llama.cpp build does not know. "
        "Update llama-cpp-python or pick another file."
    )


def test_truncated_file():
    message = explain_load_failure(
        PATH,
        [
            "llama_model_load: error loading model: tensor 'blk.15.attn_output.weight' data is not within "
            "the file bounds, model is corrupted or incomplete\n",
            SUMMARY,
        ],
    )
    assert message == "'some model.Q4_K_M.gguf' is truncated: the file is incomplete. Download it again."


@pytest.mark.parametrize(
    "line",
    [
        "gguf_init_from_reader: invalid magic characters: 'XXXX', expected 'GGUF'",
        "gguf_init_from_reader: failed to read magic",
        "gguf_init_from_reader: failed to read header",
        "gguf_init_from_reader: failed to read key-value pairs",
    ],
)
def test_bad_header(line):
    loader = "llama_model_load: error loading model: llama_model_loader: failed to load model from x.gguf"
    message = explain_load_failure(PATH, [line, loader, SUMMARY])
    assert "'some model.Q4_K_M.gguf' is not a readable GGUF file" in message
    assert "Download it again or pick another file." in message


def test_unsupported_gguf_version():
    message = explain_load_failure(
        PATH,
        [
            "gguf_init_from_reader: this GGUF file is version 4 "
            "but this software only supports up to version 3"
        ],
    )
    assert "GGUF version this llama.cpp build cannot read" in message and "Update llama-cpp-python" in message


def test_unknown_tensor_type():
    message = explain_load_failure(
        PATH, ["gguf_init_from_reader: tensor 'a' has invalid ggml type 45. should be in [0, 42)"]
    )
    assert "type this llama.cpp build does not know" in message


@pytest.mark.parametrize(
    "line",
    [
        "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 17179869184",
        "llama_model_load: error loading model: unable to allocate CPU buffer",
        "llama_init_from_model: failed to allocate buffer for kv cache",
        "llama_model_load: error loading model: mmap failed: Cannot allocate memory",
        "CUDA error: out of memory",
    ],
)
def test_out_of_memory(line):
    message = explain_load_failure(PATH, [line, SUMMARY])
    assert message == (
        "'some model.Q4_K_M.gguf' is too big for the free memory: llama.cpp could not allocate its buffers. "
        "Close other programs, lower the context size, or pick a smaller file."
    )


def test_unknown_tokenizer():
    message = explain_load_failure(
        PATH, ["llama_model_load: error loading model: error loading model vocabulary: unknown tokenizer: 'gpz2'\n",
               SUMMARY],
    )
    assert message == (
        "'some model.Q4_K_M.gguf' uses the tokenizer 'gpz2', which this llama.cpp build does not know. "
        "Update llama-cpp-python or pick another file."
    )


def test_missing_setting():
    message = explain_load_failure(
        PATH,
        [
            "llama_model_loader: loaded meta data with 3 key-value pairs\n",
            "llama_model_load: error loading model: error loading model hyperparameters: "
            "key not found in model: llama.context_length\n",
            SUMMARY,
        ],
    )
    assert message == (
        "'some model.Q4_K_M.gguf' lacks the setting 'llama.context_length' that llama.cpp needs to build the "
        "model: it was converted incompletely. Re-convert it or pick another file."
    )


def test_setting_of_the_wrong_type():
    message = explain_load_failure(
        PATH,
        ["llama_model_load: error loading model: error loading model hyperparameters: "
         "key llama.block_count has wrong type f32 but expected type u32\n", SUMMARY],
    )
    assert "stores the setting 'llama.block_count' as f32, where llama.cpp needs u32" in message
    assert message.endswith("Re-convert it or pick another file.")


@pytest.mark.parametrize(
    "line",
    [
        "llama_model_load: error loading model: check_tensor_dims: tensor 'blk.0.attn_q.weight' not found\n",
        "llama_model_load: error loading model: missing tensor 'blk.0.attn_q.weight'\n",
    ],
)
def test_missing_weights(line):
    message = explain_load_failure(PATH, [line, SUMMARY])
    assert message == (
        "'some model.Q4_K_M.gguf' lacks the weights 'blk.0.attn_q.weight' that its architecture needs: it is "
        "incomplete or was converted wrongly. Download or re-convert it, or pick another file."
    )


def test_weights_of_the_wrong_shape():
    message = explain_load_failure(
        PATH,
        [
            "llama_model_load: error loading model: check_tensor_dims: tensor 'blk.0.ffn_up.weight' has wrong "
            "shape; expected    576,   1536, got   1536,    576,      1,      1\n",
            SUMMARY,
        ],
    )
    assert message == (
        "'some model.Q4_K_M.gguf' holds the weights 'blk.0.ffn_up.weight' in the shape 1536 × 576 where its "
        "architecture needs 576 × 1536: it was converted wrongly. Re-convert it or pick another file."
    )


def test_other_failure_quotes_the_cause_not_the_summary():
    message = explain_load_failure(
        PATH,
        [
            "llama_model_loader: loaded meta data with 3 key-value pairs\n",
            "llama_model_load: error loading model: error loading model vocabulary: "
            "cannot find tokenizer merges in model file\n",
            SUMMARY,
        ],
    )
    assert message == (
        "'some model.Q4_K_M.gguf' did not load: llama.cpp said \"error loading model vocabulary: "
        "cannot find tokenizer merges in model file\". Update llama-cpp-python, re-convert the file or pick "
        "another one. llama.cpp's full log is in gguf-arena.log in the data folder (View › Log in the app)."
    )


def test_long_line_is_shortened():
    message = explain_load_failure(PATH, ["something failed: " + "x" * 1000])
    quote = message.split('"')[1]
    assert quote.endswith("…") and len(quote) == 200 and message.endswith(LOG_HINT)


def test_no_reason_in_the_log():
    message = explain_load_failure(PATH, ["llama_model_loader: loaded meta data with 3 key-value pairs"])
    assert message == (
        "'some model.Q4_K_M.gguf' did not load, and llama.cpp gave no reason. Load it again; if it fails "
        "again, download it again or pick another file. llama.cpp's full log is in gguf-arena.log in the data "
        "folder (View › Log in the app)."
    )


def test_empty_log():
    message = explain_load_failure(PATH, [])
    assert "gave no reason" in message and message.endswith(LOG_HINT)
