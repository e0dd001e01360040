"""Read what a GGUF file is from its header, checking every number against the file size first."""

import errno
import hashlib
import mmap
import os
import stat
import struct
from collections import Counter
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import NamedTuple

from gguf.constants import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGMLQuantizationType,
    GGUFValueType,
    LlamaFileType,
)

_MAGIC = b"GGUF"
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata count
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_SCALARS = {
    GGUFValueType.UINT8: struct.Struct("<B"),
    GGUFValueType.INT8: struct.Struct("<b"),
    GGUFValueType.UINT16: struct.Struct("<H"),
    GGUFValueType.INT16: struct.Struct("<h"),
    GGUFValueType.UINT32: struct.Struct("<I"),
    GGUFValueType.INT32: struct.Struct("<i"),
    GGUFValueType.FLOAT32: struct.Struct("<f"),
    GGUFValueType.BOOL: struct.Struct("<?"),
    GGUFValueType.UINT64: struct.Struct("<Q"),
    GGUFValueType.INT64: struct.Struct("<q"),
    GGUFValueType.FLOAT64: struct.Struct("<d"),
}
_INT_TYPES = {t for t, fmt in _SCALARS.items() if fmt.format[-1] in "bBhHiIqQ"}
# The fewest bytes one entry can take: a count claiming more than the file could hold is a lie.
_MIN_KV_BYTES = 8 + 4 + 1  # key length, value type, a one-byte value
_MIN_TENSOR_BYTES = 8 + 4 + 4 + 8  # name length, n_dims, ggml type, offset
_MAX_DIMS = 4  # GGML_MAX_DIMS
_SHAPES = [struct.Struct(f"<{n}Q") for n in range(_MAX_DIMS + 1)]
_MAX_NAME = 64  # GGML_MAX_NAME, the terminating NUL included
_INT64_MAX = 2**63 - 1  # llama.cpp reads dimensions as int64


@dataclass(frozen=True)
class Shape:
    """The sizes that decide a model's context memory (KV cache, logits); None where the header lacks one."""

    block_count: int | None = None
    head_count: int | None = None
    head_count_kv: int | None = None
    embedding_length: int | None = None
    key_length: int | None = None
    value_length: int | None = None
    vocab_size: int | None = None
    sliding_window: int | None = None  # tokens a sliding-window layer attends to (Gemma 2 and 3)


@dataclass(frozen=True)
class WeightBytes:
    """A model's weight bytes from its tensor table: all, its repeating layers' (blk.N.*), its output layer's."""

    total: int
    layers: int
    output: int
    output_tied: bool = False  # no output.weight: the output reuses token_embd, copied to a GPU that holds it


@dataclass(frozen=True)
class ModelCard:
    """What a GGUF file is, read from its header before any load."""

    path: str
    file_size: int
    architecture: str
    name: str | None
    parameter_count: int
    quantization: str
    context_length: int | None
    chat_template: str | None
    shape: Shape = Shape()
    weights: WeightBytes | None = None  # None where the card was not read from a tensor table

    @property
    def bits_per_weight(self) -> float | None:
        """Weight bits per parameter, from the tensor types in the header (None without a tensor table)."""
        return self.weights.total * 8 / self.parameter_count if self.weights and self.parameter_count else None

    @property
    def has_chat_template(self) -> bool:
        """Whether the file brings its own chat template (llama-cpp-python's fallback is often wrong)."""
        return bool(self.chat_template)


@dataclass(frozen=True)
class Vocabulary:
    """A model's vocabulary as its header stores it: how many tokens, a digest of them all, the tokenizer's kind."""

    size: int
    digest: str  # sha256 of the token strings as stored, lengths included: equal digests, equal tokens
    tokenizer: str | None  # tokenizer.ggml.model: gpt2, llama, …


class GGUFFileError(Exception):
    """A file that is not a usable GGUF; `str()` says what is wrong and what to do, naming the file."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path


class _Reader:
    """A cursor over a file's bytes that refuses to read past their end."""

    def __init__(self, buf, size: int, path: Path, header_only: bool = False):
        self.buf = buf
        self.size = size
        self.pos = 0
        self.path = path
        self.header_only = header_only  # the tensor data may be missing: sizes are not held to the file's
        self.arrays: dict[str, tuple[int, int]] = {}  # where each array's items lie: (first byte, end)

    def fail(self, text: str) -> GGUFFileError:
        """An error about this file; `text` follows the quoted file name."""
        return _error(self.path, text)

    def damaged(self, detail: str) -> GGUFFileError:
        """An error for a header that contradicts itself or the file size."""
        return self.fail(f"is truncated or damaged ({detail}). Download it again or pick another file.")

    def need(self, n: int, what: str) -> None:
        """Refuse a read of `n` bytes that would run past the end of the file."""
        if n > self.size - self.pos:
            raise self.damaged(
                f"{what} at byte {self.pos:,} needs {n:,} bytes, but only {self.size - self.pos:,} remain"
            )

    def unpack(self, fmt: struct.Struct, what: str) -> tuple:
        """Read fixed-size values."""
        self.need(fmt.size, what)
        values = fmt.unpack_from(self.buf, self.pos)
        self.pos += fmt.size
        return values

    def scalar(self, fmt: struct.Struct, what: str):
        """Read one fixed-size value."""
        return self.unpack(fmt, what)[0]

    def raw_string(self, what: str) -> bytes:
        """Read a length-prefixed string's bytes."""
        n = self.scalar(_U64, f"the length of {what}")
        self.need(n, what)
        data = self.buf[self.pos : self.pos + n]
        self.pos += n
        return data

    def string(self, what: str) -> str:
        """Read a length-prefixed UTF-8 string; bad bytes are shown, not fatal."""
        return self.raw_string(what).decode("utf-8", errors="replace")

    def value_type(self, key: str, of: str = "") -> GGUFValueType:
        """Read a value type, refusing ones this reader (and llama.cpp) does not know."""
        code = self.scalar(_U32, f"the type of '{key}'")
        try:
            return GGUFValueType(code)
        except ValueError:
            raise self.damaged(f"'{key}' has an unknown {of}value type {code}") from None

    def value(self, vtype: GGUFValueType, key: str):
        """Read one metadata value; arrays are skipped and read as their length."""
        if vtype == GGUFValueType.STRING:
            return self.string(f"the text of '{key}'")
        if vtype == GGUFValueType.ARRAY:
            return self.skip_array(key)
        return self.scalar(_SCALARS[vtype], f"the value of '{key}'")

    def skip_array(self, key: str) -> int:
        """Step over an array without building it (the vocabulary can hold 262k strings); its length."""
        item_type = self.value_type(key, of="array item ")
        count = self.scalar(_U64, f"the length of '{key}'")
        if item_type == GGUFValueType.ARRAY:
            raise self.fail(
                f"holds an array of arrays in '{key}', which llama.cpp cannot read. Pick another file."
            )
        item_size = 8 if item_type == GGUFValueType.STRING else _SCALARS[item_type].size
        if count > (self.size - self.pos) // item_size:
            left = self.size - self.pos
            raise self.damaged(
                f"the array '{key}' claims {count:,} items, more than {left:,} bytes could hold"
            )
        start = self.pos
        if item_type == GGUFValueType.STRING:
            self.skip_strings(count, key)
        else:
            self.pos += count * item_size
        self.arrays[key] = (start, self.pos)
        return count

    def skip_strings(self, count: int, key: str) -> None:
        """Step over `count` length-prefixed strings, in a tight loop for speed."""
        buf, pos, end, unpack = self.buf, self.pos, self.size, _U64.unpack_from
        for _ in range(count):
            # A string longer than what is left puts pos past the end, which the next check catches.
            if pos + 8 > end:
                break
            pos += 8 + unpack(buf, pos)[0]
        else:
            if pos <= end:
                self.pos = pos
                return
        raise self.damaged(f"the strings of '{key}' run past the end of the file")


def read_card(path: str | os.PathLike, header_only: bool = False) -> ModelCard:
    """Read a GGUF file's card, or raise GGUFFileError saying in plain words why it is not usable.

    `header_only` accepts a file whose tensor data is missing (metadata and tensor table alone), as
    the fit planner may be given: it cannot be loaded, but its shapes and types say what it would need.
    """
    return _read(Path(path), header_only, _parse)


def read_vocabulary(path: str | os.PathLike) -> Vocabulary:
    """A GGUF file's vocabulary from its header (the tensor data is not read), or raise GGUFFileError."""
    return _read(Path(path), True, _vocabulary)


def _read(p: Path, header_only: bool, parse):
    """`parse` over the bytes of file `p`, with every way of not being a readable file said in plain words."""
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise _error(p, "is a folder, not a file. Pick a .gguf file inside it.")
        if not stat.S_ISREG(st.st_mode):
            # Opening a pipe or a device could block or read forever.
            raise _error(p, "is not a regular file. Pick a .gguf file.")
        with open(p, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                # mmap refuses empty files, and there is nothing to check anyway.
                raise _error(p, "is empty (0 bytes). Download it again or pick another file.")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return parse(_Reader(mm, size, p, header_only))
    except FileNotFoundError:
        if p.is_symlink():
            raise _error(
                p, f"is a symbolic link to '{os.readlink(p)}', which does not exist. "
                "Point the link at a real .gguf file or pick another file."
            ) from None
        # The full path: the name alone does not say where it was looked for.
        raise GGUFFileError(
            str(p), f"'{p}' was not found: it may have been moved or deleted. Pick another file."
        ) from None
    except PermissionError:
        raise _error(
            p, "cannot be read: permission denied. Check the file's permissions or pick another file."
        ) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _error(
                p, "is a symbolic link loop: it leads, directly or through other links, back to itself, "
                "so there is no file behind it. Point the link at a real .gguf file or pick another file."
            ) from None
        raise _error(p, f"cannot be read ({e.strerror or e}). Pick another file.") from None


def _error(p: Path, text: str) -> GGUFFileError:
    """An error about file `p`; `text` follows its quoted name."""
    return GGUFFileError(str(p), f"'{p.name}' {text}")


def _parse(r: _Reader) -> ModelCard:
    """Check and read the header, metadata and tensor table, then the tensor data's place in the file."""
    n_tensors, n_kv = _read_header(r)
    metadata = _read_metadata(r, n_kv)
    if n_tensors == 0:
        if "tokenizer.ggml.tokens" in metadata:
            raise r.fail(
                "is a vocabulary-only file: it holds a tokenizer but no weights (tensors), so it cannot "
                "answer anything. Pick the model file itself."
            )
        raise r.fail("holds no tensors (weights), only metadata. Pick a model file.")
    architecture = _value(metadata, "general.architecture", {GGUFValueType.STRING})
    if not architecture:
        raise r.fail(
            "has no 'general.architecture' in its header, so nothing can tell what model it is. "
            "Re-convert it or pick another file."
        )
    alignment = _alignment(r, metadata)
    tensors = _read_tensor_table(r, n_tensors)
    _check_tensor_data(r, tensors, alignment)
    bytes_by_type: Counter[GGMLQuantizationType] = Counter()
    for t in tensors:
        bytes_by_type[t.ggml_type] += t.nbytes
    return ModelCard(
        path=str(r.path),
        file_size=r.size,
        architecture=architecture,
        name=_value(metadata, "general.name", {GGUFValueType.STRING}),
        parameter_count=sum(t.n_elements for t in tensors),
        quantization=_quantization(_value(metadata, "general.file_type", _INT_TYPES), bytes_by_type),
        context_length=_value(metadata, f"{architecture}.context_length", _INT_TYPES),
        chat_template=_value(metadata, "tokenizer.chat_template", {GGUFValueType.STRING}),
        shape=_shape(metadata, architecture),
        weights=_weight_bytes(tensors),
    )


def _vocabulary(r: _Reader) -> Vocabulary:
    """The vocabulary read from the metadata: the token strings' bytes hashed as they lie in the file."""
    _, n_kv = _read_header(r)
    metadata = _read_metadata(r, n_kv)
    size = _value(metadata, "tokenizer.ggml.tokens", {GGUFValueType.ARRAY})
    if size is None:
        raise r.fail("has no vocabulary (tokenizer.ggml.tokens) in its header. Pick a model file with its tokenizer.")
    start, end = r.arrays["tokenizer.ggml.tokens"]
    return Vocabulary(
        size=size,
        digest=hashlib.sha256(r.buf[start:end]).hexdigest(),
        tokenizer=_value(metadata, "tokenizer.ggml.model", {GGUFValueType.STRING}),
    )


def _weight_bytes(tensors: list["_Tensor"]) -> WeightBytes:
    """Where the weight bytes sit: the repeating layers, and the output layer as llama.cpp offloads it last."""
    size = {t.name: t.nbytes for t in tensors}
    tied = "output.weight" not in size
    output = size.get("output.weight", size.get("token_embd.weight", 0)) + size.get("output_norm.weight", 0)
    layers = sum(t.nbytes for t in tensors if t.name.startswith("blk."))
    return WeightBytes(total=sum(size.values()), layers=layers, output=output, output_tied=tied)


def _shape(metadata: dict[str, tuple[GGUFValueType, object]], architecture: str) -> Shape:
    """The architecture's sizes as llama.cpp names them (`<arch>.block_count` …) and the vocabulary's length."""
    sizes = {
        "block_count": "block_count",
        "head_count": "attention.head_count",
        "head_count_kv": "attention.head_count_kv",
        "embedding_length": "embedding_length",
        "key_length": "attention.key_length",
        "value_length": "attention.value_length",
        "sliding_window": "attention.sliding_window",
    }
    found = {field: _value(metadata, f"{architecture}.{key}", _INT_TYPES) for field, key in sizes.items()}
    return Shape(**found, vocab_size=_value(metadata, "tokenizer.ggml.tokens", {GGUFValueType.ARRAY}))


def _read_header(r: _Reader) -> tuple[int, int]:
    """Check the magic and version; return the tensor and metadata counts, bounded by the file size."""
    if r.buf[:4] != _MAGIC:
        raise r.fail("is not a GGUF file (it does not start with 'GGUF'). Pick a .gguf model file.")
    r.need(_HEADER.size, "the header")
    _, version, n_tensors, n_kv = _HEADER.unpack_from(r.buf, 0)
    r.pos = _HEADER.size
    if version == 1:
        raise r.fail(
            "is an old GGUF version 1 file, which llama.cpp no longer reads. "
            "Re-convert it or download a newer copy."
        )
    if version and not version & 0xFFFF:
        # llama.cpp's own test: a small version number read with the wrong byte order.
        raise r.fail(
            "is a big-endian GGUF file, made for another kind of computer. Pick a little-endian copy."
        )
    if version not in (2, 3):
        raise r.fail(
            f"uses GGUF version {version}, which this app does not know; a newer tool may have made it. "
            "Update the app or re-convert the file."
        )
    left = r.size - r.pos
    could_hold = f"more than a file of {r.size:,} bytes could hold"
    if n_tensors > left // _MIN_TENSOR_BYTES:
        raise r.damaged(f"it claims {n_tensors:,} tensors, {could_hold}")
    if n_kv > left // _MIN_KV_BYTES:
        raise r.damaged(f"it claims {n_kv:,} metadata entries, {could_hold}")
    return n_tensors, n_kv


def _read_metadata(r: _Reader, n_kv: int) -> dict[str, tuple[GGUFValueType, object]]:
    """Read every metadata entry as key -> (type, value); arrays are skipped (value None)."""
    metadata: dict[str, tuple[GGUFValueType, object]] = {}
    for i in range(n_kv):
        key = r.string(f"metadata key {i}")
        if key in metadata:
            raise r.fail(
                f"has the metadata key '{key}' twice, so it is ambiguous which value holds. "
                "Re-convert it or pick another file."
            )
        vtype = r.value_type(key)
        metadata[key] = (vtype, r.value(vtype, key))
    return metadata


def _value(metadata: dict[str, tuple[GGUFValueType, object]], key: str, vtypes: set[GGUFValueType]):
    """A metadata value if present with one of the expected types, else None."""
    vtype, value = metadata.get(key, (None, None))
    return value if vtype in vtypes else None


def _alignment(r: _Reader, metadata: dict[str, tuple[GGUFValueType, object]]) -> int:
    """The tensor data alignment, checked the way llama.cpp checks it."""
    if "general.alignment" not in metadata:
        return GGUF_DEFAULT_ALIGNMENT
    vtype, value = metadata["general.alignment"]
    if vtype != GGUFValueType.UINT32 or value == 0 or value & (value - 1):
        raise r.fail(
            f"has an invalid 'general.alignment' ({value}); it must be a power of two. "
            "Re-convert it or pick another file."
        )
    return value


class _Tensor(NamedTuple):
    """One entry of the tensor table, its size worked out."""

    name: str
    ggml_type: GGMLQuantizationType
    n_elements: int
    nbytes: int
    offset: int


def _read_tensor_table(r: _Reader, n_tensors: int) -> list[_Tensor]:
    """Read and check every tensor's name, shape, type and offset."""
    tensors: list[_Tensor] = []
    names: set[str] = set()
    for i in range(n_tensors):
        raw = r.raw_string(f"the name of tensor {i}")
        name = raw.decode("utf-8", errors="replace")
        if len(raw) >= _MAX_NAME:
            raise r.damaged(
                f"the name of tensor {i} is {len(raw):,} bytes long; llama.cpp allows {_MAX_NAME - 1}"
            )
        if name in names:
            raise r.damaged(f"the tensor '{name}' appears twice")
        names.add(name)
        n_dims = r.scalar(_U32, f"the dimension count of '{name}'")
        if n_dims > _MAX_DIMS:
            raise r.damaged(
                f"the tensor '{name}' claims {n_dims:,} dimensions; at most {_MAX_DIMS} are possible"
            )
        dims = r.unpack(_SHAPES[n_dims], f"the shape of '{name}'")
        code = r.scalar(_U32, f"the type of '{name}'")
        try:
            ggml_type = GGMLQuantizationType(code)
        except ValueError:
            raise r.fail(
                f"stores the tensor '{name}' in a type this app does not know ({code}); "
                "a newer tool may have made it. Update the app or pick another file."
            ) from None
        offset = r.scalar(_U64, f"the offset of '{name}'")
        tensors.append(_tensor(r, name, dims, ggml_type, offset))
    return tensors


def _tensor(
    r: _Reader, name: str, dims: tuple[int, ...], ggml_type: GGMLQuantizationType, offset: int
) -> _Tensor:
    """Work out a tensor's element count and byte size, refusing shapes llama.cpp refuses."""
    n_elements = prod(dims)
    block_size, type_size = GGML_QUANT_SIZES[ggml_type]
    if any(d > _INT64_MAX for d in dims) or n_elements > _INT64_MAX:
        raise r.damaged(f"the tensor '{name}' has an impossible shape {dims}")
    row = dims[0] if dims else 1
    if row % block_size:
        raise r.damaged(
            f"the rows of tensor '{name}' ({row:,}) are not a multiple of its {ggml_type.name} block size"
        )
    nbytes = n_elements // block_size * type_size
    if nbytes > r.size and not r.header_only:
        raise r.damaged(f"the tensor '{name}' claims {nbytes:,} bytes, more than the whole file")
    return _Tensor(name, ggml_type, n_elements, nbytes, offset)


def _check_tensor_data(r: _Reader, tensors: list[_Tensor], alignment: int) -> None:
    """Check that the tensors follow each other the way llama.cpp expects, all inside the file (unless header only)."""
    data_start = _pad(r.pos, alignment)
    expected = 0
    for t in tensors:
        if t.offset != expected:
            raise r.damaged(
                f"the tensor '{t.name}' is at offset {t.offset:,}, where {expected:,} was expected"
            )
        end = data_start + t.offset + t.nbytes
        if end > r.size and not r.header_only:
            raise r.fail(
                f"is truncated: the file is incomplete (the tensor '{t.name}' ends at byte {end:,}, "
                f"but the file has only {r.size:,}). Download it again."
            )
        expected += _pad(t.nbytes, alignment)


def _pad(n: int, alignment: int) -> int:
    """`n` rounded up to a multiple of `alignment`."""
    return (n + alignment - 1) // alignment * alignment


def _quantization(file_type: int | None, bytes_by_type: Counter[GGMLQuantizationType]) -> str:
    """The file type's name ("Q4_K_M"), else the tensor type holding the most bytes ("Q4_K")."""
    try:
        ftype = LlamaFileType(file_type)
    except ValueError:
        ftype = LlamaFileType.GUESSED
    if ftype != LlamaFileType.GUESSED:
        return ftype.name.removeprefix("MOSTLY_").removeprefix("ALL_")
    return bytes_by_type.most_common(1)[0][0].name
