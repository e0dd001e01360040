"""Which weight buffers a model loads into, for the CPU flags and the setting in hand."""

import pytest

from gui.core.cpu import (
    REPACK_AUTOMATIC,
    REPACK_OFF,
    CpuInfo,
    build_has_amx,
    choose_weight_path,
    parse_cpuinfo,
    weight_path_name,
)

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fpu vme sse sse2 avx avx2 fma avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fpu vme sse sse2 avx avx2 fma avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
"""
EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512_vnni avx512_bf16 avx_vnni
"""
OLD_LAPTOP = """model name\t: Intel(R) Core(TM) i5-4200U CPU @ 1.60GHz
flags\t\t: fpu sse sse2 avx avx2 fma
"""
EPYC_SYSTEM_LINE = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | LLAMAFILE = 1 | REPACK = 1 | "
XEON_SYSTEM_LINE = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | REPACK = 1 | "


@pytest.mark.parametrize("text, model, features", [
    (SAPPHIRE_RAPIDS, "Intel(R) Xeon(R) Platinum 8488C", {"avx2": True, "avx512": True, "amx": True}),
    (EPYC, "AMD EPYC", {"avx2": True, "avx512": True, "amx": False}),
    (OLD_LAPTOP, "Intel(R) Core(TM) i5-4200U CPU @ 1.60GHz", {"avx2": True, "avx512": False, "amx": False}),
])
def test_reads_the_model_name_and_the_features_that_matter(text, model, features):
    cpu = parse_cpuinfo(text)
    assert cpu.model == model
    assert cpu.features() == features
    assert cpu.has_amx is features["amx"]


def test_features_are_unknown_where_the_flags_are():
    cpu = parse_cpuinfo("processor : 0\n")
    assert cpu.model  # the platform's name stands in
    assert cpu.features() == {"avx2": None, "avx512": None, "amx": None}


def test_an_amx_cpu_loads_plain_weights_even_when_automatic():
    path = choose_weight_path(REPACK_AUTOMATIC, parse_cpuinfo(SAPPHIRE_RAPIDS), build_has_amx(XEON_SYSTEM_LINE))
    assert not path.extra_buffers
    assert "AMX" in path.reason and "20824" in path.reason


def test_an_amx_cpu_loads_plain_weights_with_a_build_from_elsewhere():
    # A wheel from pip's cache, or a packaged app, built on a machine without AMX.
    path = choose_weight_path(REPACK_AUTOMATIC, parse_cpuinfo(SAPPHIRE_RAPIDS), build_has_amx(EPYC_SYSTEM_LINE))
    assert not path.extra_buffers


@pytest.mark.parametrize("cpuinfo", [EPYC, OLD_LAPTOP])
def test_a_cpu_without_amx_keeps_llama_cpp_repacking_when_automatic(cpuinfo):
    path = choose_weight_path(REPACK_AUTOMATIC, parse_cpuinfo(cpuinfo), build_has_amx(EPYC_SYSTEM_LINE))
    assert path.extra_buffers


def test_the_cpu_decides_over_a_build_made_on_an_amx_machine():
    # llama.cpp only offers its AMX buffer where the CPU grants AMX: this CPU never runs those kernels.
    path = choose_weight_path(REPACK_AUTOMATIC, parse_cpuinfo(EPYC), build_has_amx(XEON_SYSTEM_LINE))
    assert path.extra_buffers


@pytest.mark.parametrize("system_line, extra", [(XEON_SYSTEM_LINE, False), (EPYC_SYSTEM_LINE, True)])
def test_the_build_stands_in_where_the_cpu_flags_are_unknown(system_line, extra):
    unknown = CpuInfo(model="arm64", flags=frozenset())
    assert choose_weight_path(REPACK_AUTOMATIC, unknown, build_has_amx(system_line)).extra_buffers is extra


@pytest.mark.parametrize("cpuinfo", [SAPPHIRE_RAPIDS, EPYC, OLD_LAPTOP])
def test_off_is_plain_on_every_cpu(cpuinfo):
    path = choose_weight_path(REPACK_OFF, parse_cpuinfo(cpuinfo), build_has_amx(EPYC_SYSTEM_LINE))
    assert not path.extra_buffers
    assert "Settings › Loading" in path.reason


def test_an_unknown_setting_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'always'.*automatic.*off"):
        choose_weight_path("always", parse_cpuinfo(EPYC), False)


def test_the_build_line_is_read_for_amx_int8_only():
    assert build_has_amx(XEON_SYSTEM_LINE)
    assert not build_has_amx(EPYC_SYSTEM_LINE)
    assert not build_has_amx("CPU : AMX_INT8 = 0 | ")


@pytest.mark.parametrize("buffers, name", [
    (["CPU_Mapped"], "plain"),
    (["CPU_Mapped", "CPU_REPACK"], "repacked"),
    (["CPU_Mapped", "AMX"], "repacked"),
    (["CPU_Mapped", "CUDA0"], "plain"),  # offloaded, not repacked
])
def test_the_path_says_what_happened_to_the_weights(buffers, name):
    assert weight_path_name(buffers) == name
