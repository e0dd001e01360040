"""A model file's fingerprint and the machine's record."""

from fakes import fake_card
from gui.core.identity import environment, fingerprint, model_identity


def test_the_fingerprint_is_stable_and_changes_with_the_content(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(bytes(range(256)) * 40_000)
    size = path.stat().st_size
    first = fingerprint(str(path), size)
    assert first == fingerprint(str(path), size) and first.startswith("sampled-sha256:")
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # the last sample covers the file's end
    path.write_bytes(bytes(data))
    assert fingerprint(str(path), size) != first


def test_model_identity_names_the_file(tmp_path):
    path = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    path.write_bytes(b"x" * 1000)
    identity = model_identity(fake_card(str(path), file_size=1000))
    assert identity["label"] == "SmolLM2-135M-Instruct.Q4_1"
    assert identity["quantization"] == "Q4_1" and identity["fingerprint"].startswith("sampled-sha256:")


def test_environment_records_versions_and_machine():
    record = environment()
    assert record["llama_cpp_python"] == "0.3.36"
    assert record["cores"] >= 1 and record["ram_bytes"] > 0 and record["cpu"]
