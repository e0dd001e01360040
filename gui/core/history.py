"""A round as the history window lists it: HistoryRow's fields, in the order of Store.history's plain tuples."""

from typing import NamedTuple


class HistoryRow(NamedTuple):
    """One round with its latest vote; its first eight fields are the history window's columns, in order.

    Store.history gives plain tuples in this order, not HistoryRows: the garbage collector stops tracking a plain
    tuple of strings and numbers at its first look, never a named one, and a collection walking 50,000 named rows
    held Python's lock 17 ms.
    """

    leak: int  # 1 when an answer named its own model
    when: str
    prompt: str
    category: str
    left_model: str
    right_model: str
    outcome: str  # "" before a vote
    rater: str
    round_id: str
    chat_id: str
    rated: int  # 1 when the asking rater has voted on it


LEAK, WHEN, PROMPT, CATEGORY, LEFT, RIGHT, OUTCOME, RATER, ROUND_ID, CHAT_ID, RATED = range(len(HistoryRow._fields))
