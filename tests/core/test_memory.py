"""Memory figures: a mapped file's resident bytes, the app's RSS, and llama.cpp's buffer sizes from its log."""

import mmap
import os

import pytest

from gui.core.engine import buffer_bytes_from_log
from gui.core.fit import MemoryEstimate
from gui.core.memory import (
    SideMemory,
    fit_problem,
    _resident_from_pagemap,
    _resident_from_smaps,
    resident_bytes_by_path,
    system_memory,
)

MIB = 2**20


def test_resident_bytes_of_a_mapped_file_follow_the_pages_touched(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\1" * (8 * MIB))
    other = str(tmp_path / "not-mapped.gguf")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert sum(mapped[i] for i in range(0, 4 * MIB, 4096)) == 1024  # touch the first half
        resident = resident_bytes_by_path([str(path), other])
    assert 4 * MIB <= resident[str(path)] <= 8 * MIB
    assert resident[other] == 0


def test_the_page_table_reading_agrees_with_psutils_smaps_on_a_path_with_spaces(tmp_path):
    path = tmp_path / "my model 量子化.gguf"
    path.write_bytes(b"\1" * (8 * MIB))
    wanted = {os.path.realpath(path): str(path)}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert sum(mapped[i] for i in range(0, 2 * MIB, 4096)) == 512  # touch a quarter
        from_pagemap, from_smaps = _resident_from_pagemap(wanted), _resident_from_smaps(wanted)
    assert from_pagemap == from_smaps
    assert 2 * MIB <= from_pagemap[os.path.realpath(path)] <= 8 * MIB


def test_system_memory_reports_the_process_and_the_machine():
    memory = system_memory()
    assert memory.process_rss_bytes > 10 * MIB
    assert memory.free_ram_bytes > 0


def test_buffer_sizes_are_read_from_llama_cpp_log_lines():
    # Lines as llama.cpp 0.3.36 logs them for Gemma 3 270M at n_ctx 2048.
    lines = [
        "load_tensors:   CPU_Mapped model buffer size =   235.16 MiB\n",
        "load_tensors:   CPU_REPACK model buffer size =    12.66 MiB\n",
        "llama_context:        CPU  output buffer size =     1.00 MiB\n",
        "llama_kv_cache:        CPU KV buffer size =     6.00 MiB\n",
        "llama_kv_cache:        CPU KV buffer size =    30.00 MiB\n",
        "sched_reserve:        CPU compute buffer size =   514.50 MiB\n",
        "print_info: file size   = 241.39 MiB (7.56 BPW)\n",
    ]
    unmapped, context = buffer_bytes_from_log(lines)
    assert unmapped == pytest.approx(12.66 * MIB, abs=1)
    assert context == pytest.approx((1.0 + 6.0 + 30.0 + 514.5) * MIB, abs=1)
    assert SideMemory(weights_bytes=1, context_bytes=2).total_bytes == 3


def test_fit_problem_names_the_figures_of_a_pair_that_does_not_fit():
    need = MemoryEstimate(weights_bytes=3 * 2**30, kv_bytes=2**29, compute_bytes=2**29)
    assert fit_problem({"a.gguf": need, "b.gguf": need}, 9 * 2**30) is None
    message = fit_problem({"a.gguf": need, "b.gguf": need}, 6 * 2**30)
    assert "Both models need about 8.00 GiB but only 6.00 GiB of RAM is free" in message
    assert "a.gguf: 4.00 GiB (weights 3.00 + KV cache 0.50 + compute 0.50)" in message
    assert "one at a time" in message
