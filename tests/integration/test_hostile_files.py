"""Hostile and broken GGUF files chosen on one side while the real SmolLM2 streams on the other."""

import asyncio
import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from gguf_files import header_offset, sparse_copy, vocab_only_copy, write_giant, write_gguf
from gui.controllers.arena import Arena
from gui.core.engine import LlamaEngine
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.store import Store
from gui.widgets.main_window import MainWindow

pytestmark = pytest.mark.integration
STREAMING, HOSTILE = 0, 1
PROMPT = "Write a long story about a lighthouse keeper and the sea."
SAMPLING = SamplingParams(temperature=0.0, max_tokens=32, seed=7)
# One thread: other tests share these cores, and an oversubscribed llama.cpp slows to a crawl.
LOAD = LoadParams(n_ctx=1024, n_threads=1)


@dataclass(frozen=True)
class Case:
    """One bad file: how to make it from SmolLM2 in a folder, and the words its message must hold."""

    name: str
    make: Callable[[Path, Path], Path]  # (folder, SmolLM2) -> the file to choose
    words: tuple[str, ...]  # what is wrong, in this case's own words
    advice: str  # what to do

    def __str__(self) -> str:
        return self.name


def written(name: str, data: bytes) -> Callable[[Path, Path], Path]:
    """A file holding `data`."""

    def make(folder: Path, _smol: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def smol(name: str, *edits: tuple[bytes | int, int, bytes], size: int | None = None):
    """SmolLM2 cut to `size` and patched: each edit is (marker or offset, bytes past it, new bytes)."""

    def make(folder: Path, source: Path) -> Path:
        changes = {}
        for where, skip, data in edits:
            at = where + skip if isinstance(where, int) else header_offset(source, where, skip)
            changes[at] = data
        return sparse_copy(source, folder / name, changes, size)

    return make


def renamed(old: bytes, new: bytes):
    """An edit replacing the only `old` in the header with `new` of the same length."""
    assert len(old) == len(new)
    return (old, -len(old), new)


def cut_in_tensor_table(folder: Path, source: Path) -> Path:
    return sparse_copy(source, folder / "cut-table.gguf", size=header_offset(source, b"blk.0.attn_q.weight", 2))


def vocab_only(folder: Path, source: Path) -> Path:
    return vocab_only_copy(source, folder / "smollm2-vocab.gguf")


def tiny_without_settings(folder: Path, _source: Path) -> Path:
    # A llama file with weights but no embedding length, head counts …: llama.cpp refuses it.
    return write_gguf(folder / "tiny.gguf")


def folder_named_gguf(folder: Path, _source: Path) -> Path:
    path = folder / "models.gguf"
    path.mkdir()
    return path


def missing(folder: Path, _source: Path) -> Path:
    return folder / "gone.gguf"


def symlink_loop(folder: Path, _source: Path) -> Path:
    first, second = folder / "a.gguf", folder / "b.gguf"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


def dangling_symlink(folder: Path, _source: Path) -> Path:
    link = folder / "link.gguf"
    link.symlink_to(folder / "moved-away.gguf")
    return link


def named_pipe(folder: Path, _source: Path) -> Path:
    path = folder / "pipe.gguf"
    os.mkfifo(path)
    return path


def unreadable(folder: Path, source: Path) -> Path:
    path = sparse_copy(source, folder / "locked.gguf")
    path.chmod(0)
    return path


def odd_path(folder: Path, source: Path) -> Path:
    inner = folder / "mödèls — ünïcødé"
    inner.mkdir()
    return sparse_copy(source, inner / "my model 量子化 ✓.gguf", size=40_000_000)


def larger_than_memory(folder: Path, _source: Path) -> Path:
    # Four times the free RAM in one F32 tensor; sparse, so it takes no disk.
    return write_giant(folder / "giant.gguf", psutil.virtual_memory().available)


AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CASES = [
    Case("empty", written("empty.gguf", b""), ("is empty (0 bytes)",), "Download it again"),
    Case("only-magic", written("magic.gguf", b"GGUF"), ("truncated or damaged", "the header"), "Download it again"),
    Case("wrong-magic", smol("zip.gguf", (0, 0, b"PK\x03\x04")), ("is not a GGUF file",), "Pick a .gguf model file"),
    Case("random-bytes", written("noise.gguf", os.urandom(4096)), ("is not a GGUF file",), "Pick a .gguf model file"),
    Case("unknown-version", smol("v99.gguf", (4, 0, struct.pack("<I", 99))),
         ("GGUF version 99", "newer tool"), "Update the app or re-convert"),
    Case("version-1", smol("v1.gguf", (4, 0, struct.pack("<I", 1))), ("old GGUF version 1",), "Re-convert it"),
    Case("big-endian", smol("be.gguf", (4, 0, struct.pack(">I", 3))), ("big-endian",), "Pick a little-endian copy"),
    Case("truncated-header", smol("cut-header.gguf", size=20),
         ("truncated or damaged", "the header at byte 0 needs 24 bytes"), "Download it again"),
    Case("truncated-metadata", smol("cut-metadata.gguf", size=400_000),
         ("truncated or damaged", "'tokenizer.ggml.tokens' run past the end"), "Download it again"),
    Case("truncated-tensor-table", cut_in_tensor_table, ("truncated or damaged", "more than the whole file"),
         "Download it again"),
    Case("truncated-tensor-data", smol("cut-data.gguf", size=40_000_000),
         ("is truncated: the file is incomplete", "has only 40,000,000"), "Download it again"),
    Case("absurd-tensor-count", smol("tensors.gguf", (8, 0, struct.pack("<Q", 2**40))),
         ("claims 1,099,511,627,776 tensors",), "Download it again"),
    Case("absurd-metadata-count", smol("entries.gguf", (16, 0, struct.pack("<Q", 2**40))),
         ("claims 1,099,511,627,776 metadata entries",), "Download it again"),
    Case("absurd-string-length", smol("string.gguf", (b"general.name", 4, struct.pack("<Q", 2**62))),
         ("the text of 'general.name'", "needs 4,611,686,018,427,387,904 bytes"), "Download it again"),
    Case("absurd-array-length", smol("array.gguf", (b"tokenizer.ggml.tokens", 8, struct.pack("<Q", 2**50))),
         ("the array 'tokenizer.ggml.tokens' claims 1,125,899,906,842,624 items",), "Download it again"),
    Case("duplicate-key", smol("dup.gguf", renamed(b"general.finetune", b"general.basename")),
         ("'general.basename' twice",), "Re-convert it"),
    Case("unknown-tensor-type", smol("type.gguf", (b"output_norm.weight", 4 + 8, struct.pack("<I", 200))),
         ("'output_norm.weight'", "a type this app does not know (200)"), "Update the app"),
    Case("unknown-architecture", smol("alien.gguf", (b"general.architecture", 4 + 8, b"zzzzz")),
         ("the architecture 'zzzzz'", "does not know"), "Update llama-cpp-python"),
    Case("vocabulary-only", vocab_only, ("vocabulary-only file", "no weights"), "Pick the model file"),
    Case("missing-weights", smol("missing-weights.gguf", renamed(b"blk.0.attn_q.weight", b"blk.0.attn_X.weight")),
         ("lacks the weights 'blk.0.attn_q.weight'",), "re-convert it"),
    Case("wrong-shape", smol("shape.gguf", (b"blk.0.ffn_up.weight", 4, struct.pack("<QQ", 1536, 576))),
         ("'blk.0.ffn_up.weight' in the shape 1536 × 576", "needs 576 × 1536"), "Re-convert it"),
    Case("missing-setting", tiny_without_settings, ("lacks the setting 'llama.embedding_length'",), "Re-convert it"),
    Case("setting-of-wrong-type", smol("f32-blocks.gguf", (b"llama.block_count", 0, struct.pack("<I", 6))),
         ("'llama.block_count' as f32", "needs u32"), "Re-convert it"),
    Case("unknown-tokenizer", smol("tokenizer.gguf", (b"tokenizer.ggml.model", 4 + 8, b"gpz2")),
         ("the tokenizer 'gpz2'", "does not know"), "Update llama-cpp-python"),
    Case("template-does-not-parse", smol("template.gguf", renamed(b"{% endfor %}", b"{% endfxr %}")),
         ("chat template inside template.gguf does not parse",), "pick another file"),
    Case("directory", folder_named_gguf, ("is a folder, not a file",), "Pick a .gguf file inside it"),
    Case("missing", missing, ("was not found",), "Pick another file"),
    Case("named-pipe", named_pipe, ("is not a regular file",), "Pick a .gguf file"),
    pytest.param(
        Case("unreadable", unreadable, ("permission denied",), "Check the file's permissions"),
        marks=pytest.mark.skipif(AS_ROOT, reason="root reads files whatever their mode"),
    ),
    Case("odd-path", odd_path, ("'my model 量子化 ✓.gguf' is truncated",), "Download it again"),
    Case("symlink-loop", symlink_loop, ("is a symbolic link loop",), "Point the link at a real .gguf file"),
    Case("dangling-symlink", dangling_symlink, ("is a symbolic link to", "moved-away.gguf', which does not exist"),
         "Point the link at a real .gguf file"),
    Case("larger-than-memory", larger_than_memory, ("This model needs about", "GiB of RAM is free"),
         "close other programs"),
]


@pytest.fixture(scope="module")
def arena(qapp, event_loop, default_pair, tmp_path_factory):
    """The real app, shown, with SmolLM2 loaded on one side (once for the module: loads are slow)."""
    window = MainWindow()
    window.blind_action.setChecked(False)
    window.show()
    store = Store(tmp_path_factory.mktemp("hostile") / "results.sqlite")
    made = Arena(window, store)
    window.settings.set_values(SAMPLING, LOAD)

    async def load_streaming_side():
        ended = made.sides[STREAMING].load_ended()
        assert made.choose_file(STREAMING, default_pair[0])
        return await asyncio.wait_for(ended, 120)

    assert event_loop.run_until_complete(load_streaming_side()) is None
    yield made
    made.shutdown()
    store.close()
    window.close()


def choose_while_streaming(arena, event_loop, path: Path):
    """Choose `path` on the hostile side once the other side streams; (its tokens by then, the answers)."""
    streaming, hostile = arena.sides[STREAMING], arena.sides[HOSTILE]

    async def run():
        task = arena.send(PROMPT)
        # busy: this answer has begun, so live_tokens no longer counts the last one.
        while not (streaming.busy and streaming.live_tokens >= 2) and not task.done():
            await asyncio.sleep(0.005)
        assert not task.done(), "the answer ended before the file was chosen"
        tokens_before = streaming.live_tokens
        if arena.choose_file(HOSTILE, str(path)):
            # The worker's verdict comes back through the event loop, so listening from here misses nothing.
            assert await asyncio.wait_for(hostile.load_ended(), 120) is not None, "the bad file loaded"
        return tokens_before, await asyncio.wait_for(task, 120)

    return event_loop.run_until_complete(run())


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_file_gets_its_own_message_while_the_other_side_streams(arena, event_loop, tmp_path, default_pair,
                                                                      case):
    arena.new_chat()
    path = case.make(tmp_path, Path(default_pair[0]))
    tokens_before, answers = choose_while_streaming(arena, event_loop, path)

    message = arena.pane_of(HOSTILE).error_text()
    for words in case.words:
        assert words in message
    assert case.advice.lower() in message.lower(), message
    assert arena.sides[HOSTILE].model is None and answers[HOSTILE] is None

    answer = answers[STREAMING]
    assert answer.stats.error is None
    assert answer.stats.stop_reason in (StopReason.END_OF_TEXT, StopReason.MAX_TOKENS)
    assert answer.stats.tokens > tokens_before  # it went on streaming after the bad file was chosen
    assert arena.pane_of(STREAMING).error_text() == ""
    assert arena.window.isVisible()


def test_a_good_model_at_a_path_with_spaces_and_non_ascii_characters_loads(tmp_path, default_pair):
    folder = tmp_path / "mödèls — ünïcødé"
    folder.mkdir()
    path = folder / "my model 量子化 ✓.gguf"
    try:
        os.link(default_pair[0], path)  # the file itself at that path, not a link to it
    except OSError:
        shutil.copyfile(default_pair[0], path)
    engine = LlamaEngine()
    try:
        model = engine.load(str(path), LoadParams(n_ctx=512, n_threads=1), lambda fraction: True)
        texts = list(engine.generate([{"role": "user", "content": "Hi"}], SAMPLING, 1, lambda: False))
    finally:
        engine.close()
    assert model.card.path == str(path)
    assert "".join(texts).strip()
