"""GGUF files for tests: small ones written with the gguf package, and cut or patched copies of real ones."""

import functools
import shutil
import struct
from pathlib import Path

import gguf
import numpy as np

TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
TOKENS = ["<s>", "</s>", "hello", "wörld", "▁the"]
TINY_PARAMETERS = 8 * 16 + 16 * 16 + 16


def write_gguf(
    path: Path, *, file_type: int | None = None, alignment: int | None = None, tokens: list[str] | None = TOKENS,
    **strings: str,
) -> Path:
    """Write a tiny llama-arch GGUF: three small F32 tensors, a vocabulary (`tokens`; None: none), a chat template."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("Tiny Test")
    w.add_context_length(2048)
    w.add_chat_template(TEMPLATE)
    if tokens is not None:
        w.add_token_list(tokens)
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


Q4_K, Q6_K = gguf.GGMLQuantizationType.Q4_K, gguf.GGMLQuantizationType.Q6_K
# Llama-3-8B's and Qwen2.5-14B's and 32B's shapes: layers, embedding, FFN, heads, KV heads, vocabulary, trained context.
SHAPES = {
    "8B": (32, 4096, 14336, 32, 8, 128256, 8192),
    "14B": (48, 5120, 13824, 40, 8, 152064, 32768),
    "32B": (64, 5120, 27648, 40, 8, 152064, 32768),
}


def tensor_bytes(rows: int, columns: int, kind) -> int:
    """A quantized tensor's bytes: whole blocks of its type."""
    block, size = gguf.GGML_QUANT_SIZES[kind]
    return rows * columns // block * size


def write_header_only(path: Path, layers, embedding, ffn, heads, kv_heads, vocab, context) -> int:
    """A Q4_K_M-like llama header (tensor table, no data); returns its weight bytes."""
    head = embedding // heads
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(layers)
    w.add_embedding_length(embedding)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_context_length(context)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    w.add_token_list([b"t"] * vocab)
    tensors = [("token_embd.weight", vocab, embedding, Q4_K), ("output.weight", vocab, embedding, Q6_K)]
    for i in range(layers):
        tensors += [(f"blk.{i}.attn_q.weight", heads * head, embedding, Q4_K),
                    (f"blk.{i}.attn_k.weight", kv_heads * head, embedding, Q4_K),
                    (f"blk.{i}.attn_v.weight", kv_heads * head, embedding, Q6_K),
                    (f"blk.{i}.attn_output.weight", embedding, heads * head, Q4_K),
                    (f"blk.{i}.ffn_gate.weight", ffn, embedding, Q4_K),
                    (f"blk.{i}.ffn_up.weight", ffn, embedding, Q4_K),
                    (f"blk.{i}.ffn_down.weight", embedding, ffn, Q6_K)]
    for name, rows, columns, kind in tensors:
        w.add_tensor_info(name, (rows, columns), np.dtype(np.float32), tensor_bytes(rows, columns, kind), kind)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    return sum(tensor_bytes(rows, columns, kind) for _, rows, columns, kind in tensors)


# More than the header of the default SmolLM2 file (it ends at 1.7 MiB, its vocabulary included).
HEADER_BYTES = 2 * 2**20


def header_offset(source: Path, marker: bytes, skip: int = 0) -> int:
    """The offset `skip` bytes past the only `marker` in the first HEADER_BYTES of `source`."""
    with open(source, "rb") as f:
        head = f.read(HEADER_BYTES)
    assert head.count(marker) == 1, f"{marker!r} is not in {source.name}'s header exactly once"
    return head.index(marker) + len(marker) + skip


def sparse_copy(source: Path, dest: Path, edits: dict[int, bytes] | None = None, size: int | None = None) -> Path:
    """`source`'s header (its first HEADER_BYTES) with `edits` (offset -> bytes), then a hole reading as zeros.

    The copy is `size` bytes long (default: as long as `source`) but takes no more disk than its
    header: a cut or patched real file for tests that never need its weights.
    """
    with open(source, "rb") as f:
        head = bytearray(f.read(HEADER_BYTES))
    for at, data in (edits or {}).items():
        head[at : at + len(data)] = data
    total = Path(source).stat().st_size if size is None else size
    with open(dest, "wb") as out:
        out.write(head[:total])
        out.truncate(total)
    return dest


@functools.cache
def _reader(source: str) -> gguf.GGUFReader:
    """The gguf package's reader of `source` (slow: seconds on a real vocabulary), once per file."""
    return gguf.GGUFReader(source)


def _table_end(reader: gguf.GGUFReader) -> int:
    """Where the tensor table ends (before the padding up to the tensor data)."""
    last = reader.tensors[-1].field
    return last.offset + sum(part.nbytes for part in last.parts)


def with_string(source: Path, dest: Path, key: str, value: str) -> Path:
    """A full copy of `source` with the metadata string `key` set to `value` of any length: a loadable file."""
    reader = _reader(str(source))
    field = reader.fields[key]
    # An entry is key length, key, value type, then the value's length and bytes: the last two change.
    value_at = field.offset + sum(part.nbytes for part in field.parts[:3])
    value_end = value_at + sum(part.nbytes for part in field.parts[3:])
    encoded = value.encode("utf-8")
    with open(source, "rb") as src, open(dest, "wb") as out:
        head = src.read(_table_end(reader))
        out.write(head[:value_at] + struct.pack("<Q", len(encoded)) + encoded + head[value_end:])
        # Tensor offsets count from the aligned start of the data, so the data moves as one block.
        out.write(bytes(-out.tell() % reader.alignment))
        src.seek(reader.data_offset)
        shutil.copyfileobj(src, out, 2**22)
    return dest


def vocab_only_copy(source: Path, dest: Path) -> Path:
    """`source`'s header without its tensors: the metadata and tokenizer alone, like llama.cpp's vocab files."""
    reader = _reader(str(source))
    with open(source, "rb") as src:
        head = bytearray(src.read(reader.tensors[0].field.offset))
    head[8:16] = struct.pack("<Q", 0)  # the tensor count
    dest.write_bytes(bytes(head))
    return dest
