"""Settings remembered between runs: the pair, sampling and load settings, modes, layout and recent files."""

import os
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget

from fakes import FakeEngine
from gguf_files import write_gguf
from processes import child_report
from gui.controllers.arena import Arena
from gui.core.params import LoadParams, SamplingParams
from gui.core.store import Store
from gui.widgets.main_window import MAX_RECENT, MainWindow
from gui.widgets.remembered import SETTINGS_FILE, remembered_pair, restore_window, save_window, settings_in

LEFT = (
    SamplingParams(system_prompt="Answer in one line.", temperature=0.3, top_p=0.9, top_k=20, repeat_penalty=1.15,
                   max_tokens=512, seed=1234),
    LoadParams(n_ctx=4096, n_threads=2, n_gpu_layers=-1),
)
RIGHT = (SamplingParams(temperature=0.0, top_k=1, max_tokens=64, seed=7),
         LoadParams(n_ctx=1024, n_threads=1, weight_repack="off"))


@pytest.fixture
def new_window(qtbot):
    """A fresh main window, as after a restart."""

    def make() -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window)
        return window

    return make


@pytest.fixture
def files(tmp_path) -> list[str]:
    folder = tmp_path / "models"
    folder.mkdir()
    paths = [folder / f"model-{number:02}.gguf" for number in range(MAX_RECENT + 2)]
    for path in paths:
        path.write_bytes(b"GGUF")
    return [str(path) for path in paths]


def shown(qtbot, window: MainWindow) -> MainWindow:
    with qtbot.waitExposed(window):  # a context manager: called bare, it waits for nothing
        window.show()
    return window


def dock(window: MainWindow) -> QDockWidget:
    return window.findChild(QDockWidget, "settingsDock")


def test_a_new_window_gets_back_everything_the_last_one_had(qtbot, new_window, data_dir, files):
    first = shown(qtbot, new_window())
    first.settings.set_sides(False, [LEFT, RIGHT])
    first.settings.set_mode("measure")
    first.settings.set_measure_runs(5)
    # Blind, the window fits the offscreen screen (800×800): restoreGeometry shrinks what would not.
    first.resize(760, 640)
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock(first))
    first.pane_splitter.setSizes([250, 500])
    first.body_splitter.setSizes([420, 140])
    first.set_recent_files(files[:3])
    qtbot.waitUntil(lambda: first.size().width() == 760)
    sizes = first.pane_splitter.sizes(), first.body_splitter.sizes()
    save_window(settings_in(data_dir), first, (files[4], files[5]))
    first.close()

    second = new_window()
    restore_window(settings_in(data_dir), second)
    shown(qtbot, second)
    panel = second.settings
    assert not panel.shared()
    assert [(panel.sampling(side), panel.load_params(side)) for side in (0, 1)] == [LEFT, RIGHT]
    assert (panel.mode(), panel.measure_runs()) == ("measure", 5)
    assert (second.width(), second.height()) == (760, 640)
    assert second.dockWidgetArea(dock(second)) == Qt.DockWidgetArea.LeftDockWidgetArea
    qtbot.waitUntil(lambda: (second.pane_splitter.sizes(), second.body_splitter.sizes()) == sizes)
    assert second.recent_files() == files[:3]
    assert remembered_pair(settings_in(data_dir)) == (files[4], files[5])


def test_shared_settings_and_blind_mode_off_come_back(qtbot, new_window, data_dir):
    first = new_window()
    first.settings.set_values(*LEFT)
    first.blind_action.setChecked(False)
    save_window(settings_in(data_dir), first, (None, None))
    second = new_window()
    restore_window(settings_in(data_dir), second)
    assert second.settings.shared()
    assert [(second.settings.sampling(side), second.settings.load_params(side)) for side in (0, 1)] == [LEFT, LEFT]
    assert not second.blind_action.isChecked() and not second.chart.isHidden()


def test_a_first_start_keeps_the_defaults(new_window, data_dir):
    window = new_window()
    restore_window(settings_in(data_dir), window)
    assert window.blind_action.isChecked()
    assert window.settings.shared() and window.settings.mode() == "parallel"
    assert window.settings.sampling(0) == SamplingParams() and window.settings.load_params(1) == LoadParams()
    assert window.recent_files() == []
    assert remembered_pair(settings_in(data_dir)) == (None, None)


def test_settings_live_in_the_data_directory_only(new_window, data_dir, files):
    settings = settings_in(data_dir)
    save_window(settings, new_window(), (files[0], None))
    assert settings.fileName() == str(data_dir / SETTINGS_FILE)
    assert (data_dir / SETTINGS_FILE).is_file()
    assert remembered_pair(settings_in(data_dir)) == (files[0], None)


def test_a_missing_file_is_dropped_from_recent_files_and_from_the_pair(new_window, data_dir, files):
    first = new_window()
    first.set_recent_files(files[:3])
    save_window(settings_in(data_dir), first, (files[0], files[1]))
    os.remove(files[1])
    second = new_window()
    restore_window(settings_in(data_dir), second)
    assert second.recent_files() == [files[0], files[2]]
    assert remembered_pair(settings_in(data_dir)) == (files[0], None)


def test_recent_files_are_most_recent_first_without_repeats_and_at_most_ten(new_window, files):
    window = new_window()
    for path in files:
        window.add_recent_file(path)
    assert window.recent_files() == files[::-1][:MAX_RECENT]
    window.add_recent_file(files[5])
    assert window.recent_files()[:2] == [files[5], files[-1]]
    assert len(window.recent_files()) == MAX_RECENT == len(set(window.recent_files()))


def recent_actions(window: MainWindow, side: str) -> list[QAction]:
    side_menu = next(a.menu() for a in window.recent_menu.actions() if a.text().replace("&", "") == side)
    return side_menu.actions()


def test_blind_mode_hides_recent_files(qtbot, new_window, files):
    window = new_window()
    window.set_recent_files(files[:2])
    assert window.blind_action.isChecked()
    assert not window.recent_menu.menuAction().isVisible()
    # Not merely out of sight: no action anywhere in the window names a recent file.
    names = [os.path.basename(path) for path in files[:2]]
    texts = [action.text() + action.statusTip() for action in window.findChildren(QAction)]
    assert not [text for text in texts if any(name in text for name in names)]

    window.set_blind(False)
    assert window.recent_menu.menuAction().isVisible() and window.recent_menu.menuAction().isEnabled()
    for side in ("Left", "Right"):
        assert [a.text() for a in recent_actions(window, side)] == [f"&{n} {name}" for n, name in enumerate(names, 1)]
    with qtbot.waitSignal(window.right.fileChosen, timeout=1000) as blocker:
        with qtbot.assertNotEmitted(window.left.fileChosen):
            recent_actions(window, "Right")[1].trigger()
    assert blocker.args == [files[1]]


def test_a_recent_file_gone_since_the_menu_was_built_says_so_and_leaves_the_list(qtbot, new_window, files):
    window = new_window()
    window.set_blind(False)
    window.set_recent_files(files[:2])
    os.remove(files[0])
    with qtbot.assertNotEmitted(window.left.fileChosen, wait=50):
        recent_actions(window, "Left")[0].trigger()
    assert window.recent_files() == [files[1]]
    assert "model-00.gguf is no longer there" in window.status.currentMessage()


def test_an_empty_recent_list_is_offered_disabled(new_window):
    window = new_window()
    window.set_blind(False)
    assert window.recent_menu.menuAction().isVisible() and not window.recent_menu.menuAction().isEnabled()


def test_a_hand_edited_settings_file_with_nonsense_keeps_the_defaults(new_window, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / SETTINGS_FILE).write_text(textwrap.dedent("""\
        [settings]
        shared=false
        left="{\\"sampling\\": {\\"temperature\\": \\"hot\\", \\"top_k\\": 5}, \\"load\\": []}"
        right={not json
        [timing]
        mode=warp
        runs=lots
        [models]
        pair="[1, 2, 3]"
        [recent]
        files=42
        [window]
        geometry=garbage
        """))
    window = new_window()
    restore_window(settings_in(data_dir), window)
    # What could be read is kept (top-k 5 on the left); everything else is its default.
    assert window.settings.sampling(0) == SamplingParams(top_k=5)
    assert window.settings.sampling(1) == SamplingParams() and window.settings.load_params(0) == LoadParams()
    assert window.settings.mode() == "parallel" and window.settings.measure_runs() == 3
    assert window.recent_files() == []
    assert remembered_pair(settings_in(data_dir)) == (None, None)


# The arena and the app


def test_a_loaded_file_tops_recent_files_and_is_the_pair_to_remember(qtbot, event_loop, tmp_path, new_window):
    window = new_window()
    window.blind_action.setChecked(False)
    store = Store(tmp_path / "results.sqlite")
    arena = Arena(window, store, (FakeEngine(), FakeEngine()))
    try:
        tiny = str(write_gguf(tmp_path / "tiny.gguf"))
        assert not arena.choose_file(0, str(tmp_path))  # refused: a directory is no model
        with qtbot.waitSignal(arena.sides[1].loaded, timeout=5000):
            assert arena.choose_file(1, tiny)
        assert window.recent_files() == [tiny]
        assert arena.model_paths() == (None, tiny)
    finally:
        arena.shutdown()
        store.close()


CHILD = """
import json, sys
import gui.app
import gui.cli


async def report(arena, window, left, right):
    print(json.dumps({"left": left, "right": right, "mode": window.settings.mode(),
                      "blind": window.blind_action.isChecked(), "recent": window.recent_files()}))


gui.app.run_window = report  # what the app would load and show, then quit at once
sys.exit(gui.cli.main(sys.argv[1:]))
"""


def run_app(*args: str) -> dict:
    """Start the app in a child process (the one event loop it makes is its own); what it would show."""
    return child_report(CHILD, *args)


def test_the_app_starts_from_what_it_remembers_where_the_command_line_says_nothing(new_window, data_dir, files):
    last = new_window()
    last.settings.set_mode("measure")
    last.blind_action.setChecked(False)
    last.set_recent_files(files[:2])
    save_window(settings_in(data_dir), last, (files[0], files[1]))

    started = run_app("--right", files[7], "--mode", "sequential")
    assert started == {"left": files[0], "right": files[7], "mode": "sequential", "blind": False, "recent": files[:2]}
    # What the run ended with is remembered for the next one: the mode from the command line included.
    restored = new_window()
    restore_window(settings_in(data_dir), restored)
    assert restored.settings.mode() == "sequential" and not restored.blind_action.isChecked()
