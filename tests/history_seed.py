"""A small, fully known history in a SessionStore: two sessions for Ana, one for someone else.

The figures the tests expect are worked out by hand in tests/test_progress.py from these rows.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.grading import Grade, PointGrade
from bot.store import SessionStore

ANA, OTHER = "local:ana-owner-key", "local:other-owner-key"


def grade(score: float, verdicts: dict[str, str]) -> Grade:
    return Grade(score=score, grader="rubric", points=[
        PointGrade(point_id=pid, text=f"point {pid}", weight=1.0, verdict=v, evidence=None) for pid, v in verdicts.items()])


def add_session(store: SessionStore, owner: str, name: str, started_at: str,
                turns: list[tuple[str, str, Grade]]) -> tuple[str, list[int]]:
    """A session started at `started_at` with one graded answer per (question id, answer, grade)."""
    session_id = store.create_session(name, "embedding-engineer", "mid", "rubric", {}, owner)
    ids = []
    for qid, answer, g in turns:
        turn_id = store.add_turn(session_id, qid, f"the text of {qid}")
        store.save_answer(turn_id, answer)
        store.save_grade(turn_id, g, [], 1.0)
        ids.append(turn_id)
    db = Database(store.path)
    db.table("sessions").update(session_id, {"started_at": started_at})
    db.conn.close()
    return session_id, ids


def seed(store: SessionStore) -> dict:
    s1, (t1, t2) = add_session(store, ANA, "Ana", "2026-03-01T10:00:00.000+00:00", [
        ("emb-004", "CBOW predicts the centre word.",
         grade(4.0, {"cbow": "covered", "skipgram": "missing", "rare-words": "partial", "speed": "covered"})),
        ("emb-005", "Negative sampling is cheaper.", grade(6.0, {"cost": "covered", "binary": "missing"})),
    ])
    s2, (t3, t4) = add_session(store, ANA, "Ana", "2026-03-08T10:00:00.000+00:00", [
        ("emb-001", "I used MiniLM at work.", grade(8.0, {"names-models": "covered", "rationale": "missing"})),
        ("emb-004", "Not sure.",
         grade(2.0, {"cbow": "missing", "skipgram": "missing", "rare-words": "missing", "speed": "missing"})),
    ])
    s3, (t5,) = add_session(store, OTHER, "Ana", "2026-03-05T10:00:00.000+00:00", [  # same name, other person
        ("emb-004", "Someone else's answer.",
         grade(10.0, {"cbow": "covered", "skipgram": "covered", "rare-words": "covered", "speed": "covered"})),
    ])
    return {"s1": s1, "s2": s2, "other": s3, "turns": [t1, t2, t3, t4], "other_turn": t5}


def seed_with_override(store: SessionStore, coach: str) -> dict:
    """The seed, plus a coach raising Ana's last answer from 2.0 to 9.0 and marking one point covered."""
    from bot.review import Review

    ids = seed(store)
    Review(store).override(coach, ids["s2"], ids["turns"][3], "Better than it looks.", 9.0, {"skipgram": "covered"})
    return ids
