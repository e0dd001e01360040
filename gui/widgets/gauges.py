"""Speed and memory figures of one side, shown under its answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from gui.widgets.units import DASH, format_bytes, format_or_dash

if TYPE_CHECKING:
    from gui.core.memory import SideMemory, SystemMemory
    from gui.core.metrics import GenerationStats


class GaugePanel(QWidget):
    """Live and final figures of one answer, plus what the model and the machine hold.

    Value labels are named (objectName) after what they show: decode, ttft, prompt,
    tokens, elapsed, stop, tag, memory, system.
    """

    # (name, caption, widest text it usually shows) per figure, two rows of three.
    _FIGURES = (
        (("decode", "decode", "0000.0 tok/s"), ("ttft", "TTFT", "00.00 s"), ("prompt", "prompt", "00000 tok/s")),
        (("tokens", "tokens", "00000"), ("elapsed", "time", "000.0 s"), ("stop", "stop", "context full")),
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._values: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        for row, figures in enumerate(self._FIGURES):
            for index, (name, caption, widest) in enumerate(figures):
                caption_label = QLabel(caption)
                caption_label.setAccessibleName(caption)
                caption_label.setEnabled(False)  # the disabled palette dims captions in any theme
                value = self._value_label(name, caption)
                # A stable width keeps the row from jiggling as the numbers change every second.
                value.setMinimumWidth(value.fontMetrics().horizontalAdvance(widest))
                grid.addWidget(caption_label, row, index * 2, Qt.AlignmentFlag.AlignRight)
                grid.addWidget(value, row, index * 2 + 1)
        grid.addWidget(self._value_label("tag", "measurement conditions"), 1, 6)
        grid.addWidget(self._value_label("memory", "model memory"), 2, 0, 1, 7)
        grid.addWidget(self._value_label("system", "system memory"), 3, 0, 1, 7)
        grid.setColumnStretch(6, 1)
        self.reset()
        self.set_model_memory(None)
        self._values["system"].setText(f"app RSS {DASH} · free RAM {DASH} · VRAM {DASH}")

    def _value_label(self, name: str, spoken: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setAccessibleName(spoken)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._values[name] = label
        return label

    def _show(self, **texts: str) -> None:
        for name, text in texts.items():
            self._values[name].setText(text)

    @Slot(object, object, int, float)
    def set_live(self, decode_tps: float | None, ttft_s: float | None, tokens: int, elapsed_s: float) -> None:
        """Figures of an answer still streaming; the rate is the sliding-window one."""
        self._show(
            decode=format_or_dash(decode_tps, ".1f", "tok/s"),
            ttft=format_or_dash(ttft_s, ".2f", "s"),
            tokens=str(tokens),
            elapsed=format_or_dash(elapsed_s, ".1f", "s"),
        )

    @Slot(object)
    def set_final(self, stats: GenerationStats) -> None:
        """Figures of a finished answer, with why it stopped and whether the other side ran too."""
        self._show(
            decode=format_or_dash(stats.decode_tps, ".1f", "tok/s"),
            ttft=format_or_dash(stats.ttft_s, ".2f", "s"),
            prompt=format_or_dash(stats.prompt_tps, ".0f", "tok/s"),
            tokens=str(stats.tokens),
            elapsed=format_or_dash(stats.elapsed_s, ".1f", "s"),
            stop=stats.stop_reason.value,
            tag="contended" if stats.contended else "isolated",
        )
        tag = self._values["tag"]
        # The rest of what the measurement records, for whoever wonders why a figure is off.
        details = [f"{stats.threads} threads", f"{stats.prompt_tokens} prompt tokens",
                   f"decode by {stats.decode_source}", f"prompt by {stats.prompt_source or 'nobody (not reported)'}"]
        if stats.first_after_load:
            details.append("first request after load")
        tag.setToolTip(", ".join(details))
        self._values["stop"].setToolTip(stats.error or "")
        self._values["decode"].setToolTip(f"by {stats.decode_source}")

    @Slot(object)
    def set_model_memory(self, mem: SideMemory | None) -> None:
        """What the loaded model holds; None before a load."""
        weights = format_bytes(mem.weights_bytes if mem else None)
        context = format_bytes(mem.context_bytes if mem else None)
        self._show(memory=f"weights {weights} + context {context}")

    def set_served_memory(self) -> None:
        """A served model's memory is the server's: nothing here measures it."""
        self._show(memory="memory: on the server, not measured here")

    @Slot(object)
    def set_system_memory(self, mem: SystemMemory) -> None:
        """The app's and the machine's memory."""
        self._show(
            system=(
                f"app RSS {format_bytes(mem.process_rss_bytes)} · "
                f"free RAM {format_bytes(mem.free_ram_bytes)} · VRAM {format_bytes(mem.vram_bytes)}"
            )
        )

    @Slot()
    def reset(self) -> None:
        """Clear the answer's figures; memory stays, since it belongs to the loaded model."""
        for name in ("decode", "ttft", "prompt", "tokens", "elapsed", "stop"):
            self._values[name].setText(DASH)
        # The tag qualifies a finished answer; with none, it says nothing rather than "—".
        self._values["tag"].clear()
        for name in ("stop", "tag"):
            self._values[name].setToolTip("")
