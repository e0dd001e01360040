"""Small GGUF files written with the gguf package, for tests that need real headers."""

from pathlib import Path

import gguf
import numpy as np

TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
TOKENS = ["<s>", "</s>", "hello", "wörld", "▁the"]
TINY_PARAMETERS = 8 * 16 + 16 * 16 + 16


def write_gguf(
    path: Path, *, file_type: int | None = None, alignment: int | None = None, **strings: str
) -> Path:
    """Write a tiny llama-arch GGUF: three small F32 tensors, a vocabulary, a chat template."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("Tiny Test")
    w.add_context_length(2048)
    w.add_chat_template(TEMPLATE)
    w.add_token_list(TOKENS)
    if file_type is not None:
        w.add_file_type(file_type)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    for key, value in strings.items():
        w.add_string(key.replace("__", "."), value)
    w.add_tensor("token_embd.weight", np.ones((8, 16), dtype=np.float32))
    w.add_tensor("blk.0.attn_q.weight", np.ones((16, 16), dtype=np.float32))
    # 64 bytes, a multiple of the alignment: the file ends exactly where this tensor does.
    w.add_tensor("output_norm.weight", np.ones(16, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def write_giant(path: Path, parameters: int) -> Path:
    """A valid header for one F32 tensor of `parameters` elements, the data left sparse (no disk used)."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("Giant Test")
    w.add_tensor_info("token_embd.weight", (parameters,), np.dtype(np.float32), parameters * 4)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    alignment = 32
    with open(path, "r+b") as f:
        header_end = f.seek(0, 2)
        data_start = -(-header_end // alignment) * alignment
        f.truncate(data_start + parameters * 4)
    return path
