"""SIGKILL while votes stream into the results database: every committed vote survives, nothing is half-written."""

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from gui.core.rating_queue import RatingQueue
from gui.core.records import vote_on
from gui.core.store import RoundRecord, Store
from gui.core.votes import Outcome

RATER = "kim"
ROUNDS = 2000  # far more than a child rates before it is killed
KILLS = 3
OUTCOMES = [outcome.value for outcome in Outcome]
METRICS = {"tokens": 12, "ttft_s": 0.25, "decode_tps": 40.0, "stop_reason": "end of text", "error": None}

# The rating queue's real vote path (RatingSession.cast_vote: store.add_vote, or add_repeat for a
# swapped repeat), as fast as it goes; each line is printed only after its commit returned.
CHILD = """
import random, sys
from gui.app import start_qt
start_qt("offscreen")
from gui.core.rating_queue import RatingQueue
from gui.core.store import Store
from gui.controllers.rating import RatingSession
store = Store(sys.argv[1])
session = RatingSession(None, store, rng=random.Random(0))
session.queue = RatingQueue(store.rounds(), store.votes(), {rater!r}, repeat_rate=0.3, rng=random.Random())
outcomes = {outcomes!r}
number = 0
while (record := session.queue.next()) is not None:
    vote = session.cast_vote(outcomes[number % 4], number % 4, None, "comment " + record.id)
    print(vote.round_id, vote.cast_at, flush=True)
    number += 1
"""


def a_round(number: int) -> RoundRecord:
    return RoundRecord(
        id=f"r{number:04d}", created_at=f"2026-11-23T10:00:00.{number:04d}+00:00", chat_id=f"c{number}", turn=1,
        prompt=f"Question {number}?", category="math", mode="sequential", params={"left": {}, "right": {}},
        swapped=number % 2 == 1, left_model={"label": "Alpha"}, right_model={"label": "Beta"},
        left_output=f"alpha {number}", right_output=f"beta {number}",
        left_metrics={**METRICS, "tokens": number}, right_metrics=METRICS, environment={"cores": 2},
    )


def rate_until_killed(db: Path, rng: random.Random) -> list[tuple[str, str]]:
    """Start the rating child, SIGKILL it at a random moment among its commits; the votes it reported."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD.format(rater=RATER, outcomes=OUTCOMES)),
                              str(db)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    reported = []
    try:
        wanted = rng.randint(20, 80)
        for line in child.stdout:
            reported.append(tuple(line.split()))
            if len(reported) == wanted:
                time.sleep(rng.uniform(0, 0.01))  # land anywhere in the next commit, not just after a print
                break
        else:
            raise AssertionError(f"the child ended after {len(reported)} votes, before it could be killed")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    # Printed before the kill, still in the pipe; a line the kill cut short was never reported whole.
    reported += [tuple(line.split()) for line in child.stdout if line.endswith("\n")]
    return reported


def check_nothing_lost_or_half_written(store: Store, reported: list[tuple[str, str]], kills: int) -> None:
    assert store.integrity_check() == "ok"
    votes, rounds = store.votes(), {r.id: r for r in store.rounds()}
    kept = {(v.round_id, v.cast_at) for v in votes}
    assert set(reported) <= kept, "a vote reported as committed is gone"
    # Only the vote under way when a kill came may be in without having been reported.
    assert 0 <= len(votes) - len(reported) <= kills
    assert len({v.round_id for v in votes}) == len(votes), "a round was rated twice"
    for vote in votes:
        record = rounds[vote.round_id]  # no vote without its round
        assert (vote.rater, vote.comment, vote.repeat_of) == (RATER, f"comment {record.id}", record.repeat_of)
        assert (vote.model_left, vote.model_right) == (record.left_model["label"], record.right_model["label"])
    repeats = [r for r in rounds.values() if r.repeat_of is not None]
    assert repeats, "no swapped repeat was rated: the repeat-and-vote transaction went untested"
    voted = {v.round_id for v in votes}
    for repeat in repeats:
        assert repeat.id in voted, "a swapped repeat was stored without its vote"
        original = rounds[repeat.repeat_of]
        assert (repeat.left_output, repeat.right_output) == (original.right_output, original.left_output)
        assert (repeat.left_metrics, repeat.right_metrics) == (original.right_metrics, original.left_metrics)
    assert len(rounds) == ROUNDS + len(repeats)


def test_votes_streaming_into_the_database_survive_sigkill_and_rating_resumes(tmp_path):
    db = tmp_path / "results.sqlite"
    store = Store(db)
    for number in range(ROUNDS):
        store.add_round(a_round(number))
    store.close()
    rng = random.Random()
    reported: list[tuple[str, str]] = []
    for kills in range(1, KILLS + 1):  # each restart rates on from where the killed one stopped
        reported += rate_until_killed(db, rng)
        store = Store(db)
        check_nothing_lost_or_half_written(store, reported, kills)
        store.close()

    store = Store(db)
    queue = RatingQueue(store.rounds(), store.votes(), RATER)
    record = queue.next()
    assert record.id not in {v.round_id for v in store.votes()}, "a rated round was offered again"
    assert store.add_vote(vote_on(record, "tie", RATER, None, None, "after the crashes"))
    again = Store(db)
    assert again.votes()[-1].comment == "after the crashes" and again.integrity_check() == "ok"
    again.close()
    store.close()
