"""The blind protocol's pure parts: drawing who sits on the Left, and spotting an answer that names its model."""

import random
import re

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
