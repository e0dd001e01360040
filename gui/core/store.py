"""The results database: SQLite in WAL mode, each write committed at once, schema migrations by version."""

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gui.core.quant_record import QuantComparison
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
    """
    ALTER TABLE rounds ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE rounds ADD COLUMN batch_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE rounds ADD COLUMN item_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE rounds ADD COLUMN control INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rounds ADD COLUMN repeat_of TEXT;
    ALTER TABLE rounds ADD COLUMN left_checks TEXT;
    ALTER TABLE rounds ADD COLUMN right_checks TEXT;
    -- A resumed batch can never store the same planned round twice.
    CREATE UNIQUE INDEX rounds_batch_key ON rounds (batch_id, batch_key) WHERE batch_id != '';
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        suite TEXT NOT NULL,
        plan TEXT NOT NULL,
        settings TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'cancelled', 'finished'))
    );
    """,
    """
    CREATE TABLE quant_comparisons (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        family TEXT NOT NULL,
        base TEXT NOT NULL,
        other TEXT NOT NULL,
        text_name TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        n_ctx INTEGER NOT NULL,
        chunks_planned INTEGER NOT NULL,
        chunks_done INTEGER NOT NULL,
        figures TEXT NOT NULL,
        versions TEXT NOT NULL
    );
    CREATE INDEX quant_comparisons_family ON quant_comparisons (family);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_VOTE_COLUMNS = (
    "round_id", "model_left", "model_right", "outcome", "rater", "category", "rubric_left", "rubric_right",
    "comment", "identity_leak", "repeat_of", "control", "cast_at",
)

# Only a duplicate is skipped; a value breaking a CHECK still raises (OR IGNORE would drop it).
_INSERT_VOTE = (f"INSERT INTO votes ({', '.join(_VOTE_COLUMNS)}) VALUES ({', '.join('?' for _ in _VOTE_COLUMNS)}) "
                "ON CONFLICT (round_id, rater, cast_at) DO NOTHING")
_OUTCOME_COLUMN = _VOTE_COLUMNS.index("outcome")


def _vote_values(vote: Vote) -> list:
    """A vote's values in _VOTE_COLUMNS' order, the outcome as its string."""
    values = [getattr(vote, column) for column in _VOTE_COLUMNS]
    values[_OUTCOME_COLUMN] = vote.outcome.value
    return values


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
    batch_id: str = ""  # the batch that ran it; "" for a round typed in the chat
    batch_key: str = ""  # its entry in that batch's plan
    item_id: str = ""  # the suite item it asked
    control: bool = False  # the same model on both sides, to check the raters
    repeat_of: str | None = None  # a rated round shown again with its sides swapped
    left_checks: list[dict] | None = None  # automatic check results per answer
    right_checks: list[dict] | None = None


_JSON_FIELDS = ("params", "left_model", "right_model", "left_metrics", "right_metrics", "environment",
                "left_checks", "right_checks")
_QUANT_JSON = ("base", "other", "figures", "versions")
_BATCH_STATES = ("running", "paused", "cancelled", "finished")


@dataclass(frozen=True)
class BatchRecord:
    """A batch run: its suite, its plan of rounds (each with a key), its settings and its state."""

    id: str
    created_at: str
    suite: str
    plan: list[dict]
    settings: dict
    state: str


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
        row = {**record.__dict__, **{key: json.dumps(getattr(record, key)) for key in _JSON_FIELDS}}
        row["swapped"], row["control"] = int(record.swapped), int(record.control)
        columns = ", ".join(row)
        self._db.execute(f"INSERT INTO rounds ({columns}) VALUES ({', '.join(':' + c for c in row)})", row)

    def add_repeat(self, record: RoundRecord, vote: Vote) -> None:
        """Keep a swapped repeat and its vote together: the repeat exists only once it is rated."""
        with self._transaction():
            self.add_round(record)
            self.add_vote(vote)

    def add_vote(self, vote: Vote) -> bool:
        """Commit one vote at once; False when the same vote (round, rater, time) is already there."""
        return self._db.execute(_INSERT_VOTE, _vote_values(vote)).rowcount == 1

    def add_votes(self, votes: list[Vote]) -> int:
        """Commit many votes (an import) in one transaction; returns how many were new."""
        before = self._db.total_changes
        with self._transaction():
            # One statement for all: row by row, 100,000 votes took seconds of Python around SQLite.
            self._db.executemany(_INSERT_VOTE, map(_vote_values, votes))
        return self._db.total_changes - before

    def votes(self) -> list[Vote]:
        """Every vote, oldest first."""
        # Row by row, not fetchall: freeing 100,000 rows at once held Python's lock (and a GUI waiting on it) 20 ms.
        return [self._vote(row) for row in self._db.execute(f"SELECT {', '.join(_VOTE_COLUMNS)} FROM votes ORDER BY id")]

    def counts(self) -> tuple[int, int]:
        """(rounds, votes) committed, without reading them."""
        return (self._db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0],
                self._db.execute("SELECT COUNT(*) FROM votes").fetchone()[0])

    def round(self, round_id: str) -> RoundRecord | None:
        """One stored round, or None."""
        row = self._db.execute("SELECT * FROM rounds WHERE id = ?", (round_id,)).fetchone()
        return None if row is None else self._round(row)

    def rounds(self, batch_id: str | None = None) -> list[RoundRecord]:
        """Every stored round (or a batch's), oldest first."""
        where, args = ("WHERE batch_id = ?", (batch_id,)) if batch_id is not None else ("", ())
        rows = self._db.execute(f"SELECT * FROM rounds {where} ORDER BY created_at, rowid", args).fetchall()
        return [self._round(row) for row in rows]

    def add_batch(self, batch: BatchRecord) -> None:
        """Keep a new batch and its plan before its first round runs."""
        self._db.execute(
            "INSERT INTO batches (id, created_at, suite, plan, settings, state) VALUES (?, ?, ?, ?, ?, ?)",
            (batch.id, batch.created_at, batch.suite, json.dumps(batch.plan), json.dumps(batch.settings), batch.state),
        )

    def set_batch_state(self, batch_id: str, state: str) -> None:
        """Running, paused, cancelled or finished."""
        if state not in _BATCH_STATES:
            raise ValueError(f"unknown batch state {state!r}: use one of {', '.join(_BATCH_STATES)}")
        self._db.execute("UPDATE batches SET state = ? WHERE id = ?", (state, batch_id))

    def batch(self, batch_id: str) -> BatchRecord | None:
        """One stored batch, or None."""
        row = self._db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return None if row is None else self._batch(row)

    def batches(self) -> list[BatchRecord]:
        """Every batch, newest first."""
        rows = self._db.execute("SELECT * FROM batches ORDER BY created_at DESC, rowid DESC").fetchall()
        return [self._batch(row) for row in rows]

    def batch_keys_done(self, batch_id: str) -> set[str]:
        """The plan entries of a batch that already have their round stored."""
        rows = self._db.execute("SELECT batch_key FROM rounds WHERE batch_id = ?", (batch_id,)).fetchall()
        return {key for (key,) in rows}

    def history(self, rater: str | None = None) -> list[tuple]:
        """Every round with its latest vote, newest first, for the history window: plain tuples in HistoryRow's
        order (gui.core.history), `rated` saying whether `rater` has voted on it."""
        # The labels read by SQLite, the rows as its cursor makes them: 0.27 s for 50,000 rounds, where
        # sqlite3.Row and json.loads took 0.42 s before a dict was made of each.
        cursor = self._db.cursor()
        cursor.row_factory = None
        cursor.execute(
            """
            SELECT coalesce(v.identity_leak, 0), r.created_at, r.prompt, r.category,
                   json_extract(r.left_model, '$.label'), json_extract(r.right_model, '$.label'),
                   coalesce(v.outcome, ''), coalesce(v.rater, ''), r.id, r.chat_id,
                   EXISTS (SELECT 1 FROM votes WHERE round_id = r.id AND rater = ?)
            FROM rounds r LEFT JOIN votes v ON v.id = (SELECT max(id) FROM votes WHERE round_id = r.id)
            ORDER BY r.created_at DESC
            """,
            (rater,),
        )
        return cursor.fetchall()

    def add_quant_comparison(self, comparison: QuantComparison) -> None:
        """Keep a comparison of two quantizations with what reproduces it (fingerprints, text hash, versions)."""
        row = {**comparison.__dict__, **{key: json.dumps(getattr(comparison, key)) for key in _QUANT_JSON}}
        columns = ", ".join(row)
        self._db.execute(f"INSERT INTO quant_comparisons ({columns}) VALUES ({', '.join(':' + c for c in row)})", row)

    def quant_comparisons(self, family: str | None = None) -> list[QuantComparison]:
        """Every comparison (or one base model's, by its family key), newest first."""
        where, args = ("WHERE family = ?", (family,)) if family is not None else ("", ())
        rows = self._db.execute(f"SELECT * FROM quant_comparisons {where} ORDER BY created_at DESC, rowid DESC", args)
        return [QuantComparison(**{key: json.loads(value) if key in _QUANT_JSON else value
                                   for key, value in dict(row).items()}) for row in rows.fetchall()]

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
    def _round(row: sqlite3.Row) -> RoundRecord:
        fields = dict(row)
        for key in _JSON_FIELDS:
            fields[key] = json.loads(fields[key]) if fields[key] is not None else None
        fields["swapped"], fields["control"] = bool(fields["swapped"]), bool(fields["control"])
        return RoundRecord(**fields)

    @staticmethod
    def _batch(row: sqlite3.Row) -> BatchRecord:
        fields = dict(row)
        fields["plan"], fields["settings"] = json.loads(fields["plan"]), json.loads(fields["settings"])
        return BatchRecord(**fields)

    @staticmethod
    def _vote(row: sqlite3.Row) -> Vote:
        fields = dict(row)
        fields["outcome"] = Outcome(fields["outcome"])
        fields["identity_leak"] = bool(fields["identity_leak"])
        fields["control"] = bool(fields["control"])
        return Vote(**fields)
