"""The report's quantizations section: verdict, scoreboard and Pareto chart, only when comparisons exist."""

from core.test_quant_record import Q2, Q4, comparison
from gui.core.quant_record import quant_report
from gui.core.report_data import gather
from gui.core.store import Store
from gui.report.html import write_report


def test_the_section_shows_the_verdict_the_scoreboard_and_the_chart_when_comparisons_exist(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    store.add_quant_comparison(comparison(Q2, 0.3, "2026-01-01T10:00:00"))
    store.add_quant_comparison(comparison(Q4, 0.05, "2026-01-02T10:00:00"))
    page = write_report(gather([], []), tmp_path / "report", quant=quant_report(store, store.rounds())).read_text()
    section = page[page.index('<h2 id="quantizations">') : page.index('<h2 id="reproducibility">')]
    assert "Q4_K_M against Q8_0" in section and "28.6% (40.0 MiB)" in section
    assert section.count("<tr><td>Q") == 2 and "fp-q8" in section and "llama-cpp-python 0.3.36" in section
    assert 'id="chart-quant-pareto"' in section and (tmp_path / "report" / "charts" / "quant_pareto.png").is_file()


def test_without_comparisons_there_is_no_section(tmp_path):
    store = Store(tmp_path / "results.sqlite")
    page = write_report(gather([], []), tmp_path / "report", quant=quant_report(store, store.rounds())).read_text()
    assert 'id="quantizations"' not in page and not (tmp_path / "report" / "charts" / "quant_pareto.png").exists()
