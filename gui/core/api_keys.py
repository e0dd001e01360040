"""A served model's API key in the system keyring (`keyring`), under the server's public address; never in our files."""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from gui.core.backend import EngineError
from gui.core.sources import public_address

T = TypeVar("T")
SERVICE = "gguf-arena"
# keyring's fail backend has priority 0 and keyrings.alt's plain-text files 0.5; a real keyring (Secret
# Service, KWallet, macOS Keychain, Windows Credential Locker) has 1 or more. A key is kept only in a real one.
MIN_PRIORITY = 1

_cache: dict[str, str] = {}  # address → key read this session: one keyring call per server, not per request
_lock = threading.Lock()
# A keyring call may wait on its daemon (or on the user unlocking it): never on the event loop. A thread of our
# own, not the loop's default executor, whose debug log would print a call's arguments, the key among them.
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyring")


async def off_loop(call: Callable[[], T]) -> T:
    """`call()` (a keyring call, its arguments inside a closure) on the keyring's thread, awaited."""
    return await asyncio.get_running_loop().run_in_executor(_thread, call)


def _keyring():
    """The keyring module, imported when a key is first kept or read (it starts a D-Bus client on Linux)."""
    import keyring

    return keyring


def keyring_problem() -> str | None:
    """Why no key can be kept in a system keyring here, in plain words; None when one can."""
    try:
        backend = _keyring().get_keyring()
    except Exception as error:  # a broken keyring configuration raises anything; say it and go on without one
        return f"the system keyring could not be opened ({type(error).__name__}: {error})"
    if getattr(backend, "priority", 0) < MIN_PRIORITY:
        return (f"this machine has no system keyring that keeps secrets safely ({type(backend).__name__}); "
                "name an environment variable that holds the key instead")
    return None


def keep_key(base_url: str, key: str) -> None:
    """Keep `key` for the server at `base_url` in the system keyring; EngineError says why it could not."""
    problem = keyring_problem()
    if problem:
        raise EngineError(f"The key was not kept: {problem}.")
    address = public_address(base_url)
    try:
        _keyring().set_password(SERVICE, address, key)
    except Exception as error:  # keyring's backends raise their own errors (locked, denied, D-Bus gone)
        raise EngineError(f"The system keyring did not keep the key for {address} ({error}).") from error
    with _lock:
        _cache[address] = key


def kept_key(base_url: str) -> str:
    """The key kept for the server at `base_url`; EngineError says what to do when there is none."""
    address = public_address(base_url)
    with _lock:
        if address in _cache:
            return _cache[address]
    try:
        key = _keyring().get_password(SERVICE, address)
    except Exception as error:  # as in keep_key: a locked or missing keyring is the user's to fix, in words
        raise EngineError(f"The system keyring could not be read for {address} ({error}): unlock it, "
                          "or add the server again with its key.") from error
    if not key:
        raise EngineError(f"The system keyring holds no API key for {address}: add the server again "
                          "(Server…) and enter its key.")
    with _lock:
        _cache[address] = key
    return key


def has_kept_key(base_url: str) -> bool:
    """Whether a key for the server at `base_url` is kept (False where no keyring can be read)."""
    try:
        kept_key(base_url)
    except EngineError:
        return False
    return True

