"""What the window remembers between runs, in the data directory: pair, settings, modes, layout, recent files."""

import dataclasses
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QLayout

from gui.core.pace import BLIND_PACES
from gui.core.params import LoadParams, SamplingParams
from gui.core.sources import is_served
from gui.widgets.main_window import MainWindow

log = logging.getLogger("gui")

SETTINGS_FILE = "settings.ini"
_SIDES = ("left", "right")


def settings_in(data: Path) -> QSettings:
    """The settings file in the data directory: like the results, nothing is written anywhere else."""
    return QSettings(str(data / SETTINGS_FILE), QSettings.Format.IniFormat)


def _json(settings: QSettings, key: str, default):
    """A JSON value stored under `key`, or `default` when it is missing or unreadable (a hand-edited file)."""
    text = settings.value(key)
    if not isinstance(text, str):
        return default
    try:
        return json.loads(text)
    except ValueError:
        log.warning("settings: ignored an unreadable %s in %s", key, settings.fileName())
        return default


def _params(cls, stored):
    """`cls` from stored fields, keeping the default for a field that is missing or of the wrong type."""
    if not isinstance(stored, dict):
        return cls()
    defaults, values = cls(), {}
    for field in dataclasses.fields(cls):
        value, default = stored.get(field.name), getattr(defaults, field.name)
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is type(default):
            values[field.name] = value
    return cls(**values)


def save_window(settings: QSettings, window: MainWindow, pair: tuple[str | None, str | None]) -> None:
    """Remember the pair of files (not which sat Left: blind mode draws that anew), the settings, modes and layout."""
    settings.setValue("models/pair", json.dumps(list(pair)))
    panel = window.settings
    settings.setValue("settings/shared", panel.shared())
    for slot, side in enumerate(_SIDES):
        stored = {"sampling": dataclasses.asdict(panel.sampling(slot)),
                  "load": dataclasses.asdict(panel.load_params(slot))}
        stored["load"].pop("chat_format")  # each pane picks its own format for its file
        settings.setValue(f"settings/{side}", json.dumps(stored))
    settings.setValue("timing/mode", panel.mode())
    settings.setValue("timing/runs", panel.measure_runs())
    settings.setValue("view/blind", window.blind_action.isChecked())
    settings.setValue("view/blind_pace", window.blind_pace())
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState())
    settings.setValue("window/panes", window.pane_splitter.saveState())
    settings.setValue("window/body", window.body_splitter.saveState())
    settings.setValue("recent/files", json.dumps(window.recent_files()))
    settings.sync()
    if settings.status() != QSettings.Status.NoError:
        log.warning("settings: could not write %s (%s)", settings.fileName(), settings.status().name)


def restore_window(settings: QSettings, window: MainWindow) -> None:
    """Give a new window what save_window stored; anything missing or unreadable keeps its default.

    Blind mode is set through its action, so whoever listens to blindModeToggled hears it.
    """
    panel = window.settings
    stored = [_json(settings, f"settings/{side}", {}) for side in _SIDES]
    sides = [(_params(SamplingParams, s.get("sampling") if isinstance(s, dict) else None),
              _params(LoadParams, s.get("load") if isinstance(s, dict) else None)) for s in stored]
    if any(stored):
        panel.set_sides(settings.value("settings/shared", True, type=bool), sides)
    mode = settings.value("timing/mode")
    if isinstance(mode, str):
        try:
            panel.set_mode(mode)
        except ValueError:
            log.warning("settings: ignored unknown round mode %r in %s", mode, settings.fileName())
    runs = settings.value("timing/runs")
    if runs is not None:
        try:
            panel.set_measure_runs(int(runs))
        except (TypeError, ValueError):
            log.warning("settings: ignored measured runs %r in %s", runs, settings.fileName())
    if settings.contains("view/blind"):
        window.blind_action.setChecked(settings.value("view/blind", True, type=bool))
    pace = settings.value("view/blind_pace")
    if pace in BLIND_PACES:
        window.set_blind_pace(pace)
    elif pace is not None:
        log.warning("settings: ignored unknown blind pace %r in %s", pace, settings.fileName())
    # Qt keeps the cached minimum of a layout whose widgets were hidden before the window was ever shown
    # (blind mode hides a dozen): the first show would then widen the window past the size restored here.
    for layout in window.findChildren(QLayout):
        layout.invalidate()
    for key, restore in (
        ("window/geometry", window.restoreGeometry),
        ("window/state", window.restoreState),
        ("window/panes", window.pane_splitter.restoreState),
        ("window/body", window.body_splitter.restoreState),
    ):
        value = settings.value(key)
        if isinstance(value, QByteArray):
            restore(value)
    recent = _json(settings, "recent/files", [])
    window.set_recent_files([path for path in recent if isinstance(path, str)] if isinstance(recent, list) else [])


def remembered_pair(settings: QSettings) -> tuple[str | None, str | None]:
    """The two files open when the app last closed; None for a side with none, or whose file is gone."""
    pair = _json(settings, "models/pair", [])
    if not isinstance(pair, list) or len(pair) != 2:
        return None, None
    first, second = (path if isinstance(path, str) and (is_served(path) or os.path.isfile(path)) else None
                     for path in pair)
    return first, second
