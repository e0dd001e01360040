"""The results database: SQLite in WAL mode, each write committed at once, schema migrations by version."""

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gui.core.votes import Outcome, Vote

# MIGRATIONS[i] takes a database from version i to i + 1; PRAGMA user_version holds the version.
MIGRATIONS = (
    """
    CREATE TABLE rounds (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        prompt TEXT NOT NULL,
        mode TEXT NOT NULL,
        params TEXT NOT NULL,
        left_model TEXT NOT NULL,
        right_model TEXT NOT NULL,
        left_output TEXT NOT NULL,
        right_output TEXT NOT NULL,
        left_metrics TEXT,
        right_metrics TEXT,
        environment TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE rounds ADD COLUMN category TEXT NOT NULL DEFAULT '';
    ALTER TABLE rounds ADD COLUMN swapped INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY,
        round_id TEXT NOT NULL,
        model_left TEXT NOT NULL,
        model_right TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('left', 'right', 'tie', 'both_bad')),
        rater TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        rubric_left INTEGER CHECK (rubric_left BETWEEN 0 AND 3),
        rubric_right INTEGER CHECK (rubric_right BETWEEN 0 AND 3),
        comment TEXT NOT NULL DEFAULT '',
        identity_leak INTEGER NOT NULL DEFAULT 0,
        repeat_of TEXT,
        control INTEGER NOT NULL DEFAULT 0,
        cast_at TEXT NOT NULL,
        UNIQUE (round_id, rater, cast_at)
    );
    CREATE INDEX votes_round ON votes (round_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_VOTE_COLUMNS = (
    "round_id", "model_left", "model_right", "outcome", "rater", "category", "rubric_left", "rubric_right",
    "comment", "identity_leak", "repeat_of", "control", "cast_at",
)


class StoreError(Exception):
    """The database cannot be used; the message says which file and what to do."""


@dataclass(frozen=True)
class RoundRecord:
    """One round as shown: Left and Right are screen positions; `swapped` says the draw put side B on the Left."""

    id: str
    created_at: str
    chat_id: str
    turn: int
    prompt: str
    category: str
    mode: str
    params: dict
    swapped: bool
    left_model: dict
    right_model: dict
    left_output: str
    right_output: str
    left_metrics: dict | None
    right_metrics: dict | None
    environment: dict


class Store:
    """All reads and writes of results go through here; each write is its own committed transaction."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            # autocommit: every statement outside an explicit transaction is committed at once.
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode = WAL")
            # FULL: a vote survives power loss too, not only a killed process; votes are few.
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"The results database {self.path} cannot be opened ({error}). Move it aside to start a new "
                "one; nothing in it is changed."
            ) from error

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The results database {self.path} was written by a newer GGUF Arena (schema {version}, this "
                f"one knows {SCHEMA_VERSION}): update the app, or choose another data directory."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # executescript commits first, so wrap each step in its own transaction by hand.
            self._db.executescript(f"BEGIN; {MIGRATIONS[target - 1]} PRAGMA user_version = {target}; COMMIT;")

    @property
    def version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def add_round(self, record: RoundRecord) -> None:
        """Keep a finished round: prompt, parameters, both answers, their figures and who was where."""
        row = {
            **record.__dict__,
            "params": json.dumps(record.params),
            "left_model": json.dumps(record.left_model),
            "right_model": json.dumps(record.right_model),
            "left_metrics": json.dumps(record.left_metrics),
            "right_metrics": json.dumps(record.right_metrics),
            "environment": json.dumps(record.environment),
            "swapped": int(record.swapped),
        }
        columns = ", ".join(row)
        self._db.execute(f"INSERT INTO rounds ({columns}) VALUES ({', '.join(':' + c for c in row)})", row)

    def add_vote(self, vote: Vote) -> bool:
        """Commit one vote at once; False when the same vote (round, rater, time) is already there."""
        values = [getattr(vote, column) for column in _VOTE_COLUMNS]
        values[_VOTE_COLUMNS.index("outcome")] = vote.outcome.value
        placeholders = ", ".join("?" for _ in _VOTE_COLUMNS)
        cursor = self._db.execute(
            # Only a duplicate is skipped; a value breaking a CHECK still raises (OR IGNORE would drop it).
            f"INSERT INTO votes ({', '.join(_VOTE_COLUMNS)}) VALUES ({placeholders}) "
            "ON CONFLICT (round_id, rater, cast_at) DO NOTHING",
            values,
        )
        return cursor.rowcount == 1

    def add_votes(self, votes: list[Vote]) -> int:
        """Commit many votes (an import) in one transaction; returns how many were new."""
        with self._transaction():
            return sum(self.add_vote(vote) for vote in votes)

    def votes(self) -> list[Vote]:
        """Every vote, oldest first."""
        rows = self._db.execute(f"SELECT {', '.join(_VOTE_COLUMNS)} FROM votes ORDER BY id").fetchall()
        return [self._vote(row) for row in rows]

    def round(self, round_id: str) -> RoundRecord | None:
        """One stored round, or None."""
        row = self._db.execute("SELECT * FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            return None
        fields = dict(row)
        for key in ("params", "left_model", "right_model", "left_metrics", "right_metrics", "environment"):
            fields[key] = json.loads(fields[key]) if fields[key] is not None else None
        fields["swapped"] = bool(fields["swapped"])
        return RoundRecord(**fields)

    def history(self) -> list[dict]:
        """Every round with its latest vote, newest first, for the history window."""
        rows = self._db.execute(
            """
            SELECT r.id, r.chat_id, r.created_at, r.prompt, r.category, r.left_model, r.right_model,
                   v.outcome, v.rater, v.identity_leak
            FROM rounds r LEFT JOIN votes v ON v.id = (SELECT max(id) FROM votes WHERE round_id = r.id)
            ORDER BY r.created_at DESC
            """
        ).fetchall()
        return [
            {
                "round_id": round_id, "chat_id": chat_id, "when": created, "prompt": prompt, "category": category,
                "left_model": json.loads(left)["label"], "right_model": json.loads(right)["label"],
                "outcome": outcome or "", "rater": rater or "", "leak": bool(leak),
            }
            for round_id, chat_id, created, prompt, category, left, right, outcome, rater, leak in rows
        ]

    def integrity_check(self) -> str:
        """SQLite's own verdict: "ok" for a sound database."""
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self):
        """Several writes that land together or not at all."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @staticmethod
    def _vote(row: sqlite3.Row) -> Vote:
        fields = dict(row)
        fields["outcome"] = Outcome(fields["outcome"])
        fields["identity_leak"] = bool(fields["identity_leak"])
        fields["control"] = bool(fields["control"])
        return Vote(**fields)
