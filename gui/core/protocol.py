"""The protocol: the logic suite through the pair, each answer alone, then rated blind with a required 0–3 rubric."""

from dataclasses import dataclass

from gui.core.batch import items_of
from gui.core.store import BatchRecord, RoundRecord

SUITE = "logic"


@dataclass(frozen=True)
class Guide:
    """What a rater sees beside a round's answers: the suite item's reference and rubric note, and whether scores are required."""

    reference: str
    rubric: str
    scores_required: bool

    def text(self) -> str:
        """The rubric guide as plain text; empty when the suite gave neither a reference nor a rubric note."""
        parts = []
        if self.rubric:
            parts.append(f"Rubric note (what earns 0, 1, 2, 3):\n{self.rubric}")
        if self.reference:
            parts.append(f"Reference answer:\n{self.reference}")
        return "\n\n".join(parts)


def is_protocol(batch: BatchRecord) -> bool:
    """Whether the batch was run as the protocol (its votes need a rubric score per answer)."""
    return bool(batch.settings.get("protocol"))


class Guides:
    """The guide of every stored batch round, found from the items its batch was planned with."""

    def __init__(self, batches: list[BatchRecord], rounds: list[RoundRecord]):
        self._by_item = {
            (batch.id, item.id): Guide(item.reference, item.rubric, is_protocol(batch))
            for batch in batches
            for item in items_of(batch).values()
        }
        # A swapped repeat leaves its batch (its keys are the original's): it is found through the original.
        self._batch_of = {round_.id: round_.batch_id for round_ in rounds}

    def of(self, record: RoundRecord) -> Guide | None:
        """The guide of `record` (a fresh round or a swapped repeat); None for a round typed in the chat."""
        batch_id = record.batch_id or self._batch_of.get(record.repeat_of or "", "")
        return self._by_item.get((batch_id, record.item_id))
