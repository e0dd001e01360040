"""Memory figures: a mapped file's resident bytes, the app's RSS, and llama.cpp's buffer sizes from its log."""

import mmap

import pytest

from gui.core.engine import buffer_bytes_from_log
from gui.core.memory import SideMemory, resident_bytes_by_path, system_memory

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
