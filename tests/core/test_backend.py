"""The backend seam: the llama.cpp engine and the tests' fake both speak the protocol, with the same signatures."""

import inspect

import pytest

from fakes import FakeEngine
from gui.core.backend import Backend, local_backend
from gui.core.engine import LlamaEngine


@pytest.mark.parametrize("backend", [LlamaEngine(), FakeEngine()], ids=["llama", "fake"])
def test_speaks_the_protocol_with_its_signatures(backend):
    assert isinstance(backend, Backend)
    for name in ("load", "set_chat_format", "generate", "parting", "close"):
        expected = list(inspect.signature(getattr(Backend, name)).parameters)[1:]  # without self
        assert list(inspect.signature(getattr(backend, name)).parameters) == expected, name


def test_the_local_backend_is_llama_cpp_with_nothing_loaded():
    backend = local_backend()
    assert isinstance(backend, LlamaEngine) and backend.loaded is None
