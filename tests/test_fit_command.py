"""`python -m gui fit`: the planner's table for header-only files and presets, and its errors."""

from gguf_files import SHAPES, write_header_only
from gui.cli import main


def test_a_header_only_8b_file_and_a_preset_print_a_table_each(tmp_path, capsys):
    path = tmp_path / "Llama-8B-shaped.gguf"
    write_header_only(path, *SHAPES["8B"])
    assert main(["fit", str(path), "--preset", "Qwen2.5-32B", "--quant", "Q5_K_M"]) == 0
    out = capsys.readouterr().out
    assert "trained context 8,192; KV cache f16; all on the CPU; budgets are RAM" in out
    assert "Qwen2.5-32B Q5_K_M (preset): trained context 32,768" in out
    at_8k = [line.split() for line in out.splitlines() if line.lstrip().startswith("8,192")]
    assert at_8k[0][-5:] == ["fits"] * 5  # an 8B Q4_K_M at 8k: about 6 GiB
    at_2k = [line.split() for line in out.splitlines() if line.lstrip().startswith("2,048")]
    assert at_2k[1][-5:] == ["no", "no", "tight", "fits", "fits"]  # a 32B Q5_K_M at 2k: 22.6 GiB, over 90% of 24
    assert "largest context that fits" in out and "tight: above that" in out
    assert "\033[" not in out  # colours only on a terminal


def test_layers_on_the_gpu_put_the_budgets_on_vram(capsys):
    assert main(["fit", "--preset", "Llama-3-8B", "--gpu-layers", "33", "--kv", "q8_0"]) == 0
    out = capsys.readouterr().out
    assert "32 of 32 layers on the GPU with the output layer; budgets are VRAM" in out and "KV cache q8_0" in out


def test_bad_input_says_what_to_do_and_the_good_input_is_still_planned(tmp_path, capsys):
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    assert main(["fit", str(tmp_path / "gone.gguf"), str(not_gguf), "--preset", "Llama-3-70B",
                 "--preset", "Llama-3-8B"]) == 1
    captured = capsys.readouterr()
    assert "gone.gguf' was not found" in captured.err and "Pick another file" in captured.err
    assert "is not a GGUF file" in captured.err
    assert "no preset 'Llama-3-70B': pick one of Llama-3-8B" in captured.err
    assert "Llama-3-8B Q4_K_M (preset)" in captured.out
    assert main(["fit", "--preset", "Llama-3-8B", "--kv", "q4_0"]) == 1
    assert "no KV cache type 'q4_0': pick one of f16, q8_0" in capsys.readouterr().err
    assert main(["fit"]) == 2
    assert "Give one or more GGUF files, or --preset NAME" in capsys.readouterr().err
