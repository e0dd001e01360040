"""The blind protocol's pure parts: who sits on the Left, spotting an answer that names its model, hiding file names."""

import os
import random
import re
from urllib.parse import urlsplit

from gui.core.sources import is_served, public_address, served_parts

HIDDEN = "[hidden]"  # what a hidden name reads as

# Words in model names that say nothing about which model it is.
_GENERIC = {"instruct", "chat", "base", "model", "gguf", "preview", "uncensored", "tuned", "final"}
# "llama" is the architecture of most GGUF files and an animal: naming it gives no model away.
_SHARED_ARCHITECTURES = {"llama"}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def draw_swap(rng: random.Random) -> bool:
    """True when side B's model is shown on the Left for this chat."""
    return rng.random() < 0.5


def identifying_words(identity: dict) -> set[str]:
    """Lower-case words of a model's label, name and architecture that would give it away in an answer."""
    words = set()
    sources = [identity.get("label") or "", identity.get("name") or ""]
    architecture = (identity.get("architecture") or "").rstrip("0123456789")
    if architecture not in _SHARED_ARCHITECTURES:
        sources.append(architecture)
    for source in sources:
        for word in _WORD.findall(source):
            stem = word.lower().rstrip("0123456789")
            if sum(c.isalpha() for c in stem) >= 4 and stem not in _GENERIC and stem not in _SHARED_ARCHITECTURES:
                words.add(stem)
    return words


def names_its_model(answer: str, identity: dict) -> bool:
    """Whether the answer names its own model ("I am SmolLM"): such a vote is kept but flagged."""
    words = identifying_words(identity)
    return any(re.search(rf"\b{re.escape(word)}", answer, re.IGNORECASE) for word in words)


def file_spellings(paths: set[str], card_names: set[str]) -> set[str]:
    """Every spelling of these sources a text may hold: a file's path, name and name without .gguf; a served
    model's URL, host, host:port and model id; and the cards' names."""
    names = set(card_names)
    for path in paths:
        if is_served(path):
            address, model = served_parts(path)[:2]
            parts = urlsplit(address)
            names.update((path, address, public_address(address), parts.netloc, parts.hostname or "", model))
            if parts.port:
                names.add(f"{parts.hostname}:{parts.port}")
            continue
        base = os.path.basename(path)
        names.update((path, base, os.path.splitext(base)[0]))
    return names - {""}


def names_pattern(names: set[str]) -> re.Pattern[str] | None:
    """A pattern matching any of the names, longest first, in any case; None for no names."""
    if not names:
        return None
    return re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)), re.IGNORECASE)
