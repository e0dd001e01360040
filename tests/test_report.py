"""The HTML report: one self-contained file with every section, its charts embedded and as PNG files."""

import re
from pathlib import Path

import pytest

from gui.core.report_data import gather
from gui.core.rubric import ordinal_alpha
from gui.core.store import RoundRecord
from gui.core.votes import Outcome, Vote
from gui.report.html import default_report_dir, write_report
from gui.widgets.charts import CHARTS

MIB = 1024**2
HOSTILE = "<b>x</b>"
PLAIN = "plain-q8"
SECTIONS = ("pair", "metrics", "quality", "charts", "reproducibility")


def identity(label, path):
    return {"label": label, "name": label, "path": path, "file_size": 512 * MIB,
            "fingerprint": f"sha-{Path(path).stem}", "architecture": "llama", "quantization": "Q8_0",
            "parameter_count": 360_000_000}


def answer(ttft, decode, contended):
    return {"prompt_tokens": 10, "tokens": 50, "ttft_s": ttft, "prompt_tps": 80.0, "decode_tps": decode,
            "elapsed_s": 1.0, "stop_reason": "end of text", "threads": 2, "contended": contended,
            "first_after_load": False, "error": None, "load_s": 1.25, "weights_bytes": 400 * MIB,
            "context_bytes": 60 * MIB, "weight_path": "plain", "weight_buffers": ["CPU_Mapped"]}


def rounds():
    return [
        RoundRecord(
            id=f"r{index}", created_at=f"2026-11-23T14:0{index}:00", chat_id="c", turn=index, prompt="Q",
            category="math", mode="parallel", swapped=False,
            left_model=identity(HOSTILE, "/models/hostile.gguf"), right_model=identity(PLAIN, "/models/plain.gguf"),
            left_output="", right_output="", left_metrics=answer(0.1 * (index + 1), 40.0 + index, index == 2),
            right_metrics=answer(0.3, 20.0 + index, index == 2),
            environment={"app_version": "0.1.0", "llama_cpp_python": "0.3.36", "python": "3.11", "os": "Linux",
                         "cpu": "<script>cpu</script>",
                         "cpu_features": {"avx2": True, "avx512": True, "amx": True}, "cores": 2, "ram_bytes": 4096 * MIB, "gpus": []},
            params={side: {"sampling": {"temperature": 0.7, "seed": 42}, "load": {"n_ctx": 2048}}
                    for side in ("left", "right")},
            batch_id="batch & co",
            left_checks=[{"kind": "math_answer", "passed": True, "detail": ""}],
            right_checks=[{"kind": "math_answer", "passed": index == 0, "detail": ""}],
        )
        for index in range(3)
    ]


VOTES = [
    Vote(f"r{index}", HOSTILE, PLAIN, outcome, rater="ann & bob", category="math", rubric_left=3, rubric_right=1)
    for index, outcome in enumerate([Outcome.LEFT, Outcome.LEFT, Outcome.TIE])
]


@pytest.fixture(scope="module")
def data():
    return gather(rounds(), VOTES, title="Hostile vs plain")


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("written") / "report"


@pytest.fixture(scope="module")
def written(out_dir, data):
    path = write_report(data, out_dir)
    return path, path.read_text(encoding="utf-8")


def test_the_html_file_and_its_charts_are_written(out_dir, written):
    path, _ = written
    assert path == out_dir / "report.html"
    pngs = sorted(p.stem for p in (out_dir / "charts").glob("*.png"))
    assert pngs == sorted(name for name, _, _ in CHARTS)
    for png in (out_dir / "charts").glob("*.png"):
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_every_section_has_its_heading(written):
    _, page = written
    for section in SECTIONS:
        assert re.search(rf'<h2 id="{section}">', page), section


def test_each_png_is_embedded_once_as_a_data_uri(out_dir, written):
    _, page = written
    pngs = list((out_dir / "charts").glob("*.png"))
    assert page.count("data:image/png;base64,") == len(pngs) > 0


def test_strings_from_the_data_are_escaped(written):
    _, page = written
    assert HOSTILE not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page
    assert "ann &amp; bob" in page
    assert "batch &amp; co" in page


def test_nothing_outside_the_file_is_referenced(written):
    _, page = written
    assert "http://" not in page
    assert "https://" not in page
    assert "<link" not in page
    assert "<script" not in page


def test_the_figures_appear_with_their_conditions_and_counts(written):
    _, page = written
    assert "TTFT P50 / P95, isolated" in page
    assert "0.15 / 0.20 s\n(n = 2)" in page  # the hostile model's isolated TTFT: 0.1 and 0.2
    assert "460.0 MiB" in page  # 400 MiB weights + 60 MiB context
    assert "1.25 s (n = 1)" in page
    assert "hostile.gguf" in page and "Q8_0" in page and "360M" in page


def test_reproducibility_lists_files_settings_seeds_and_machine(written):
    _, page = written
    reproducibility = page.split('<h2 id="reproducibility">')[1]
    assert "sha-hostile" in reproducibility and "/models/plain.gguf" in reproducibility
    assert "temperature=0.7" in reproducibility and "n_ctx=2048" in reproducibility
    # The seed is listed once on its own, not inside every set of sampling settings.
    assert "seed=" not in reproducibility
    assert "Seeds: 42" in reproducibility
    assert "0.3.36" in reproducibility and "4.00 GiB" in reproducibility
    # Speed depends on the CPU's units and the weight buffers a model loaded into.
    assert "AVX2 yes, AVX512 yes, AMX yes" in reproducibility and "plain (CPU_Mapped)" in reproducibility
    assert "3 rounds from 2026-11-23T14:00:00 to 2026-11-23T14:02:00" in reproducibility


def test_a_report_without_rounds_or_votes_still_has_every_section(tmp_path):
    path = write_report(gather([], []), tmp_path / "empty")
    page = path.read_text(encoding="utf-8")
    assert all(f'<h2 id="{section}">' in page for section in SECTIONS)
    assert "data:image/png" not in page
    assert list((tmp_path / "empty" / "charts").glob("*.png")) == []
    assert "No votes yet: rate some rounds to see ratings." in page


def test_writing_again_drops_charts_that_lost_their_data(tmp_path, data):
    out = tmp_path / "again"
    write_report(data, out)
    write_report(gather(rounds(), []), out)
    assert not (out / "charts" / "ratings.png").exists()
    assert (out / "charts" / "ttft.png").exists()


def test_default_report_dir_is_named_by_the_minute(tmp_path):
    found = default_report_dir(tmp_path)
    assert found.parent == tmp_path / "reports"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{4}", found.name)
    assert isinstance(found, Path)


def protocol_rounds():
    """Four logic rounds of two models, each answer alone; only alpha-q4's answers were checked for JSON."""
    return [
        RoundRecord(
            id=f"p{index}", created_at=f"2026-11-24T09:0{index}:00", chat_id=f"p{index}", turn=1, prompt="Prove it.",
            category=("proof", "causal")[index // 2], mode="sequential", swapped=False,
            left_model=identity("alpha-q4", "/models/alpha.gguf"), right_model=identity("beta-q8", "/models/beta.gguf"),
            left_output="", right_output="", left_metrics=answer(0.2 + index / 10, 50.0, False),
            right_metrics=answer(0.5, 20.0, False), environment={}, params={},
            left_checks=[{"kind": "json", "passed": index != 3, "detail": ""}], right_checks=None,
        )
        for index in range(4)
    ]


# (round, kim's left and right scores, lee's): alpha-q4 is on the Left throughout.
PROTOCOL_SCORES = [("p0", (3, 1), (3, 2)), ("p1", (2, 0), (2, 0)), ("p2", (3, 3), (3, 2)), ("p3", (1, 2), (2, 2))]
PROTOCOL_VOTES = [
    Vote(round_id, "alpha-q4", "beta-q8", Outcome.LEFT, rater=rater, category=("proof", "causal")[int(round_id[1]) // 2],
         rubric_left=scores[0], rubric_right=scores[1])
    for round_id, kim, lee in PROTOCOL_SCORES
    for rater, scores in (("kim", kim), ("lee", lee))
]


def cells(page: str, section: str) -> list[list[str]]:
    """The rows of the first table after the heading `section`, as lists of cell texts."""
    table = page.split(section, 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL) for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)]


@pytest.fixture(scope="module")
def protocol_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("protocol")
    return write_report(gather(protocol_rounds(), PROTOCOL_VOTES), out).read_text(encoding="utf-8")


def test_the_protocol_table_gives_rubric_means_with_intervals_speed_memory_and_load_per_model(protocol_page):
    page = protocol_page
    rows = cells(page, "<h3>Protocol: rubric score")
    assert rows[0] == ["Model", "causal (0–3)", "proof (0–3)", "TTFT P95, isolated", "Decode tok/s, isolated",
                       "Peak memory", "Load time"]
    # alpha-q4 causal: answers 3 and 1.5 (kim 1, lee 2): mean 2.25, t(0.975, 1) · 1.0607 / √2 = 9.53: clipped to 0–3.
    # proof: answers 3 and 2, mean 2.5, half-width 12.706 · 0.7071 / √2 = 6.35: clipped too.
    # TTFT 0.2 0.3 0.4 0.5: P95 = 0.4 + 0.85 · 0.1 = 0.485.
    assert rows[1] == ["alpha-q4", "2.25 (0.00–3.00)\nn = 2", "2.50 (0.00–3.00)\nn = 2", "0.48 s (n = 4)",
                       "50.0 (n = 4)", "460.0 MiB", "1.25 s (n = 1)"]
    assert rows[2][:3] == ["beta-q8", "2.25 (0.00–3.00)\nn = 2", "0.75 (0.00–3.00)\nn = 2"]
    assert "t-based 95% confidence interval" in page


def test_the_alpha_table_and_json_validity_stand_in_the_report(protocol_page):
    page = protocol_page
    rows = cells(page, "<h3>Rubric agreement")
    assert [row[0] for row in rows] == ["Category", "all categories", "causal", "proof"]
    assert rows[1][2:] == ["8", "2"] and rows[2][2:] == rows[3][2:] == ["4", "2"]
    assert float(rows[1][1]) == pytest.approx(ordinal_alpha([[3, 1, 2, 0, 3, 3, 1, 2], [3, 2, 2, 0, 3, 2, 2, 2]]),
                                              abs=5e-4)
    models = cells(page, '<h2 id="pair">')
    assert models[0][-1] == "JSON validity"
    assert models[1][-1] == "75% (3 of 4)" and models[2][-1] == "—"


def test_without_scores_the_protocol_tables_say_what_to_do(written):
    _, page = written
    assert "No answer was scored by two raters yet: agreement needs a second rater (File › Switch rater)." in page
