"""What the user picked for a side, as one string: a GGUF file's path, or a served model (served+URL#model)."""

import os
from typing import NamedTuple
from urllib.parse import urlsplit

# served+http://host:port/v1#model-id; where a key is needed, before the #: ?key_env=NAME (the environment
# variable that holds it) or ?key=keyring (kept in the system keyring). Never the key itself.
SERVED_SCHEME = "served+"
_KEY_ENV, _KEY_IN_KEYRING = "?key_env=", "?key=keyring"


class ServedParts(NamedTuple):
    """A served source taken apart: where, which model, and where its key is found."""

    address: str
    model: str
    key_env: str | None = None
    key_in_keyring: bool = False


def is_served(source: str) -> bool:
    """Whether what the user picked is a model on a server rather than a file here."""
    return source.startswith(SERVED_SCHEME)


def served_parts(source: str) -> ServedParts:
    """The base URL, the model id and where the key is found, of a served source."""
    address, _, model = source[len(SERVED_SCHEME):].rpartition("#")
    if address.endswith(_KEY_IN_KEYRING):
        return ServedParts(address.removesuffix(_KEY_IN_KEYRING), model, key_in_keyring=True)
    address, _, key_env = address.partition(_KEY_ENV)
    return ServedParts(address, model, key_env or None)


def served_source_of(parts: ServedParts) -> str:
    """The source string of a served model (the inverse of served_parts)."""
    key = _KEY_IN_KEYRING if parts.key_in_keyring else f"{_KEY_ENV}{parts.key_env}" if parts.key_env else ""
    return f"{SERVED_SCHEME}{parts.address.rstrip('/')}{key}#{parts.model}"


def public_address(url: str) -> str:
    """A URL without any user name or password in it: what results, the log and the window may show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def source_label(source: str) -> str:
    """A short name for a source in a list: the file's name, or "model @ host:port"."""
    if not is_served(source):
        return os.path.basename(source)
    address, model = served_parts(source)[:2]
    parts = urlsplit(address)
    return f"{model} @ {parts.hostname}{f':{parts.port}' if parts.port else ''}"
