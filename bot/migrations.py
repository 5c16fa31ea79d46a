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


@migration
def m005_session_owners(db: Database) -> None:
    """Sessions belong to an owner key (`hf:<user>` or `local:<hash of a browser token>`); the
    candidate name is only a label. Rows from before owners existed are keyed by their name."""
    sessions = db.table("sessions")
    sessions.add_column("owner", str)
    db.execute("update sessions set owner = 'name:' || coalesce(candidate, '') where owner is null")
    sessions.create_index(["owner", "started_at"])


@migration
def m006_coach_overrides(db: Database) -> None:
    """A coach's note and score override for a turn; the AI grade row is never changed."""
    db.table("overrides").create(
        {"id": int, "turn_id": int, "grade_id": int, "coach": str, "note": str, "score": float,
         "points": str, "created_at": str},
        pk="id",
        foreign_keys=[("turn_id", "turns", "id"), ("grade_id", "grades", "id")],
    )
    db.table("overrides").create_index(["turn_id", "created_at"])


TRANSCRIPT_VIEW = """
select
  s.id as session_id, s.candidate, s.owner, s.role, s.level,
  s.started_at as session_started_at, s.ended_at as session_ended_at,
  t.id as turn_id, t.seq as turn_number, t.kind, t.question_id, t.parent_turn_id,
  t.prompt as question, t.answer, t.asked_at, t.answered_at,
  t.audio_path, t.transcript as spoken_transcript, t.delivery,
  g.id as grade_id, g.grader, g.model as grader_model, g.score as ai_score,
  g.points as ai_point_verdicts, g.strengths, g.gaps, g.follow_ups, g.notices as grade_notices, g.graded_at,
  g.false_claims,
  o.id as override_id, o.coach, o.note as coach_note, o.score as coach_score,
  o.points as coach_point_verdicts, o.created_at as overridden_at,
  case when g.id is null then null else coalesce(o.score, g.score) end as final_score
from turns t
join sessions s on s.id = t.session_id
left join grades g on g.id = (select max(id) from grades where turn_id = t.id)
left join overrides o on o.id = (select max(id) from overrides where turn_id = t.id)
"""


@migration
def m007_transcript_view(db: Database) -> None:
    """One readable row per turn: session, question, answer, latest AI grade, latest coach override."""
    db.create_view("transcript", TRANSCRIPT_VIEW.strip(), replace=True)


@migration
def m008_false_claims(db: Database) -> None:
    """A grade keeps the false claims found in the answer (the candidate's words and what is right);
    grades from before have none. The transcript view shows them."""
    db.table("grades").add_column("false_claims", str)
    db.create_view("transcript", TRANSCRIPT_VIEW.strip(), replace=True)
