"""Numbered schema migrations, applied in order when the store opens.

A fresh database and an old one end with the same schema; `_migrations` records what ran.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

MIGRATIONS: list[Callable[[Database], None]] = []


def migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    MIGRATIONS.append(fn)
    return fn


def migrate(db: Database) -> None:
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db.table("_migrations").rows}
    for fn in MIGRATIONS:
        if fn.__name__ not in done:
            with db.conn:
                fn(db)
                db.table("_migrations").insert({"name": fn.__name__, "applied_at": datetime.now(UTC).isoformat()})


@migration
def m001_sessions(db: Database) -> None:
    db.table("sessions").create(
        {"id": str, "candidate": str, "role": str, "level": str, "started_at": str, "ended_at": str,
         "grader": str, "settings": str},
        pk="id",
    )
    db.table("sessions").create_index(["candidate", "started_at"])


@migration
def m002_turns(db: Database) -> None:
    db.table("turns").create(
        {"id": int, "session_id": str, "seq": int, "question_id": str, "kind": str, "parent_turn_id": int,
         "prompt": str, "focus_point_ids": str, "answer": str, "asked_at": str, "answered_at": str},
        pk="id",
        foreign_keys=[("session_id", "sessions", "id"), ("parent_turn_id", "turns", "id")],
    )
    db.table("turns").create_index(["session_id", "seq"])


@migration
def m003_grades(db: Database) -> None:
    db.table("grades").create(
        {"id": int, "turn_id": int, "grader": str, "model": str, "score": float, "points": str,
         "strengths": str, "gaps": str, "follow_ups": str, "hints": str, "notices": str,
         "graded_at": str, "grade_ms": float},
        pk="id",
        foreign_keys=[("turn_id", "turns", "id")],
    )
    db.table("grades").create_index(["turn_id"])


@migration
def m004_spoken_answers(db: Database) -> None:
    """A spoken answer keeps its recording (a path beside the database), the raw transcript
    and the delivery metrics; the answer column still holds what the candidate submitted."""
    turns = db.table("turns")
    turns.add_column("audio_path", str)
    turns.add_column("transcript", str)
    turns.add_column("delivery", str)
