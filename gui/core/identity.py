"""Who answered and where: a model file's identity and the machine's, as stored with every round."""

import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path

import psutil
import pynvml

import gui
from gui.core.cpu import cpu_info
from gui.core.gguf_header import ModelCard

_SAMPLE = 1 << 20
_SAMPLES = 8


def fingerprint(path: str, size: int) -> str:
    """sha256 of the size and eight 1 MiB samples spread over the file: tells files apart in milliseconds.

    A full hash of a 5 GB model would take seconds at every load; a copy, a re-download or a
    re-quantization changes the samples.
    """
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        for index in range(_SAMPLES):
            f.seek(max(0, (size - _SAMPLE) * index // (_SAMPLES - 1)))
            digest.update(f.read(_SAMPLE))
    return "sampled-sha256:" + digest.hexdigest()


def model_identity(card: ModelCard) -> dict:
    """What identifies a model in results: label, file, fingerprint, architecture, quantization, size."""
    return {
        "label": Path(card.path).stem,
        "name": card.name,
        "path": card.path,
        "file_size": card.file_size,
        "fingerprint": fingerprint(card.path, card.file_size),
        "architecture": card.architecture,
        "quantization": card.quantization,
        "parameter_count": card.parameter_count,
    }


def versions() -> dict:
    """The app's and llama-cpp-python's versions: what a result's figures depend on besides the files."""
    return {"app_version": gui.__version__, "llama_cpp_python": _version("llama-cpp-python")}


def environment() -> dict:
    """App and llama.cpp versions and the machine, for reproducing a result."""
    return {
        **versions(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "cpu": cpu_info().model,
        "cpu_features": cpu_info().features(),  # AVX2, AVX-512, AMX: what llama.cpp's kernels can use
        "cores": os.cpu_count(),
        "ram_bytes": psutil.virtual_memory().total,
        "gpus": _gpu_names(),
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _gpu_names() -> list[str]:
    """NVIDIA GPUs NVML can see; none elsewhere."""
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return []
    try:
        return [pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i)) for i in range(pynvml.nvmlDeviceGetCount())]
    finally:
        pynvml.nvmlShutdown()
