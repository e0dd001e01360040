"""A side's conversation and the choice of its chat format."""

from dataclasses import dataclass, field

# Built-in formats offered when a file has no template, by architecture prefix. The names are
# llama-cpp-python's registered chat formats.
FORMAT_BY_ARCHITECTURE = {
    "gemma": "gemma",
    "qwen": "chatml",
    "mistral": "mistral-instruct",
    "llama": "llama-2",
}
FALLBACK_FORMAT = "chatml"
BUILTIN_FORMATS = ("chatml", "gemma", "llama-2", "llama-3", "mistral-instruct", "alpaca", "vicuna")
# Formats whose prompt has no place for a system message: it is folded into the first user turn.
NO_SYSTEM_ROLE = {"gemma"}


@dataclass(frozen=True)
class FormatChoice:
    """Which chat format a side uses, and the note the pane shows about it."""

    name: str | None  # None: the file's own Jinja template
    note: str


def choose_format(architecture: str, has_template: bool, override: str | None) -> FormatChoice:
    """The user's override, else the file's template, else the built-in format for its architecture."""
    if override:
        return FormatChoice(override, f"Chat format set by you: {override}.")
    if has_template:
        return FormatChoice(None, "Chat template: the file's own.")
    for prefix, name in FORMAT_BY_ARCHITECTURE.items():
        if architecture.startswith(prefix):
            return FormatChoice(
                name, f"No chat template in the file: using the {name} format for its architecture."
            )
    return FormatChoice(
        FALLBACK_FORMAT,
        f"No chat template in the file and no known format for '{architecture}': guessing "
        f"{FALLBACK_FORMAT}. Pick the right format if the answers look wrong.",
    )


def refused_template(architecture: str, reason: str) -> FormatChoice:
    """The built-in format used instead of a file's own template that was refused, saying why."""
    fallback = choose_format(architecture, False, None).name
    return FormatChoice(
        fallback,
        f"Chat template refused: {reason}. It is not used: the {fallback} format stands in for it; "
        "pick another built-in chat format if the answers look wrong.",
    )


def merge_consecutive(messages: list[dict]) -> list[dict]:
    """Join runs of same-role messages into one (Gemma's template rejects two in a row)."""
    merged: list[dict] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {"role": message["role"], "content": merged[-1]["content"] + "\n\n" + message["content"]}
        else:
            merged.append(dict(message))
    return merged


def fold_system_prompt(messages: list[dict]) -> list[dict]:
    """Move a system message into the first user turn, for formats without a system role."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = system + "\n\n" + rest[0]["content"]
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return rest


@dataclass
class Conversation:
    """One side's chat: each side continues its own conversation."""

    turns: list[dict] = field(default_factory=list)

    def messages(self, system_prompt: str, user_text: str) -> list[dict]:
        """The messages for the next request: system prompt, history, then the new user turn."""
        head = [{"role": "system", "content": system_prompt}] if system_prompt else []
        return merge_consecutive(head + self.turns + [{"role": "user", "content": user_text}])

    def record(self, user_text: str, answer: str | None) -> None:
        """Keep a finished turn; a failed answer keeps only the user's message."""
        self.turns.append({"role": "user", "content": user_text})
        if answer:
            self.turns.append({"role": "assistant", "content": answer})

    def clear(self) -> None:
        """Start over (New chat)."""
        self.turns.clear()


class StopStringFilter:
    """Holds back streamed text that may be the start of a stop string, and finds a whole one."""

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self._held = ""
        self.hit = False

    def feed(self, text: str) -> str:
        """Text now safe to show; sets `hit` (and drops the stop string onwards) when one appears."""
        buffer = self._held + text
        for stop in self.stops:
            index = buffer.find(stop)
            if index >= 0:
                self.hit = True
                self._held = ""
                return buffer[:index]
        keep = max((self._overlap(buffer, s) for s in self.stops), default=0)
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """The held-back text, once the answer ends without a stop string."""
        held, self._held = self._held, ""
        return held

    @staticmethod
    def _overlap(buffer: str, stop: str) -> int:
        """Length of the longest end of `buffer` that begins `stop`."""
        for size in range(min(len(buffer), len(stop) - 1), 0, -1):
            if stop.startswith(buffer[-size:]):
                return size
        return 0
