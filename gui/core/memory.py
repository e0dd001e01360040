"""Memory figures: what each model holds, the app's RSS, free RAM, VRAM where NVML finds a GPU; the fit check."""

import os
from dataclasses import dataclass

import numpy as np
import psutil
import pynvml

from gui.core.fit import MemoryEstimate


@dataclass(frozen=True)
class SideMemory:
    """What one loaded model costs: resident weights plus llama.cpp's context buffers (KV + compute)."""

    weights_bytes: int
    context_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.context_bytes


def fit_problem(needs: dict[str, MemoryEstimate], free_bytes: int) -> str | None:
    """Why the models named in `needs` would not fit in `free_bytes` of RAM, with the figures; None when they fit."""
    total = sum(need.total_bytes for need in needs.values())
    if total <= free_bytes:
        return None
    gib = 2**30
    parts = "; ".join(
        f"{name}: {need.total_bytes / gib:.2f} GiB (weights {need.weights_bytes / gib:.2f} + KV cache "
        f"{need.kv_bytes / gib:.2f} + compute {need.compute_bytes / gib:.2f})"
        for name, need in needs.items()
    )
    both = "Both models need" if len(needs) > 1 else "This model needs"
    return (
        f"{both} about {total / gib:.2f} GiB but only {free_bytes / gib:.2f} GiB of RAM is free ({parts}). "
        "Loading anyway would make the machine swap: close other programs, pick a smaller quantization or "
        "context size" + (", or compare them one at a time." if len(needs) > 1 else ".")
    )


def side_memory(model, resident: dict[str, int]) -> SideMemory | None:
    """A loaded model's memory: its file's resident bytes (or llama.cpp's model size when not mapped) + buffers.

    None for a served model: its memory is the server's, not this machine's.
    """
    if model.card is None:
        return None
    mapped = resident.get(model.source, 0)
    weights = (mapped or model.model_bytes) + model.unmapped_weight_bytes
    return SideMemory(weights_bytes=weights, context_bytes=model.context_bytes)


@dataclass(frozen=True)
class SystemMemory:
    """The whole app's footprint and what the machine has left."""

    process_rss_bytes: int
    free_ram_bytes: int
    vram_bytes: int | None


def resident_bytes_by_path(paths: list[str]) -> dict[str, int]:
    """Resident bytes of each file mapped into this process (the GGUF mmap); 0 where not mapped."""
    wanted = {os.path.realpath(p): p for p in paths}
    found = dict.fromkeys(paths, 0)
    if not wanted:
        return found
    try:
        resident = _resident_from_pagemap(wanted)
    except OSError:  # not Linux, or /proc withheld
        resident = _resident_from_smaps(wanted)
    for real, rss in resident.items():
        found[wanted[real]] += rss
    return found


def _resident_from_pagemap(wanted: dict[str, str]) -> dict[str, int]:
    """Present pages of the files' mappings, from /proc/self/maps and /proc/self/pagemap (Linux).

    Only those mappings' page tables are read: psutil's memory_maps reads /proc/self/smaps, which
    walks every mapping of the process (45 ms a sample with both models loaded, half of it parsing
    in Python), once a second, stalling other threads on Python's lock and the kernel's mapping lock.
    """
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.rstrip("\n").split(maxsplit=5)  # start-end perms offset dev inode path
            if len(fields) == 6 and fields[5] in wanted:
                start, end = (int(address, 16) for address in fields[0].split("-"))
                ranges.append((fields[5], start, end))
    resident = dict.fromkeys(wanted, 0)
    if not ranges:
        return resident
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
        for path, start, end in ranges:
            pagemap.seek(start // page * 8)
            entries = np.frombuffer(pagemap.read((end - start) // page * 8), dtype=np.uint64)
            resident[path] += int(np.count_nonzero(entries >> np.uint64(63))) * page  # bit 63: page present
    return resident


def _resident_from_smaps(wanted: dict[str, str]) -> dict[str, int]:
    """The same from psutil's memory maps, where there is no pagemap."""
    resident = dict.fromkeys(wanted, 0)
    try:
        maps = psutil.Process().memory_maps(grouped=True)
    except (psutil.Error, OSError, NotImplementedError):
        return resident
    for region in maps:
        if region.path in resident:
            resident[region.path] += region.rss
    return resident


def system_memory() -> SystemMemory:
    """The app's RSS, the machine's available RAM and this process's VRAM (None without NVML)."""
    return SystemMemory(
        process_rss_bytes=psutil.Process().memory_info().rss,
        free_ram_bytes=psutil.virtual_memory().available,
        vram_bytes=_process_vram_bytes(),
    )


def _process_vram_bytes() -> int | None:
    """VRAM used by this process on all NVIDIA GPUs, or None where no NVIDIA driver answers."""
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    try:
        pid = os.getpid()
        used = 0
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                if proc.pid == pid and proc.usedGpuMemory:
                    used += proc.usedGpuMemory
        return used
    except pynvml.NVMLError:
        return None
    finally:
        pynvml.nvmlShutdown()
