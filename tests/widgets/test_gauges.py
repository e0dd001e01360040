"""The gauges under each answer: live and final speed figures, memory lines."""

import pytest
from PySide6.QtWidgets import QLabel

from gui.core.memory import SideMemory, SystemMemory
from gui.core.metrics import GenerationStats, StopReason
from gui.widgets.gauges import GaugePanel

MIB = 1024**2


@pytest.fixture
def gauges(qtbot):
    panel = GaugePanel()
    qtbot.addWidget(panel)
    return panel


def shown(panel, name):
    return panel.findChild(QLabel, name).text()


def stats(**changes):
    fields = dict(
        prompt_tokens=31,
        tokens=256,
        ttft_s=0.082,
        prompt_tps=412.3,
        decode_tps=118.94,
        elapsed_s=2.234,
        stop_reason=StopReason.MAX_TOKENS,
        threads=1,
        contended=True,
        first_after_load=True,
    )
    fields.update(changes)
    return GenerationStats(**fields)


def test_live_figures_show_a_dash_for_none(gauges):
    gauges.set_live(None, None, 0, 0.0)
    assert shown(gauges, "decode") == "—"
    assert shown(gauges, "ttft") == "—"
    assert shown(gauges, "tokens") == "0"
    assert shown(gauges, "elapsed") == "0.0 s"


def test_live_figures(gauges):
    gauges.set_live(47.25, 0.31, 12, 0.6)
    assert shown(gauges, "decode") == "47.2 tok/s"
    assert shown(gauges, "ttft") == "0.31 s"
    assert shown(gauges, "tokens") == "12"
    assert shown(gauges, "elapsed") == "0.6 s"


def test_final_figures_with_stop_reason_and_tag(gauges):
    gauges.set_final(stats())
    assert shown(gauges, "decode") == "118.9 tok/s"
    assert shown(gauges, "ttft") == "0.08 s"
    assert shown(gauges, "prompt") == "412 tok/s"
    assert shown(gauges, "tokens") == "256"
    assert shown(gauges, "elapsed") == "2.2 s"
    assert shown(gauges, "stop") == "max tokens"
    assert shown(gauges, "tag") == "contended"
    assert "first request after load" in gauges.findChild(QLabel, "tag").toolTip()


def test_final_figures_of_a_stopped_isolated_answer_with_none(gauges):
    gauges.set_final(
        stats(ttft_s=None, prompt_tps=None, decode_tps=None, tokens=0, stop_reason=StopReason.STOPPED_BY_USER, contended=False)
    )
    assert shown(gauges, "decode") == "—"
    assert shown(gauges, "ttft") == "—"
    assert shown(gauges, "prompt") == "—"
    assert shown(gauges, "stop") == "stopped by user"
    assert shown(gauges, "tag") == "isolated"


def test_an_error_is_explained_on_the_stop_reason(gauges):
    gauges.set_final(stats(stop_reason=StopReason.ERROR, error="template refused"))
    assert shown(gauges, "stop") == "error"
    assert gauges.findChild(QLabel, "stop").toolTip() == "template refused"


def test_reset_clears_the_answer_but_not_the_memory(gauges):
    gauges.set_model_memory(SideMemory(weights_bytes=int(92.1 * MIB), context_bytes=int(144.4 * MIB)))
    gauges.set_final(stats())
    gauges.reset()
    for name in ("decode", "ttft", "prompt", "tokens", "elapsed", "stop"):
        assert shown(gauges, name) == "—"
    assert shown(gauges, "tag") == ""
    assert shown(gauges, "memory") == "weights 92.1 MiB + context 144.4 MiB"


def test_model_memory(gauges):
    gauges.set_model_memory(SideMemory(weights_bytes=int(92.1 * MIB), context_bytes=int(144.4 * MIB)))
    assert shown(gauges, "memory") == "weights 92.1 MiB + context 144.4 MiB"
    gauges.set_model_memory(None)
    assert shown(gauges, "memory") == "weights — + context —"


def test_system_memory_with_and_without_vram(gauges):
    gauges.set_system_memory(SystemMemory(process_rss_bytes=214 * MIB, free_ram_bytes=5 * 1024**3, vram_bytes=None))
    assert shown(gauges, "system") == "app RSS 214.0 MiB · free RAM 5.00 GiB · VRAM —"
    gauges.set_system_memory(SystemMemory(process_rss_bytes=214 * MIB, free_ram_bytes=5 * 1024**3, vram_bytes=512 * MIB))
    assert shown(gauges, "system").endswith("VRAM 512.0 MiB")
