"""What a stored round holds beyond the answers: each answer's figures, swapped repeats, earlier turns."""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from gui.core.blind import names_its_model
from gui.core.memory import SideMemory
from gui.core.metrics import GenerationStats
from gui.core.store import RoundRecord
from gui.core.votes import Vote

_SIDE_FIELDS = ("model", "output", "metrics", "checks")


def now() -> str:
    """The time stamp rounds and votes carry: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def stats_dict(stats: GenerationStats) -> dict:
    """One answer's (or measured run's) GenerationStats as stored: the stop reason as its word."""
    return {**dataclasses.asdict(stats), "stop_reason": stats.stop_reason.value}


def answer_metrics(stats: GenerationStats, model, memory: SideMemory | None) -> dict:
    """An answer's figures as stored: its GenerationStats, and its loaded model's load time, weight buffers and memory."""
    return {
        **stats_dict(stats),
        "load_s": model.load_s,
        # How the backend ran the model (llama.cpp: repacked or plain weights): the figures depend on it.
        **model.runtime,
        "weights_bytes": memory.weights_bytes if memory else None,
        "context_bytes": memory.context_bytes if memory else None,
    }


@dataclass(frozen=True)
class ShownAnswer:
    """One screen side of a round as stored: its model's identity, the answer, its figures, checks and settings."""

    model: dict
    output: str
    metrics: dict | None
    params: dict  # {"sampling": …, "load": …} as the side ran
    checks: list[dict] | None = None


def round_record(left: ShownAnswer, right: ShownAnswer, *, prompt: str, mode: str, swapped: bool, environment: dict,
                 chat_id: str, turn: int, category: str = "", **batch_fields) -> RoundRecord:
    """The one way a round is recorded, from the chat, Measure and batches alike: a new id, stamped now.

    `batch_fields` are RoundRecord's batch_id, batch_key, item_id and control.
    """
    return RoundRecord(
        id=uuid.uuid4().hex, created_at=now(), chat_id=chat_id, turn=turn, prompt=prompt, category=category,
        mode=mode, params={"left": left.params, "right": right.params}, swapped=swapped,
        left_model=left.model, right_model=right.model, left_output=left.output, right_output=right.output,
        left_metrics=left.metrics, right_metrics=right.metrics, left_checks=left.checks, right_checks=right.checks,
        environment=environment, **batch_fields,
    )


def vote_on(record: RoundRecord, outcome: str, rater: str, rubric_left: int | None, rubric_right: int | None,
            comment: str) -> Vote:
    """A rater's vote on a round as shown, flagged when either answer names its own model."""
    return Vote(
        round_id=record.id,
        model_left=record.left_model["label"],
        model_right=record.right_model["label"],
        outcome=outcome,
        rater=rater,
        category=record.category,
        rubric_left=rubric_left,
        rubric_right=rubric_right,
        comment=comment,
        identity_leak=names_its_model(record.left_output, record.left_model)
        or names_its_model(record.right_output, record.right_model),
        repeat_of=record.repeat_of,
        control=record.control,
        cast_at=now(),
    )


def swapped_copy(record: RoundRecord, round_id: str, created_at: str) -> RoundRecord:
    """The same pair shown again with Left and Right exchanged, pointing back at the round it repeats."""
    exchanged = {}
    for field in _SIDE_FIELDS:
        exchanged[f"left_{field}"] = getattr(record, f"right_{field}")
        exchanged[f"right_{field}"] = getattr(record, f"left_{field}")
    params = {"left": record.params.get("right"), "right": record.params.get("left")} if record.params else {}
    return dataclasses.replace(
        record, **exchanged, params=params, id=round_id, created_at=created_at, swapped=not record.swapped,
        repeat_of=record.id, batch_id="", batch_key="",
    )


def earlier_turns(record: RoundRecord, rounds: list[RoundRecord]) -> list[tuple[str, str, str]]:
    """(prompt, Left answer, Right answer) of the turns before `record` in its chat, as `record` shows its sides."""
    turns = sorted(
        (r for r in rounds if r.chat_id == record.chat_id and r.turn < record.turn and r.repeat_of is None),
        key=lambda r: r.turn,
    )
    flip = record.repeat_of is not None  # a repeat shows the whole chat with its sides exchanged
    return [(r.prompt, *((r.right_output, r.left_output) if flip else (r.left_output, r.right_output))) for r in turns]
