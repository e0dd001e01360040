"""Memory figures: what each model holds, the app's RSS, free RAM, and VRAM where NVML finds a GPU."""

import os
from dataclasses import dataclass

import psutil
import pynvml


@dataclass(frozen=True)
class SideMemory:
    """What one loaded model costs: resident weights plus llama.cpp's context buffers (KV + compute)."""

    weights_bytes: int
    context_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.context_bytes


def side_memory(model, resident: dict[str, int]) -> SideMemory:
    """A loaded model's memory: its file's resident bytes (or llama.cpp's model size when not mapped) + buffers."""
    mapped = resident.get(model.card.path, 0)
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
        maps = psutil.Process().memory_maps(grouped=True)
    except (psutil.Error, OSError, NotImplementedError):
        return found
    for region in maps:
        original = wanted.get(region.path)
        if original is not None:
            found[original] += region.rss
    return found


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
