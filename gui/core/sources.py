"""What the user picked for a side, as one string: a GGUF file's path, or a served model (served+URL#model)."""

import os
from urllib.parse import urlsplit

SERVED_SCHEME = "served+"  # served+http://host:port/v1#model-id, with ?key_env=NAME before the # where a key is needed


def is_served(source: str) -> bool:
    """Whether what the user picked is a model on a server rather than a file here."""
    return source.startswith(SERVED_SCHEME)


def served_parts(source: str) -> tuple[str, str | None, str]:
    """(the server's base URL, the key's variable name or None, the model id) of a served source."""
    address, _, model = source[len(SERVED_SCHEME):].rpartition("#")
    address, _, key_env = address.partition("?key_env=")
    return address, key_env or None, model


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
    address, _, model = served_parts(source)
    parts = urlsplit(address)
    return f"{model} @ {parts.hostname}{f':{parts.port}' if parts.port else ''}"
