"""The CPU in hand, and which weight buffers a model loads into on it (llama.cpp's AMX kernels crash)."""

import functools
import platform
from dataclasses import dataclass

# Settings › Loading › CPU weight repacking.
REPACK_AUTOMATIC = "automatic"
REPACK_OFF = "off"
REPACK_CHOICES = (REPACK_AUTOMATIC, REPACK_OFF)

# The flags a reader of a result needs to judge its speed: the vector and matrix units llama.cpp can use.
_FEATURES = {"avx2": ("avx2",), "avx512": ("avx512f",), "amx": ("amx_tile", "amx_int8")}


@dataclass(frozen=True)
class CpuInfo:
    """The CPU's model name and its instruction-set flags as the kernel lists them (empty where unknown)."""

    model: str
    flags: frozenset[str]

    @property
    def has_amx(self) -> bool:
        return any(flag in self.flags for flag in _FEATURES["amx"])

    def features(self) -> dict[str, bool | None]:
        """AVX2, AVX-512 and AMX: True or False, or None where the flags could not be read."""
        if not self.flags:
            return {name: None for name in _FEATURES}
        return {name: any(flag in self.flags for flag in flags) for name, flags in _FEATURES.items()}


def parse_cpuinfo(text: str) -> CpuInfo:
    """The first processor's model name and flags in the text of /proc/cpuinfo."""
    model, flags = "", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
    return CpuInfo(model=model or platform.processor() or platform.machine(), flags=flags)


@functools.cache
def cpu_info() -> CpuInfo:
    """This machine's CPU (Linux lists its flags in /proc/cpuinfo; elsewhere they stay unknown)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            return parse_cpuinfo(cpuinfo.read())
    except OSError:
        return CpuInfo(model=platform.processor() or platform.machine(), flags=frozenset())


@dataclass(frozen=True)
class WeightPath:
    """Whether llama.cpp may put a model's weights into its extra CPU buffers, and why.

    The extra buffers are llama.cpp's repacked layouts (CPU_REPACK, interleaved for the vector units)
    and, on a build with AMX kernels, the AMX buffer, which comes first in the list.
    """

    extra_buffers: bool
    reason: str


# llama.cpp's extra CPU weight buffers, as its log names them: a tensor in one was repacked.
_EXTRA_BUFFERS = ("CPU_REPACK", "AMX")


def weight_path_name(buffers: list[str]) -> str:
    """"repacked" where llama.cpp put any weights into an extra buffer, else "plain" (what happened, not what was allowed).

    SmolLM2's Q4_1 tensors have no repacked layout: allowed or not, its weights stay plain.
    """
    return "repacked" if any(buffer in _EXTRA_BUFFERS for buffer in buffers) else "plain"


def choose_weight_path(setting: str, cpu: CpuInfo, build_has_amx: bool) -> WeightPath:
    """The weight buffers for a load: the setting, then whether the AMX kernels could run here.

    llama.cpp offers no switch for the AMX buffer alone, so on an AMX machine the only safe path is
    plain CPU buffers: its AMX kernels segfault in decode (llama.cpp #20824, open). The CPU decides,
    not the build: llama.cpp offers its AMX buffer only where the CPU grants AMX, and a wheel reused
    from pip's cache or a packaged app may have been built on another machine. Only where the CPU's
    flags are unknown (not Linux) does the build's own line stand in for them.
    """
    if setting == REPACK_OFF:
        return WeightPath(False, "CPU weight repacking is off in Settings › Loading")
    if setting != REPACK_AUTOMATIC:
        raise ValueError(f"unknown CPU weight repacking setting {setting!r}: use one of {REPACK_CHOICES}")
    if cpu.has_amx if cpu.flags else build_has_amx:
        return WeightPath(False, "this CPU has AMX, whose llama.cpp kernels crash (llama.cpp issue 20824)")
    return WeightPath(True, "llama.cpp repacks the weights it can for this CPU's vector units")


def weights_text(runtime: dict) -> str | None:
    """"repacked (CPU_Mapped, CPU_REPACK)" from a model's runtime facts; None where none were recorded."""
    if "weight_path" not in runtime:
        return None
    return f"{runtime['weight_path']} ({', '.join(runtime['weight_buffers'])})"


def build_has_amx(system_info: str) -> bool:
    """Whether llama.cpp's system line (llama_print_system_info) says its CPU backend has AMX kernels."""
    return "AMX_INT8 = 1" in system_info
