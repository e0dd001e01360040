"""A batch: every prompt of a suite through both models, planned up front so that a restart resumes it."""

import json
import random
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from gui.core.params import LoadParams, SamplingParams
from gui.core.records import now
from gui.core.store import BatchRecord, Store
from gui.core.suites import Suite, SuiteItem

# A cancelled batch keeps its finished rounds and can be taken up again, like one cut off by a crash.
RESUMABLE = ("running", "paused", "cancelled")


@dataclass(frozen=True)
class BatchEntry:
    """One planned round: a suite item's run, or a control with one model on both sides."""

    key: str  # unique in its batch: "proof-01#2", "proof-01#control-1"
    item_id: str
    run: int
    control: int | None  # None for the pair; 0 or 1: that model answers on both sides
    first: int  # the model that answers first: alternates A B, B A so neither always runs warm
    swapped: bool  # model 1 is shown on the Left

    @classmethod
    def from_dict(cls, fields: dict) -> "BatchEntry":
        return cls(**fields)


def plan_batch(item_ids: list[str], repeats: int, controls: int, rng: random.Random) -> list[BatchEntry]:
    """Every item `repeats` times (a whole pass before the next), with `controls` control rounds placed at random.

    Controls alternate between the two models and take their items at random; each entry
    draws its own Left/Right assignment. The plan is stored with the batch, so a resumed
    batch runs exactly what was planned.
    """
    if not item_ids:
        raise ValueError("a batch needs at least one prompt")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if controls < 0:
        raise ValueError(f"controls cannot be negative, got {controls}")
    pairs = [(item_id, run, None) for run in range(repeats) for item_id in item_ids]
    plan = list(pairs)
    for number in range(controls):
        plan.insert(rng.randint(0, len(plan)), (rng.choice(item_ids), number + 1, number % 2))
    return [
        BatchEntry(
            key=f"{item_id}#control-{run}" if control is not None else f"{item_id}#{run}",
            item_id=item_id, run=run, control=control, first=index % 2, swapped=rng.random() < 0.5,
        )
        for index, (item_id, run, control) in enumerate(plan)
    ]


def plan_of(batch: BatchRecord) -> list[BatchEntry]:
    """A stored batch's plan."""
    return [BatchEntry.from_dict(fields) for fields in batch.plan]


def plan_to_store(plan: list[BatchEntry]) -> list[dict]:
    """A plan as the store keeps it."""
    return [asdict(entry) for entry in plan]


def remaining(batch: BatchRecord, done: set[str]) -> list[BatchEntry]:
    """The planned rounds not yet stored, in plan order."""
    return [entry for entry in plan_of(batch) if entry.key not in done]


def batch_settings(suite: Suite, model_paths: list[str], sampling: SamplingParams, load: list[LoadParams],
                   repeats: int, controls: int, protocol: bool = False) -> dict:
    """Everything a batch runs with, the suite's items included: a resume runs what was planned, even if the file changed.

    A protocol batch is marked (its votes need rubric scores); others carry no mark, so a batch
    left unfinished before the mark existed still matches its settings and resumes.
    """
    return {
        "suite": suite.name,
        "items": [asdict(item) for item in suite.items],
        "models": [str(Path(path).resolve()) for path in model_paths],
        "sampling": asdict(sampling),
        "load": [asdict(params) for params in load],
        "repeats": repeats,
        "controls": controls,
        **({"protocol": True} if protocol else {}),
    }


def items_of(batch: BatchRecord) -> dict[str, SuiteItem]:
    """The suite items a batch was planned with, by id."""
    return {fields["id"]: SuiteItem(**{**fields, "checks": tuple(fields["checks"])}) for fields in batch.settings["items"]}


def start_or_resume(store: Store, settings: dict, rng: random.Random) -> tuple[BatchRecord, bool]:
    """The newest resumable batch with these very settings, else a new one planned and stored; (batch, resumed)."""
    # A round-trip through JSON makes tuples lists, as the stored settings have them.
    wanted = json.loads(json.dumps(settings))
    found = next((b for b in store.batches() if b.state in RESUMABLE and b.settings == wanted), None)
    if found is not None:
        return found, True
    plan = plan_batch([item["id"] for item in settings["items"]], settings["repeats"], settings["controls"], rng)
    batch = BatchRecord(uuid.uuid4().hex, now(), settings["suite"], plan_to_store(plan), wanted, "paused")
    store.add_batch(batch)
    return batch, False


def eta_s(durations: list[float], left: int) -> float | None:
    """Seconds still to go at the mean pace so far; None before the first round."""
    if not durations:
        return None
    return sum(durations) / len(durations) * left


def duration_text(seconds: float | None) -> str:
    """'1h 02m', '3m 10s', '42s', or '…' when unknown."""
    if seconds is None:
        return "…"
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds}s"


def progress_bar(done: int, total: int, width: int = 30) -> str:
    """A text progress bar: [#########.....................]  9/30."""
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:>{len(str(total))}}/{total}"
