"""Sampling and load settings, shared by both sides or set per side, and the round mode."""

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.core.cpu import REPACK_AUTOMATIC, REPACK_OFF
from gui.core.params import DEFAULT_RUNS, LoadParams, SamplingParams

_MODES = (
    ("Race (both at once, split cores)", "parallel"),
    ("Sequential (left, then right)", "sequential"),
    ("Measure (each alone, warm-up, N runs)", "measure"),
)


def _label_spin(box: QAbstractSpinBox, name: str, tip: str) -> None:
    # Without this, typing "4096" would report 4, 40, 409 and 4096: four reloads for one context size.
    box.setKeyboardTracking(False)
    box.setAccessibleName(name)
    box.setToolTip(tip)


def _int_spin(name: str, low: int, high: int, tip: str, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    _label_spin(box, name, tip)
    return box


def _float_spin(name: str, low: float, high: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(2)
    box.setSingleStep(0.05)
    _label_spin(box, name, tip)
    return box


class SideEditor(QWidget):
    """The fields of one set of settings: sampling, then what a load needs."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setAccessibleName("System prompt")
        self.system_prompt.setPlaceholderText("Optional instructions sent before each conversation")
        self.system_prompt.setTabChangesFocus(True)
        lines = self.system_prompt.fontMetrics().lineSpacing() * 3
        self.system_prompt.setFixedHeight(lines + 2 * (self.system_prompt.frameWidth() + 4))
        self.temperature = _float_spin("Temperature", 0.0, 2.0, "0 is greedy: the most likely token every time")
        self.top_p = _float_spin("Top-p", 0.0, 1.0, "Sample from the smallest set of tokens whose probability reaches p")
        self.top_k = _int_spin("Top-k", 0, 1000, "Sample from the k most likely tokens; 0 turns it off")
        self.repeat_penalty = _float_spin("Repeat penalty", 0.5, 2.0, "Above 1 discourages repeating recent tokens")
        self.max_tokens = _int_spin("Max tokens", 1, 131072, "Stop the answer after this many tokens", step=64)
        self.seed = _int_spin("Seed", 0, 2**31 - 1, "The same seed on both sides keeps a round fair")
        self.n_ctx = _int_spin("Context size", 128, 1048576, "Tokens the model can see; applies at the next load", step=512)
        self.n_threads = _int_spin("Threads", 0, 256, "CPU threads per side; auto shares the cores between the sides")
        self.n_threads.setSpecialValueText("auto")
        self.n_gpu_layers = _int_spin("GPU layers", -1, 999, "Layers offloaded to the GPU; applies at the next load")
        self.n_gpu_layers.setSpecialValueText("all")
        self.weight_repack = QComboBox()
        self.weight_repack.addItem("automatic", REPACK_AUTOMATIC)
        self.weight_repack.addItem("off", REPACK_OFF)
        self.weight_repack.setAccessibleName("CPU weight repacking")
        self.weight_repack.setToolTip(
            "automatic: the engine repacks weights for this CPU's vector units where that is safe (never on CPUs "
            "with AMX, whose kernels crash); off: weights stay as laid out in the file, the way out of the next "
            "such bug. Applies at the next load"
        )

        sampling = QGroupBox("Sampling")
        form = QFormLayout(sampling)
        # Full width, label above: a prompt squeezed into the field column is unreadable in a narrow dock.
        prompt_label = QLabel("System prompt")
        prompt_label.setBuddy(self.system_prompt)
        form.addRow(prompt_label)
        form.addRow(self.system_prompt)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        form.addRow("Top-k", self.top_k)
        form.addRow("Repeat penalty", self.repeat_penalty)
        form.addRow("Max tokens", self.max_tokens)
        form.addRow("Seed", self.seed)
        loading = QGroupBox("Loading")
        form = QFormLayout(loading)
        form.addRow("Context size", self.n_ctx)
        form.addRow("Threads", self.n_threads)
        form.addRow("GPU layers", self.n_gpu_layers)
        form.addRow("CPU weight repacking", self.weight_repack)
        layout = QVBoxLayout(self)
        layout.addWidget(sampling)
        layout.addWidget(loading)
        layout.addStretch(1)

        self.system_prompt.textChanged.connect(self.edited)
        spins = (self.temperature, self.top_p, self.top_k, self.repeat_penalty, self.max_tokens, self.seed)
        for box in spins + (self.n_ctx, self.n_threads, self.n_gpu_layers):
            box.valueChanged.connect(self.edited)
        self.weight_repack.currentIndexChanged.connect(self.edited)
        self.set_values(SamplingParams(), LoadParams())

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            system_prompt=self.system_prompt.toPlainText(),
            temperature=self.temperature.value(),
            top_p=self.top_p.value(),
            top_k=self.top_k.value(),
            repeat_penalty=self.repeat_penalty.value(),
            max_tokens=self.max_tokens.value(),
            seed=self.seed.value(),
        )

    def load_params(self) -> LoadParams:
        return LoadParams(
            n_ctx=self.n_ctx.value(), n_threads=self.n_threads.value(), n_gpu_layers=self.n_gpu_layers.value(),
            weight_repack=self.weight_repack.currentData(),
        )

    def set_values(self, sampling: SamplingParams, load: LoadParams) -> None:
        """Show these values; emits edited for every field that changes."""
        if self.system_prompt.toPlainText() != sampling.system_prompt:
            self.system_prompt.setPlainText(sampling.system_prompt)
        self.temperature.setValue(sampling.temperature)
        self.top_p.setValue(sampling.top_p)
        self.top_k.setValue(sampling.top_k)
        self.repeat_penalty.setValue(sampling.repeat_penalty)
        self.max_tokens.setValue(sampling.max_tokens)
        self.seed.setValue(sampling.seed)
        self.n_ctx.setValue(load.n_ctx)
        self.n_threads.setValue(load.n_threads)
        self.n_gpu_layers.setValue(load.n_gpu_layers)
        # A value this version does not know (a hand-edited settings file) falls back to automatic.
        self.weight_repack.setCurrentIndex(max(0, self.weight_repack.findData(load.weight_repack)))


class SettingsPanel(QWidget):
    """One set of settings for both sides, or one per side when "Same settings" is off.

    Signals:
        changed(): a setting changed (by the user, the mode, the sharing box or set_values).
        loadSettingsChanged(int): the context size, GPU layers or CPU weight repacking of that
            side (0 left, 1 right) changed, so its model needs a reload to honour them.
    """

    changed = Signal()
    loadSettingsChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._mode = QComboBox()
        for text, mode in _MODES:
            self._mode.addItem(text, mode)
        self._mode.setObjectName("roundMode")
        self._mode.setAccessibleName("Round mode")
        self._mode.setToolTip(
            "Race: both stream at once, each on its share of the cores (timings tagged contended). "
            "Measure: each model alone on all cores, a warm-up, then N runs in alternating order (isolated)."
        )
        self.runs = QSpinBox()
        self.runs.setRange(1, 20)
        self.runs.setValue(DEFAULT_RUNS)
        self.runs.setAccessibleName("Measured runs")
        self.runs.setToolTip("How many times Measure runs each model on a message (after one warm-up)")
        self.same = QCheckBox("Same settings for both sides")
        self.same.setChecked(True)
        self.same.setAccessibleName("Same settings for both sides")
        # In shared mode the left editor stands for both sides and the tab bar is hidden.
        self._editors = (SideEditor(), SideEditor())
        self.tabs = QTabWidget()
        self.tabs.addTab(self._editors[0], "Left")
        self.tabs.addTab(self._editors[1], "Right")
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Settings per side")
        self.tabs.tabBar().setAccessibleName("Side whose settings are shown")

        mode_form = QFormLayout()
        mode_form.addRow("Run", self._mode)
        mode_form.addRow("Measured runs", self.runs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(mode_form)
        layout.addWidget(self.same)
        layout.addWidget(self.tabs, 1)

        self._reload_keys = [self._reload_key(0), self._reload_key(1)]
        self._mode.currentIndexChanged.connect(self.changed)
        self.same.toggled.connect(self._on_same_toggled)
        for editor in self._editors:
            editor.edited.connect(self._on_edited)
        self._show_sharing()

    def _shared(self) -> bool:
        return self.same.isChecked()

    def _editor(self, side: int) -> SideEditor:
        return self._editors[0 if self._shared() else side]

    def _reload_key(self, side: int) -> tuple[int, int, str]:
        load = self._editor(side).load_params()
        return load.n_ctx, load.n_gpu_layers, load.weight_repack

    def _show_sharing(self) -> None:
        self.tabs.tabBar().setVisible(not self._shared())
        # A tab widget hands its focus to its tab bar: with the bar hidden, Tab would stop there for good.
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus if self._shared() else Qt.FocusPolicy.TabFocus)
        self.tabs.setTabEnabled(1, not self._shared())
        if self._shared():
            self.tabs.setCurrentIndex(0)

    def _check_reloads(self) -> None:
        for side in (0, 1):
            key = self._reload_key(side)
            if key != self._reload_keys[side]:
                self._reload_keys[side] = key
                self.loadSettingsChanged.emit(side)

    @Slot()
    def _on_edited(self) -> None:
        self._check_reloads()
        self.changed.emit()

    @Slot(bool)
    def _on_same_toggled(self, shared: bool) -> None:
        if not shared:
            # Per-side editing starts from the shared values, so nothing changes until edited.
            left, right = self._editors
            with QSignalBlocker(right):
                right.set_values(left.sampling(), left.load_params())
        self._show_sharing()
        self._on_edited()

    def sampling(self, side: int) -> SamplingParams:
        """The sampling settings of a side (0 left, 1 right)."""
        return self._editor(side).sampling()

    def load_params(self, side: int) -> LoadParams:
        """The load settings of a side; chat_format stays None (each pane picks its own)."""
        return self._editor(side).load_params()

    def mode(self) -> str:
        """The round mode: "parallel" (Race), "sequential" or "measure"."""
        return self._mode.currentData()

    def measure_runs(self) -> int:
        """Measured runs per model in Measure mode."""
        return self.runs.value()

    def set_mode(self, mode: str) -> None:
        """Select "parallel", "sequential" or "measure"."""
        index = self._mode.findData(mode)
        if index < 0:
            raise ValueError(f"unknown round mode {mode!r}")
        self._mode.setCurrentIndex(index)

    def shared(self) -> bool:
        """Whether one set of settings stands for both sides."""
        return self._shared()

    def set_measure_runs(self, runs: int) -> None:
        self.runs.setValue(runs)

    def set_sides(self, shared: bool, sides: list[tuple[SamplingParams, LoadParams]]) -> None:
        """Share the first (sampling, load) pair, or give each side its own; emits as set_values does."""
        if shared:
            self.same.setChecked(True)
            self.set_values(*sides[0])
            return
        with QSignalBlocker(self.same):
            self.same.setChecked(False)
        for editor, (sampling, load) in zip(self._editors, sides):
            with QSignalBlocker(editor):
                editor.set_values(sampling, load)
        self._show_sharing()
        self._on_edited()

    def turn_weight_repacking_off(self) -> None:
        """The safe way to load after a crash in llama.cpp: no repacked weights on either side; emits as set_values does."""
        for editor in self._editors:
            with QSignalBlocker(editor):
                editor.weight_repack.setCurrentIndex(editor.weight_repack.findData(REPACK_OFF))
        self._on_edited()

    def set_values(self, sampling: SamplingParams, load: LoadParams) -> None:
        """Give both sides these values (chat_format is ignored).

        Emits changed once, and loadSettingsChanged for each side whose load values moved,
        rather than once per field.
        """
        for editor in self._editors:
            with QSignalBlocker(editor):
                editor.set_values(sampling, load)
        self._on_edited()
