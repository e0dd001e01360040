"""`python -m gui quant`: the figures, the scoreboard row and the JSON for a real pair; refusals in plain words."""

import json

import pytest

from gui.cli import main


@pytest.mark.integration
def test_a_lower_quant_gets_its_figures_a_scoreboard_row_and_json(default_pair, requantized, tmp_path, capsys):
    out = tmp_path / "quant.json"
    assert main(["quant", "--base", default_pair[0], "--other", requantized, "--ctx", "128", "--chunks", "2",
                 "--threads", "2", "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Base:  SmolLM2-135M-Instruct.Q4_1.gguf (Q4_1, 93.8 MiB, 5.74 bits per weight)" in captured.out
    assert "Text:  harbour-town.txt" in captured.out
    assert "2 of 2 chunks of 128 scored, the second half of each (126 tokens)" in captured.out
    row = next(line for line in captured.out.splitlines() if line.startswith("| Q2_K"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "84.12" and cells[2] == "5.14"
    written = json.loads(out.read_text())
    figures = written["figures"]
    assert written["other"]["quantization"] == "Q2_K" and written["chunks_done"] == 2
    assert cells[4] == f"{figures['delta_ppl_percent']:+.2f}%" and figures["delta_ppl_percent"] > 0
    assert cells[5].startswith(f"{figures['kld']['value']:.5f}") and figures["kld"]["value"] > 0
    assert "[##############################] 2/2 chunks" in captured.err  # the progress bar, a line per chunk off a terminal


def test_unusable_inputs_are_refused_saying_why(default_pair, tmp_path, capsys):
    empty, binary = tmp_path / "empty.txt", tmp_path / "model.bin"
    empty.write_bytes(b"")
    binary.write_bytes(bytes(range(256)))
    assert main(["quant", "--base", default_pair[0], "--other", default_pair[1]]) == 1
    assert "are not two quantizations of one model: different architectures (llama and gemma3)" in capsys.readouterr().err
    assert main(["quant", "--base", default_pair[0], "--other", default_pair[0], "--text", str(empty)]) == 1
    assert "'empty.txt' is empty" in capsys.readouterr().err
    assert main(["quant", "--base", default_pair[0], "--other", default_pair[0], "--text", str(binary)]) == 1
    assert "'model.bin' holds NUL bytes (the first at byte 0), so it is binary" in capsys.readouterr().err
    assert main(["quant", "--base", str(tmp_path / "gone.gguf"), "--other", default_pair[0]]) == 1
    assert "gone.gguf' was not found" in capsys.readouterr().err


@pytest.mark.integration
def test_a_short_text_and_a_bad_context_are_refused(default_pair, tmp_path, capsys):
    short = tmp_path / "short.txt"
    short.write_text("A single sentence is not enough to score.\n")
    assert main(["quant", "--base", default_pair[0], "--other", default_pair[0], "--text", str(short)]) == 1
    assert "The text is 9 tokens long; at a context of 512 it needs at least 1,024" in capsys.readouterr().err
    assert main(["quant", "--base", default_pair[0], "--other", default_pair[0], "--ctx", "8"]) == 1
    assert "A context of 8 is outside what can be scored: give one from 16 to the model's trained context of 8,192" \
        in capsys.readouterr().err
