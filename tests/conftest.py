"""Shared fixtures: headless Qt, a temporary data directory, the real default pair, no leftover threads, loopback only."""

import functools
import ipaddress
import os
import socket
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class LeftLoopback(Exception):
    """A test tried to reach an address off this machine."""


def off_loopback(event: str, args: tuple) -> str | None:
    """The address an internet socket's connect or send targets, where it is not a loopback one; else None."""
    if event not in ("socket.connect", "socket.sendto") or not args:
        return None
    sock, address = args[0], args[-1]
    if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return None
    try:
        return None if ipaddress.ip_address(address[0]).is_loopback else str(address[0])
    except ValueError:
        return str(address[0])  # a host name: resolving it would already leave the machine


def _loopback_only(event: str, args: tuple) -> None:
    target = off_loopback(event, args)
    if target is not None:
        raise LeftLoopback(f"a test tried to reach {target}: every server a test uses runs on 127.0.0.1")


# Every connection the suite's own process makes stays on this machine (children are watched by test_privacy).
sys.addaudithook(_loopback_only)

MODELS = Path(__file__).resolve().parents[1] / "models"
SMOLLM2 = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA3 = MODELS / "gemma-3-270m-q4_k_m.gguf"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test writes into its own data directory, never the user's."""
    path = tmp_path / "data"
    monkeypatch.setenv("GGUF_ARENA_DATA", str(path))
    return path


class MemoryKeyring:
    """A keyring backend that keeps secrets in this process (keyring's plug-in API): what a test's "system
    keyring" is, since a headless machine has none, and a test must never touch a person's real one."""

    priority = 1  # as a real keyring ranks: the app keeps keys only in such a one

    def __init__(self):
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password


@pytest.fixture(autouse=True)
def no_keyring():
    """No test reaches a person's keyring: the fail backend (no keyring here) unless a test asks for one."""
    import keyring
    from keyring.backends import fail

    from gui.core import api_keys

    keyring.set_keyring(fail.Keyring())
    yield
    api_keys._cache.clear()


@functools.cache
def _test_keyring_class():
    """MemoryKeyring as a keyring backend class, made once (keyring registers every backend class)."""
    from keyring.backend import KeyringBackend

    return type("TestKeyring", (MemoryKeyring, KeyringBackend), {})


@pytest.fixture
def memory_keyring(no_keyring):
    """A working keyring for this test, in memory; the backend, to read what was kept."""
    import keyring

    backend = _test_keyring_class()()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture(autouse=True)
def no_thread_left_running(monkeypatch):
    """Fail a test that leaves a QThread running (as napari's conftest does)."""
    try:
        from PySide6.QtCore import QThread
    except ImportError:
        yield
        return
    started = []
    original = QThread.start

    def recording_start(self, *args):
        started.append(self)
        return original(self, *args)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    running = [thread.objectName() or repr(thread) for thread in started if thread.isRunning()]
    for thread in started:
        thread.quit()
        thread.wait(5000)
    assert not running, f"threads left running: {running}"


@pytest.fixture(scope="session")
def event_loop(qapp):
    """One qasync loop for the session, as in the app (a loop per test upsets PySide at exit)."""
    from gui.app import run_on_qasync

    return run_on_qasync(qapp)


@pytest.fixture
def with_client(event_loop):
    """Run `ask(http)` with the app's HTTP client for served models, on the app's qasync loop; its result."""
    from gui.core.served import client

    def run(ask):
        async def go():
            async with client() as http:
                return await ask(http)
        return event_loop.run_until_complete(go())

    return run


@pytest.fixture(scope="session")
def default_pair() -> tuple[str, str]:
    """The real default models; `make test` fetches them first, so their absence is a failure."""
    missing = [p.name for p in (SMOLLM2, GEMMA3) if not p.is_file()]
    if missing:
        pytest.fail(f"default models missing from {MODELS}: {missing}; run `make models`")
    return str(SMOLLM2), str(GEMMA3)


@pytest.fixture(scope="session")
def requantized(default_pair, tmp_path_factory) -> str:
    """SmolLM2 Q4_1 requantized to Q2_K by llama.cpp (rows of 576 fall back to Q4_0/Q3_K): a lower quant of one model."""
    import llama_cpp

    out = tmp_path_factory.mktemp("quant") / "SmolLM2-135M-Instruct.Q2_K.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q2_K
    params.allow_requantize = True
    params.nthread = 2
    assert llama_cpp.llama_model_quantize(default_pair[0].encode(), str(out).encode(), params) == 0
    return str(out)


@pytest.fixture
def make_arena(qtbot, event_loop, tmp_path):
    """Arenas, each on a window and a results store of its own; shut down after the test."""
    import random

    from gui.controllers.arena import Arena
    from gui.core.store import Store
    from gui.widgets.main_window import MainWindow

    made = []

    def make(engines=(None, None), seed: int = 0, blind: bool = True):
        window = MainWindow()
        qtbot.addWidget(window)
        window.blind_action.setChecked(blind)
        store = Store(tmp_path / f"results-{len(made)}.sqlite")
        arena = Arena(window, store, engines, rng=random.Random(seed))
        made.append((arena, store))
        return arena

    yield make
    for arena, store in made:
        arena.shutdown()
        store.close()
