"""The results windows and files with a real store: leaderboard, history masking, import, export."""

import asyncio
import dataclasses
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from fakes import FakeEngine
from gguf_files import write_gguf
from gui.controllers.arena import Arena
from gui.core.history import HistoryRow
from gui.core.store import Store, StoreError
from gui.core.votes import Outcome, Vote
from gui.core.votes_io import read_votes_jsonl
from core.test_quant_record import Q4, comparison
from gui.core.records import vote_on
from gui.controllers import results as results_module
from gui.controllers.results import HIDDEN, NOT_YET_YOURS, LatestOnly, Results
from gui.widgets.charts_window import ChartImage
from gui.widgets.main_window import MainWindow
from gui.widgets.charts import CHARTS
from seeded_rounds import store_seeded_rounds
from seeded_votes import SHAPES, seeded_votes
from test_rating_queue_window import a_round

BEFORE = json.loads((Path(__file__).parent / "fixtures" / "leaderboard_before.json").read_text())


@pytest.fixture
def setup(qtbot, event_loop, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    store = Store(tmp_path / "results.sqlite")
    arena = Arena(window, store, [FakeEngine([["x"]] * 5), FakeEngine([["y"]] * 5)], rng=random.Random(1))
    arena.rater = "ann"
    paths = [write_gguf(tmp_path / name) for name in ("One-1B.Q4_0.gguf", "Two-2B.Q4_0.gguf")]
    with qtbot.waitSignals([side.loaded for side in arena.sides], timeout=5000):
        arena.load_pair(*map(str, paths))
    results = Results(window, arena, store, tmp_path / "chosen")
    yield window, arena, store, results
    for view in (results.leaderboard, results.history, results.charts):
        view.close()
    arena.shutdown()
    store.close()


def history_texts(results, row: int = 0) -> set:
    """The texts of a row the history window shows."""
    model = results.history.rounds
    return {model.index(row, column).data() for column in range(model.columnCount())}


def settle(event_loop, view) -> None:
    """Run the loop until the history window's rows answer its search and sort."""
    async def current():
        while not view.status.isHidden():
            await asyncio.sleep(0.01)

    event_loop.run_until_complete(asyncio.wait_for(current(), 10))


def test_history_hides_the_models_of_the_round_awaiting_its_vote(setup, event_loop):
    window, arena, store, results = setup
    event_loop.run_until_complete(arena.send("first"))
    event_loop.run_until_complete(results.show_history())
    assert HIDDEN in history_texts(results)
    results.history.search.setText("one-1b")
    settle(event_loop, results.history)
    assert results.history.count.text() == "0 of 1 rounds"  # nor does the search find them
    arena.cast_vote("left", 2, 1, "")
    results.history.search.setText("One-1B")  # the rows read while blind are not searched again
    settle(event_loop, results.history)
    texts = history_texts(results)
    assert HIDDEN not in texts and {"One-1B.Q4_0", "Two-2B.Q4_0"} <= texts
    assert results.history.count.text() == "1 of 1 rounds"


def test_history_hides_another_raters_vote_until_this_rater_has_rated_the_round(setup, event_loop):
    window, arena, store, results = setup
    event_loop.run_until_complete(arena.send("first"))
    arena.cast_vote("left", 2, 1, "")  # ann's
    arena.rater = "ben"

    def row_texts():
        event_loop.run_until_complete(results.show_history())
        return history_texts(results)

    assert NOT_YET_YOURS in row_texts() and "ann" not in row_texts()
    results.history.search.setText("ann")
    settle(event_loop, results.history)
    assert results.history.count.text() == "0 of 1 rounds"
    results.history.search.clear()
    (record,) = store.rounds()
    store.add_vote(vote_on(record, "right", "ben", 1, 2, ""))
    assert NOT_YET_YOURS not in row_texts() and "ben" in row_texts()


def test_a_search_after_switching_rater_does_not_search_the_rows_read_for_the_earlier_one(setup, event_loop):
    window, arena, store, results = setup
    event_loop.run_until_complete(arena.send("first"))
    arena.cast_vote("left", 2, 1, "")
    event_loop.run_until_complete(results.show_history())
    assert "ann" in history_texts(results)
    arena.rater = "ben"
    results.history.search.setText("first")
    settle(event_loop, results.history)
    assert NOT_YET_YOURS in history_texts(results) and "ann" not in history_texts(results)


def test_history_lists_seeded_rounds_read_on_the_results_thread_newest_first_with_leak_marks(
        setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    store_seeded_rounds(store, 300)
    readers = []
    seen_history = results_module.seen_history
    monkeypatch.setattr(results_module, "seen_history",
                        lambda *args: (readers.append(threading.current_thread().name), seen_history(*args))[1])
    task = results.show_history()
    view = results.history
    assert view.status.text() == "Reading 300 rounds…" and not view.table.isEnabled()
    event_loop.run_until_complete(task)
    assert view.count.text() == "300 of 300 rounds" and view.table.isEnabled() and view.status.isHidden()
    assert [name.startswith("results") for name in readers] == [True]
    assert "2026-01-01T00:00:00.000299+00:00" in history_texts(results, 0)  # r299, the newest
    leaked = [row for row in range(view.rounds.rowCount()) if "⚠" in history_texts(results, row)]
    assert len(leaked) == 4  # r1, r101, r151, r251: one in fifty, where voted on
    tip = view.rounds.index(leaked[0], 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "an answer named its own model"


def test_a_newer_history_search_supersedes_an_older_one(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    store_seeded_rounds(store, 300)
    event_loop.run_until_complete(results.show_history())
    view = results.history
    answered = []
    show_rows = view.show_rows
    monkeypatch.setattr(view, "show_rows", lambda rows, total, query: (answered.append(query),
                                                                       show_rows(rows, total, query))[1])
    view.search.blockSignals(True)  # no pause for typing: both searches are asked for at once
    for text in ("m1", "m2"):
        view.search.setText(text)
        view.queryChanged.emit()
    view.search.blockSignals(False)
    event_loop.run_until_complete(asyncio.wait_for(until(lambda: answered), 10))
    assert [query[0] for query in answered] == ["m2"]
    holding_m2 = sum("m2" in (row.left_model, row.right_model) for row in map(HistoryRow._make, store.history()))
    assert view.count.text() == f"{holding_m2} of 300 rounds" and view.table.isEnabled()
    assert all({"m2"} & history_texts(results, row) for row in range(view.rounds.rowCount()))


async def until(condition) -> None:
    """Wait on the loop until `condition()` holds."""
    while not condition():
        await asyncio.sleep(0.01)


def test_history_sorts_by_a_column_on_the_results_thread(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    store_seeded_rounds(store, 30)
    arena.rater = "cy"
    event_loop.run_until_complete(results.show_history())
    view = results.history
    rater = [view.rounds.headerData(c, Qt.Orientation.Horizontal) for c in range(8)].index("Rater")
    view.table.sortByColumn(rater, Qt.SortOrder.AscendingOrder)
    assert view.status.text().startswith("Sorting by Rater…") and not view.table.isEnabled()
    settle(event_loop, view)
    raters = [view.rounds.index(row, rater).data() for row in range(view.rounds.rowCount())]
    assert raters == sorted(raters) and raters[0] == "" and raters[-1] == "cy"


def test_a_history_that_cannot_be_read_says_why(setup, event_loop, monkeypatch):
    window, arena, store, results = setup

    def unreadable(path):
        raise StoreError(f"The results database {path} cannot be opened (file is not a database). Move it aside.")

    monkeypatch.setattr("gui.controllers.results.Store", unreadable)  # as the worker opens its own connection
    event_loop.run_until_complete(results.show_history())
    view = results.history
    assert view.status.text() == (f"The results database {store.path} cannot be opened (file is not a database). "
                                  "Move it aside.")
    assert view.progress.isHidden() and not view.table.isEnabled()


def test_a_follow_up_after_the_reveal_starts_a_new_blind_chat(setup, event_loop):
    window, arena, store, results = setup
    event_loop.run_until_complete(arena.send("first"))
    first_chat = arena.chat_id
    arena.cast_vote("right", None, None, "")
    window.sendRequested.emit("second")
    assert arena.chat_id != first_chat and "new blind chat" in window.statusBar().currentMessage()
    event_loop.run_until_complete(arena.round_task)
    assert arena.pending is not None and arena.pending.chat_id == arena.chat_id


def test_import_merges_fastchat_votes_once_and_the_leaderboard_shows_them(setup, event_loop, tmp_path):
    window, arena, store, results = setup
    battles = tmp_path / "battles.jsonl"
    lines = [{"question_id": i, "model_a": "m1", "model_b": "m2", "winner": w}
             for i, w in enumerate(["model_a", "model_a", "model_b", "tie", "tie (bothbad)"])]
    battles.write_text("\n".join(json.dumps(line) for line in lines))
    assert event_loop.run_until_complete(results.import_file(str(battles))) == (5, 5)
    assert event_loop.run_until_complete(results.import_file(str(battles))) == (0, 5)
    assert window.statusBar().currentMessage() == "Imported 0 new votes from battles.jsonl (5 already there)."
    event_loop.run_until_complete(results.show_leaderboard())
    table = results.leaderboard.standings
    assert {table.item(r, 1).text() for r in range(table.rowCount())} == {"m1", "m2"}


def test_export_writes_every_vote(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    event_loop.run_until_complete(arena.send("q"))
    arena.cast_vote("tie", None, None, "close call")
    out = tmp_path / "votes.jsonl"
    monkeypatch.setattr("gui.controllers.results.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    task = results.export_votes()
    assert not window.export_action.isEnabled() and not window.import_action.isEnabled()
    assert window.statusBar().currentMessage() == f"Exporting votes to {out}…"
    assert event_loop.run_until_complete(task) == 1
    assert [v.comment for v in read_votes_jsonl(out)] == ["close call"]
    assert window.export_action.isEnabled() and window.import_action.isEnabled()


def test_the_results_windows_do_not_keep_the_app_open(setup):
    window, arena, store, results = setup
    assert not results.leaderboard.testAttribute(Qt.WidgetAttribute.WA_QuitOnClose)
    assert not results.history.testAttribute(Qt.WidgetAttribute.WA_QuitOnClose)


def test_a_csv_export_imports_back_into_another_store(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    event_loop.run_until_complete(arena.send("q"))
    arena.cast_vote("right", 1, 3, "")
    out = tmp_path / "votes.csv"
    monkeypatch.setattr("gui.controllers.results.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    event_loop.run_until_complete(results.export_votes())
    other = Results(window, arena, Store(tmp_path / "other.sqlite"), tmp_path / "chosen")
    assert event_loop.run_until_complete(other.import_file(str(out))) == (1, 1)
    assert other.store.votes() == store.votes()
    other.store.close()


def test_charts_and_a_saved_report_cover_the_rounds_and_votes(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    for _ in range(2):
        event_loop.run_until_complete(arena.send("a question"))
        arena.cast_vote("left", 3, 1, "")
        arena.new_chat()
    event_loop.run_until_complete(results.show_charts())
    titles = [results.charts.tabs.tabText(i) for i in range(results.charts.tabs.count())]
    assert len(titles) == 7 and results.charts.isVisible() and results.charts.tabs.isEnabled()
    assert isinstance(results.charts.tabs.widget(0), ChartImage)  # drawn on the results thread
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.information", lambda *args: None)
    page = event_loop.run_until_complete(results.save_report())
    # The data directory the app was given (--data-dir), not the environment's default.
    assert page.parent.parent == tmp_path / "chosen" / "reports" and page.name == "report.html"
    html = page.read_text()
    assert "One-1B.Q4_0" in html and "Two-2B.Q4_0" in html
    assert sorted(p.name for p in (page.parent / "charts").iterdir())
    assert str(page) in window.statusBar().currentMessage()
    assert 'id="quantizations"' not in html  # none compared yet


def test_the_charts_and_a_saved_report_have_the_quantizations_compared(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    event_loop.run_until_complete(results.show_charts())
    assert "Quantizations" not in [results.charts.tabs.tabText(i) for i in range(results.charts.tabs.count())]
    store.add_quant_comparison(comparison(Q4, 0.05, "2026-01-02T10:00:00"))
    event_loop.run_until_complete(results.show_charts())
    tabs = [results.charts.tabs.tabText(i) for i in range(results.charts.tabs.count())]
    assert tabs[-1] == "Quantizations" and isinstance(results.charts.tabs.widget(len(tabs) - 1), ChartImage)
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.information", lambda *args: None)
    page = event_loop.run_until_complete(results.save_report())
    assert 'id="quantizations"' in page.read_text() and (page.parent / "charts" / "quant_pareto.png").is_file()


def test_the_leaderboard_shows_check_pass_rates_of_stored_rounds(setup, event_loop):
    window, arena, store, results = setup
    failing = [{"kind": "json", "passed": False, "detail": "no JSON"}]
    store.add_round(dataclasses.replace(a_round(1), right_checks=failing))
    event_loop.run_until_complete(results.show_leaderboard())
    text = results.leaderboard.summary.text()
    assert "Checks passed by Alphamodel-7B.Q5_K_M: 1 of 1 (100%) — math 1/1" in text
    assert "Checks passed by Betamodel-3B.Q8_0: 0 of 1 (0%) — math 0/1" in text


def test_a_report_that_cannot_be_written_says_where_and_what_to_do(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    warnings = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *args: warnings.append(args[2]))
    stuck = Results(window, arena, store, blocked)
    try:
        assert event_loop.run_until_complete(stuck.save_report()) is None
        status = stuck.charts.status.text()
    finally:
        for view in (stuck.leaderboard, stuck.history, stuck.charts):
            view.close()
    (message,) = warnings
    assert message.startswith(f"Could not write the report to {blocked}")
    assert message.endswith(f"Free some disk space or make {blocked} writable, then save the report again.")
    assert status.startswith(message) and stuck.charts.save_button.isEnabled()


def test_an_export_that_cannot_be_written_says_what_to_do(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    out = tmp_path / "gone" / "votes.jsonl"
    monkeypatch.setattr("gui.controllers.results.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    warnings = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *args: warnings.append(args[2]))
    assert event_loop.run_until_complete(results.export_votes()) is None
    (message,) = warnings
    assert message.startswith(f"Could not write {out}: No such file or directory.")
    assert message.endswith("Choose another folder or file name, then export again.") and not out.exists()
    assert window.statusBar().currentMessage() == message and window.export_action.isEnabled()


def shown_boards(results, monkeypatch) -> list:
    """Every board the leaderboard window is given to show, from now on."""
    shown = []
    show_board = results.leaderboard.show_board
    monkeypatch.setattr(results.leaderboard, "show_board", lambda *figures: (shown.append(figures), show_board(*figures)))
    return shown


def test_the_leaderboard_of_a_seeded_store_matches_the_saved_figures(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    shape = "eight_models_3000_votes"
    store.add_votes(seeded_votes(*SHAPES[shape]))
    shown = shown_boards(results, monkeypatch)
    event_loop.run_until_complete(results.show_leaderboard())
    ((rows, _lines, _rubric, _chart),) = shown
    assert [row["model"] for row in rows] == [row["model"] for row in BEFORE[shape]]
    assert [row["rating"] for row in rows] == pytest.approx([row["rating"] for row in BEFORE[shape]], abs=0.01)
    table = results.leaderboard.standings
    assert [table.item(r, 2).text() for r in range(table.rowCount())] == [f"{row['rating']:.0f}" for row in rows]
    assert results.leaderboard.standings.isEnabled() and not results.leaderboard.status.isVisible()


def test_a_long_computation_stops_on_cancel_and_marks_earlier_figures_as_not_current(
        setup, event_loop, qtbot, monkeypatch):
    window, arena, store, results = setup
    store.add_votes(seeded_votes(*SHAPES["eight_models_3000_votes"]))
    event_loop.run_until_complete(results.show_leaderboard())
    results.bootstrap_rounds = 10**7  # hours of resampling, unless the stop flag is polled
    shown = shown_boards(results, monkeypatch)
    task = results.show_leaderboard()
    view = results.leaderboard
    assert "Computing ratings from 3,000 votes…" in view.status.text() and "not current" in view.status.text()
    assert not view.standings.isEnabled()
    event_loop.run_until_complete(asyncio.sleep(0.3))  # the worker is resampling by now
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    event_loop.run_until_complete(asyncio.wait_for(task, 5))
    # The worker is free again within a block of resamples, not hours later.
    event_loop.run_until_complete(asyncio.wait_for(asyncio.get_event_loop().run_in_executor(results._worker, int), 5))
    assert shown == [] and not view.standings.isEnabled()
    assert view.status.text().startswith("Cancelled. The figures below are from before, not current.")
    assert not view.cancel_button.isVisible()


def test_a_second_request_supersedes_the_first(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    leaked = [Vote(f"x{i}", "m1", "m0", Outcome.LEFT, identity_leak=True) for i in range(200)]
    store.add_votes(seeded_votes(*SHAPES["three_models_30_votes"]) + leaked)
    shown = shown_boards(results, monkeypatch)
    first = results.show_leaderboard()
    results.leaderboard.include_leaks.setChecked(True)  # a second computation, with other figures
    event_loop.run_until_complete(asyncio.wait_for(asyncio.gather(first, *asyncio.all_tasks(event_loop) - {first}), 30))
    ((rows, _lines, _rubric, _chart),) = shown
    assert rows[0]["model"] == "m1" and rows[0]["votes"] == 218  # the leaked votes count: the second request


def test_a_result_that_ends_after_a_newer_request_is_dropped(event_loop):
    job = LatestOnly(ThreadPoolExecutor(1))
    ignoring_the_stop_flag = [asyncio.ensure_future(job.run(lambda _should_stop, n=n: n)) for n in (1, 2)]
    assert event_loop.run_until_complete(asyncio.gather(*ignoring_the_stop_flag)) == [None, 2]


def test_charts_of_a_large_store_stop_on_cancel_and_earlier_ones_are_marked_not_current(
        setup, event_loop, qtbot, monkeypatch):
    window, arena, store, results = setup
    store.add_votes(seeded_votes(*SHAPES["eight_models_3000_votes"]))
    event_loop.run_until_complete(results.show_charts())
    drawn = []
    monkeypatch.setattr(results.charts, "show_charts", drawn.append)
    # Each chart waits for the stop flag: without Cancel, drawing them would never end.
    monkeypatch.setattr("gui.widgets.charts_window.CHARTS", [(name, title, lambda data: _waiting_for_cancel(results))
                                                              for name, title, _ in CHARTS])
    task = results.show_charts()
    view = results.charts
    assert view.status.text() == ("Drawing the charts from 0 rounds and 3,000 votes… "
                                  "The charts below are from before, not current.")
    assert not view.tabs.isEnabled() and not view.save_button.isEnabled()
    event_loop.run_until_complete(asyncio.sleep(0.3))
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    event_loop.run_until_complete(asyncio.wait_for(task, 5))
    assert drawn == [] and not view.tabs.isEnabled() and view.save_button.isEnabled()
    assert view.status.text().startswith("Cancelled.") and view.status.text().endswith("not current.")


def _waiting_for_cancel(results) -> None:
    """A chart that is never drawn: it waits until the charts job is cancelled, then says it has no data."""
    while not results._charts_job._stop.wait(0.01):
        pass


def test_a_report_asked_for_while_charts_are_drawn_supersedes_them(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    store.add_votes(seeded_votes(*SHAPES["three_models_30_votes"]))
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.information", lambda *args: None)
    drawn = []
    show_charts = results.charts.show_charts
    monkeypatch.setattr(results.charts, "show_charts", lambda charts: (drawn.append(charts), show_charts(charts)))
    first = results.show_charts()
    second = results.save_report()
    charts_done, page = event_loop.run_until_complete(asyncio.wait_for(asyncio.gather(first, second), 30))
    assert charts_done is None and page.name == "report.html" and len(drawn) == 1
    assert results.charts.status.text() == f"Report saved: {page}" and results.charts.tabs.isEnabled()


def test_charts_of_a_store_that_cannot_be_read_say_why(setup, event_loop, monkeypatch):
    window, arena, store, results = setup
    event_loop.run_until_complete(results.show_charts())

    def unreadable(path):
        raise StoreError(f"The results database {path} cannot be opened (file is not a database). Move it aside.")

    monkeypatch.setattr("gui.controllers.results.Store", unreadable)  # as the worker opens its own connection
    assert event_loop.run_until_complete(results.show_charts()) is None
    view = results.charts
    assert view.status.text() == (f"The results database {store.path} cannot be opened (file is not a database). "
                                  "Move it aside. The charts below are from before, not current.")
    assert view.save_button.isEnabled() and not view.cancel_button.isVisible() and not view.tabs.isEnabled()


def test_an_import_with_a_bad_line_adds_nothing_and_says_which_line(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    battles = tmp_path / "battles.jsonl"
    good = json.dumps({"question_id": 1, "model_a": "m1", "model_b": "m2", "winner": "model_a"})
    battles.write_text(f"{good}\n{{not json\n")
    warnings = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *args: warnings.append(args[2]))
    assert event_loop.run_until_complete(results.import_file(str(battles))) is None
    (message,) = warnings
    assert message.startswith(f"{battles}, line 2: not valid JSON") and message.endswith("read the file again.")
    assert store.votes() == [] and window.import_action.isEnabled()


def test_an_import_the_store_refuses_adds_nothing_and_says_what_to_do(setup, event_loop, tmp_path, monkeypatch):
    window, arena, store, results = setup
    votes = tmp_path / "votes.jsonl"
    votes.write_text("\n".join(json.dumps({"round_id": f"r{i}", "model_a": "m1", "model_b": "m2",
                                           "winner": "tie", "tstamp": i}) for i in range(3)))
    blocker = Store(store.path)
    blocker._db.execute("BEGIN EXCLUSIVE")  # another program holds the database
    monkeypatch.setattr("gui.controllers.results.Store", impatient_store)
    warnings = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *args: warnings.append(args[2]))
    try:
        assert event_loop.run_until_complete(results.import_file(str(votes))) is None
    finally:
        blocker._db.execute("ROLLBACK")
        blocker.close()
    (message,) = warnings
    assert message.startswith(f"Could not add the votes of votes.jsonl to {store.path} (database is locked)")
    assert message.endswith("then import again.") and store.votes() == []


def impatient_store(path):
    """A store that gives up at once on a locked database, where a real one waits 5 seconds."""
    store = Store(path)
    store._db.execute("PRAGMA busy_timeout = 0")
    return store


@pytest.mark.parametrize("show, window_of, job", [
    ("show_leaderboard", "leaderboard", "board_figures"),
    ("show_charts", "charts", "chart_figures"),
])
def test_an_unforeseen_failure_ends_the_busy_state_and_says_where_the_details_are(setup, event_loop, monkeypatch,
                                                                                   show, window_of, job):
    window, arena, store, results = setup

    def broken(*args):
        raise ValueError("'xerr' must not contain negative values")

    monkeypatch.setattr(f"gui.controllers.results.{job}", broken)
    event_loop.run_until_complete(getattr(results, show)())
    view = getattr(results, window_of)
    assert "something unexpected went wrong (ValueError: 'xerr' must not contain negative values)" in view.status.text()
    assert "View › Log" in view.status.text() and not view.cancel_button.isVisible()
