"""The GGUF header reader: real cards from good files, plain-words errors for bad ones."""

import os
import struct
import sys
import time
from pathlib import Path

import gguf
import numpy as np
import pytest

from gguf_files import TEMPLATE, TINY_PARAMETERS, TOKENS, write_gguf
from gui.core.gguf_header import GGUFFileError, ModelCard, Shape, WeightBytes, read_card

MODELS = Path(__file__).parents[2] / "models"


@pytest.fixture
def tiny(tmp_path) -> Path:
    """A valid tiny GGUF file."""
    return write_gguf(tmp_path / "tiny.gguf")


def patched(path: Path, at: int, data: bytes) -> Path:
    """Overwrite bytes of `path` at offset `at`."""
    raw = bytearray(path.read_bytes())
    raw[at : at + len(data)] = data
    path.write_bytes(bytes(raw))
    return path


def cut(path: Path, size: int) -> Path:
    """Keep only the first `size` bytes of `path`."""
    path.write_bytes(path.read_bytes()[:size])
    return path


def after(path: Path, marker: bytes) -> int:
    """The offset just past the only occurrence of `marker` in `path`."""
    raw = path.read_bytes()
    assert raw.count(marker) == 1, marker
    return raw.index(marker) + len(marker)


def error_of(path: Path) -> str:
    """The message read_card gives for `path`, which must be refused."""
    with pytest.raises(GGUFFileError) as info:
        read_card(path)
    message = str(info.value)
    assert info.value.path == str(path)
    return message


# --- good files ---------------------------------------------------------------------------------


def test_tiny_file_card(tiny):
    card = read_card(tiny)
    assert card == ModelCard(
        path=str(tiny),
        file_size=tiny.stat().st_size,
        architecture="llama",
        name="Tiny Test",
        parameter_count=TINY_PARAMETERS,
        quantization="F32",
        context_length=2048,
        chat_template=TEMPLATE,
        shape=Shape(vocab_size=len(TOKENS)),
        # F32: 8×16 + 16×16 + 16 values of 4 bytes; no output.weight, so the output is token_embd + output_norm.
        weights=WeightBytes(total=1600, layers=16 * 16 * 4, output=8 * 16 * 4 + 16 * 4, output_tied=True),
    )
    assert card.has_chat_template


def test_file_type_names_the_quantization(tmp_path):
    card = read_card(write_gguf(tmp_path / "q.gguf", file_type=gguf.LlamaFileType.MOSTLY_Q4_K_M))
    assert card.quantization == "Q4_K_M"


def test_without_file_type_the_biggest_tensor_type_names_the_quantization(tmp_path):
    w = gguf.GGUFWriter(tmp_path / "mixed.gguf", "llama")
    w.add_tensor("small", np.ones(8, dtype=np.float32))
    w.add_tensor("big", np.ones((16, 16), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    card = read_card(tmp_path / "mixed.gguf")
    assert card.quantization == "F16"
    assert card.parameter_count == 8 + 256
    assert card.chat_template is None and not card.has_chat_template


def test_custom_alignment_is_followed(tmp_path):
    card = read_card(write_gguf(tmp_path / "aligned.gguf", alignment=256))
    assert card.parameter_count == TINY_PARAMETERS


def test_path_with_spaces_and_non_ascii_characters(tmp_path):
    folder = tmp_path / "mödèls — ünïcødé"
    folder.mkdir()
    path = write_gguf(folder / "my model 量子化 ✓.gguf")
    card = read_card(str(path))
    assert card.path == str(path)
    assert card.architecture == "llama"


# --- files that are not there or not files --------------------------------------------------------


def test_missing_path(tmp_path):
    message = error_of(tmp_path / "gone.gguf")
    assert "not found" in message and "gone.gguf" in message and "pick another file" in message.lower()


def test_directory(tmp_path):
    folder = tmp_path / "a folder.gguf"
    folder.mkdir()
    assert "is a folder, not a file" in error_of(folder)


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_symlink_loop(tmp_path):
    first, second = tmp_path / "a.gguf", tmp_path / "b.gguf"
    first.symlink_to(second)
    second.symlink_to(first)
    message = error_of(first)
    assert "'a.gguf' is a symbolic link loop" in message and "Point the link at a real .gguf file" in message


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_dangling_symlink(tmp_path):
    link = tmp_path / "link.gguf"
    link.symlink_to(tmp_path / "moved.gguf")
    message = error_of(link)
    assert f"'link.gguf' is a symbolic link to '{tmp_path / 'moved.gguf'}', which does not exist" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX-only")
def test_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    assert "not a regular file" in error_of(fifo)


@pytest.mark.skipif(sys.platform == "win32", reason="chmod 000 does not stop reads on Windows")
@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_unreadable_file(tiny):
    tiny.chmod(0)
    try:
        message = error_of(tiny)
    finally:
        tiny.chmod(0o644)
    assert "permission denied" in message and "tiny.gguf" in message


# --- header ------------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    assert "is empty" in error_of(path)


def test_only_magic(tmp_path):
    path = tmp_path / "magic.gguf"
    path.write_bytes(b"GGUF")
    message = error_of(path)
    assert "truncated" in message and "the header" in message


def test_truncated_header(tiny):
    message = error_of(cut(tiny, 10))
    assert "truncated" in message and "the header" in message


@pytest.mark.parametrize("start", [b"PK\x03\x04", b"\x89HDF", b"ggml"])
def test_wrong_magic(tiny, start):
    assert "is not a GGUF file" in error_of(patched(tiny, 0, start))


def test_text_file(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("hello, this is not a model\n")
    assert "is not a GGUF file" in error_of(path)


def test_unknown_version(tiny):
    message = error_of(patched(tiny, 4, struct.pack("<I", 99)))
    assert "GGUF version 99" in message and "newer tool" in message and "Update the app" in message


def test_version_one(tiny):
    assert "old GGUF version 1" in error_of(patched(tiny, 4, struct.pack("<I", 1)))


def test_big_endian_version(tiny):
    assert "big-endian" in error_of(patched(tiny, 4, struct.pack(">I", 3)))


def test_version_zero(tiny):
    assert "GGUF version 0" in error_of(patched(tiny, 4, struct.pack("<I", 0)))


def test_absurd_tensor_count(tiny):
    message = error_of(patched(tiny, 8, struct.pack("<Q", 2**40)))
    assert "claims 1,099,511,627,776 tensors" in message and "damaged" in message


def test_absurd_metadata_count(tiny):
    message = error_of(patched(tiny, 16, struct.pack("<Q", 2**40)))
    assert "claims 1,099,511,627,776 metadata entries" in message and "damaged" in message


# --- metadata ----------------------------------------------------------------------------------


def test_truncated_metadata(tiny):
    message = error_of(cut(tiny, after(tiny, TEMPLATE.encode()[:20])))
    assert "truncated" in message and "'tokenizer.chat_template'" in message


def test_absurd_string_length(tiny):
    # general.name: key, then its u32 type, then the u64 length of its text.
    message = error_of(patched(tiny, after(tiny, b"general.name") + 4, struct.pack("<Q", 2**62)))
    assert "the text of 'general.name'" in message and "needs 4,611,686,018,427,387,904 bytes" in message


def test_absurd_key_length(tiny):
    message = error_of(patched(tiny, 24, struct.pack("<Q", 2**62)))
    assert "metadata key 0" in message and "truncated or damaged" in message


def test_absurd_array_length(tiny):
    # The vocabulary: key, u32 array type, u32 item type, then the u64 count.
    message = error_of(patched(tiny, after(tiny, b"tokenizer.ggml.tokens") + 8, struct.pack("<Q", 2**50)))
    assert "the array 'tokenizer.ggml.tokens' claims 1,125,899,906,842,624 items" in message


def test_string_in_array_runs_past_the_end(tiny):
    # The first token's length, just after the vocabulary's count.
    message = error_of(patched(tiny, after(tiny, b"tokenizer.ggml.tokens") + 16, struct.pack("<Q", 2**40)))
    assert "the strings of 'tokenizer.ggml.tokens' run past the end" in message


def test_unknown_value_type(tiny):
    message = error_of(patched(tiny, after(tiny, b"general.name"), struct.pack("<I", 99)))
    assert "'general.name' has an unknown value type 99" in message


def test_array_of_arrays(tiny):
    message = error_of(patched(tiny, after(tiny, b"tokenizer.ggml.tokens") + 4, struct.pack("<I", 9)))
    assert "array of arrays" in message


def test_duplicate_key(tmp_path):
    path = write_gguf(tmp_path / "dup.gguf", general__nam2="Other Name")
    message = error_of(patched(path, after(path, b"general.nam2") - 12, b"general.name"))
    assert "'general.name' twice" in message


def test_missing_architecture(tiny):
    message = error_of(patched(tiny, after(tiny, b"general.architecture") - 20, b"general.architectur_"))
    assert "has no 'general.architecture'" in message and "tiny.gguf" in message


def test_alignment_not_a_power_of_two(tmp_path):
    path = write_gguf(tmp_path / "align.gguf", alignment=64)
    message = error_of(patched(path, after(path, b"general.alignment") + 4, struct.pack("<I", 48)))
    assert "invalid 'general.alignment' (48)" in message


# --- tensor table and data ---------------------------------------------------------------------


def test_truncated_tensor_data(tiny):
    message = error_of(cut(tiny, tiny.stat().st_size - 8))
    assert "is truncated: the file is incomplete" in message and "Download it again" in message
    assert "'output_norm.weight'" in message


def test_a_header_alone_is_read_when_asked_for_one(tiny):
    whole = read_card(tiny).weights
    cut(tiny, tiny.stat().st_size - 64 - 1024)  # the tensor data gone, all but token_embd's
    assert "is truncated" in error_of(tiny)
    assert read_card(tiny, header_only=True).weights == whole
    # A damaged tensor table is still refused: header_only forgives missing data, not a damaged header.
    with pytest.raises(GGUFFileError, match="truncated or damaged"):
        read_card(cut(tiny, after(tiny, b"blk.0.attn_q.weight") + 2), header_only=True)


def test_truncated_tensor_table(tiny):
    message = error_of(cut(tiny, after(tiny, b"blk.0.attn_q.weight") + 2))
    assert "is truncated or damaged" in message and "Download it again" in message


def test_too_many_dimensions(tiny):
    message = error_of(patched(tiny, after(tiny, b"output_norm.weight"), struct.pack("<I", 5)))
    assert "claims 5 dimensions; at most 4" in message


def test_unknown_tensor_type(tiny):
    # output_norm.weight: name, u32 n_dims (1), one u64 dimension, then its u32 ggml type.
    message = error_of(patched(tiny, after(tiny, b"output_norm.weight") + 4 + 8, struct.pack("<I", 200)))
    assert "a type this app does not know (200)" in message


def test_tensor_offset_out_of_place(tiny):
    offset_at = after(tiny, b"output_norm.weight") + 4 + 8 + 4
    message = error_of(patched(tiny, offset_at, struct.pack("<Q", 2**40)))
    assert "'output_norm.weight' is at offset 1,099,511,627,776" in message


def test_huge_tensor_shape(tiny):
    message = error_of(patched(tiny, after(tiny, b"output_norm.weight") + 4, struct.pack("<Q", 2**40)))
    assert "'output_norm.weight' claims" in message and "more than the whole file" in message


def test_rows_not_a_multiple_of_the_block_size(tiny):
    # output_norm.weight holds 16 values; Q4_0 packs them in blocks of 32.
    type_at = after(tiny, b"output_norm.weight") + 4 + 8
    message = error_of(patched(tiny, type_at, struct.pack("<I", gguf.GGMLQuantizationType.Q4_0)))
    assert "not a multiple of its Q4_0 block size" in message


def test_vocabulary_only_file(tmp_path):
    w = gguf.GGUFWriter(tmp_path / "vocab-only.gguf", "llama")
    w.add_token_list(TOKENS)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    message = error_of(tmp_path / "vocab-only.gguf")
    assert "is a vocabulary-only file" in message and "no weights" in message and "Pick the model file" in message


def test_no_tensors_and_no_vocabulary(tmp_path):
    w = gguf.GGUFWriter(tmp_path / "empty-model.gguf", "llama")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    assert "holds no tensors (weights), only metadata" in error_of(tmp_path / "empty-model.gguf")


# --- the real default models ---------------------------------------------------------------------


def real_model(name: str) -> Path:
    """A model file from models/; missing is a failure, not a skip: the set-up fetches them."""
    path = MODELS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run make models")
    return path


def test_smollm2_card():
    card = read_card(real_model("SmolLM2-135M-Instruct.Q4_1.gguf"))
    assert card.architecture == "llama"
    assert card.quantization == "Q4_1"
    assert card.has_chat_template
    assert card.context_length == 8192
    assert card.parameter_count == 134_515_008


def test_gemma3_card_is_read_fast():
    path = real_model("gemma-3-270m-q4_k_m.gguf")
    started = time.perf_counter()
    card = read_card(path)
    # gguf.GGUFReader takes ~15 s on this 262k-token vocabulary; the card is shown before any load.
    assert time.perf_counter() - started < 1.0
    assert card.architecture == "gemma3"
    assert card.quantization == "Q4_K_M"
    assert not card.has_chat_template
    assert card.context_length == 32768
    assert card.parameter_count == 268_098_176


# --- vocabulary ---------------------------------------------------------------------------------


def test_a_vocabulary_is_its_size_and_a_digest_of_its_tokens(tmp_path):
    from gui.core.gguf_header import read_vocabulary

    same = read_vocabulary(write_gguf(tmp_path / "a.gguf")), read_vocabulary(write_gguf(tmp_path / "b.gguf", foo__bar="x"))
    assert same[0] == same[1] and same[0].size == len(TOKENS)
    one_changed = read_vocabulary(write_gguf(tmp_path / "c.gguf", tokens=[*TOKENS[:-1], "▁tha"]))
    assert one_changed.size == same[0].size and one_changed.digest != same[0].digest
    with pytest.raises(GGUFFileError, match="has no vocabulary"):
        read_vocabulary(write_gguf(tmp_path / "none.gguf", tokens=None))


def test_the_default_pair_has_two_vocabularies():
    from gui.core.gguf_header import read_vocabulary

    smollm2 = read_vocabulary(MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf")
    gemma3 = read_vocabulary(MODELS / "gemma-3-270m-q4_k_m.gguf")
    assert (smollm2.size, smollm2.tokenizer) == (49152, "gpt2")
    assert (gemma3.size, gemma3.tokenizer) == (262144, "llama")
    assert read_card(MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf").bits_per_weight == pytest.approx(5.744, abs=0.001)  # Q4_1 layers, a Q8_0 embedding
