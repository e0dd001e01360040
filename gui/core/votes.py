"""The vote record shared by the store, the interchange files and the leaderboard."""

import enum
from dataclasses import dataclass

RUBRIC_SCORES = range(4)  # 0 wrong; 1 right direction; 2 complete, imprecise end; 3 rigorous


class Outcome(str, enum.Enum):
    """A rater's verdict on one pair of answers, by screen side."""

    LEFT = "left"
    RIGHT = "right"
    TIE = "tie"
    BOTH_BAD = "both_bad"


@dataclass(frozen=True)
class Vote:
    """One rater's blind verdict on one round's pair of answers."""

    round_id: str
    model_left: str
    model_right: str
    outcome: Outcome
    rater: str = ""
    category: str = ""
    rubric_left: int | None = None
    rubric_right: int | None = None
    comment: str = ""
    identity_leak: bool = False
    repeat_of: str | None = None
    control: bool = False
    cast_at: str = ""

    def __post_init__(self):
        """Coerce the outcome from its string value and refuse a record that cannot be rated."""
        object.__setattr__(self, "outcome", _outcome(self.outcome))
        for name in ("round_id", "model_left", "model_right", "rater", "category", "comment", "cast_at"):
            _require_type(name, getattr(self, name), str, "a string")
        for name in ("round_id", "model_left", "model_right"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be empty")
        for name in ("identity_leak", "control"):
            _require_type(name, getattr(self, name), bool, "true or false")
        if self.repeat_of is not None:
            _require_type("repeat_of", self.repeat_of, str, "a round id or None")
        for name in ("rubric_left", "rubric_right"):
            _check_rubric(name, getattr(self, name))
        if self.control and self.model_left != self.model_right:
            raise ValueError(
                f"a control vote has the same model on both sides, got {self.model_left!r} and {self.model_right!r}"
            )


def _outcome(value) -> Outcome:
    """The Outcome for `value` (an Outcome or its string value)."""
    try:
        return Outcome(value)
    except ValueError:
        allowed = ", ".join(outcome.value for outcome in Outcome)
        raise ValueError(f"outcome must be one of {allowed}; got {value!r}") from None


def _require_type(name: str, value, kind: type, wanted: str) -> None:
    """Raise TypeError naming the field when `value` is not a `kind`."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {wanted}, got {value!r}")


def _check_rubric(name: str, score) -> None:
    """Refuse a rubric score outside 0–3 (None means not scored)."""
    if score is None:
        return
    # bool is an int subclass; True as a score is a mistake, not a 1.
    if isinstance(score, bool) or not isinstance(score, int) or score not in RUBRIC_SCORES:
        raise ValueError(f"{name} must be an integer 0–3 or None, got {score!r}")
