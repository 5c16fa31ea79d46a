"""Numbered schema migrations, applied in order when the store opens (sqlite-utils' `Migrations`).

A fresh database and an old one end with the same schema; sqlite-utils records what ran in
`_sqlite_migrations` under the set name "bot". Databases made before that kept their own
`_migrations` table: `bridge_legacy` copies its names over once, so nothing runs twice.
To add a migration, append a function decorated with `@migrations()` below the last one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("bot")
LEGACY_TABLE = "_migrations"  # what the store used before sqlite-utils' Migrations (m001..m008)


def bridge_legacy(db: Database) -> None:
    """Record the migrations a database applied the old way as applied in sqlite-utils' table,
    once: later opens find them there. The old table is left as it was (nothing reads it)."""
    if not db[LEGACY_TABLE].exists():
        return
    known = {m.name for m in migrations.applied(db)}
    legacy = [r for r in db.table(LEGACY_TABLE).rows_where(order_by="rowid") if r["name"] not in known]
    if not legacy:
        return
    with db.atomic():
        migrations.ensure_migrations_table(db)
        db.table(Migrations.migrations_table).insert_all(
            {"migration_set": migrations.name, "name": r["name"], "applied_at": r["applied_at"]} for r in legacy)


def migrate(db: Database, stop_before: str | None = None) -> None:
    """Bring `db` up to date; `stop_before` (tests) leaves that migration and later ones pending."""
    bridge_legacy(db)
    migrations.apply(db, stop_before=stop_before)


def names() -> list[str]:
    """Every migration, in the order it runs."""
    return [m.name for m in migrations.pending(Database(memory=True))]


@migrations()
def m001_sessions(db: Database) -> None:
    db.table("sessions").create(
        {"id": str, "candidate": str, "role": str, "level": str, "started_at": str, "ended_at": str,
         "grader": str, "settings": str},
        pk="id",
    )
    db.table("sessions").create_index(["candidate", "started_at"])


@migrations()
def m002_turns(db: Database) -> None:
    db.table("turns").create(
        {"id": int, "session_id": str, "seq": int, "question_id": str, "kind": str, "parent_turn_id": int,
         "prompt": str, "focus_point_ids": str, "answer": str, "asked_at": str, "answered_at": str},
        pk="id",
        foreign_keys=[("session_id", "sessions", "id"), ("parent_turn_id", "turns", "id")],
    )
    db.table("turns").create_index(["session_id", "seq"])


@migrations()
def m003_grades(db: Database) -> None:
    db.table("grades").create(
        {"id": int, "turn_id": int, "grader": str, "model": str, "score": float, "points": str,
         "strengths": str, "gaps": str, "follow_ups": str, "hints": str, "notices": str,
         "graded_at": str, "grade_ms": float},
        pk="id",
        foreign_keys=[("turn_id", "turns", "id")],
    )
    db.table("grades").create_index(["turn_id"])


@migrations()
def m004_spoken_answers(db: Database) -> None:
    """A spoken answer keeps its recording (a path beside the database), the raw transcript
    and the delivery metrics; the answer column still holds what the candidate submitted."""
    turns = db.table("turns")
    turns.add_column("audio_path", str)
    turns.add_column("transcript", str)
    turns.add_column("delivery", str)


@migrations()
def m005_session_owners(db: Database) -> None:
    """Sessions belong to an owner key (`hf:<user>` or `local:<hash of a browser token>`); the
    candidate name is only a label. Rows from before owners existed are keyed by their name."""
    sessions = db.table("sessions")
    sessions.add_column("owner", str)
    db.execute("update sessions set owner = 'name:' || coalesce(candidate, '') where owner is null")
    sessions.create_index(["owner", "started_at"])


@migrations()
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


@migrations()
def m007_transcript_view(db: Database) -> None:
    """One readable row per turn: session, question, answer, latest AI grade, latest coach override."""
    db.create_view("transcript", TRANSCRIPT_VIEW.strip(), replace=True)


@migrations()
def m008_false_claims(db: Database) -> None:
    """A grade keeps the false claims found in the answer (the candidate's words and what is right);
    grades from before have none. The transcript view shows them."""
    db.table("grades").add_column("false_claims", str)
    db.create_view("transcript", TRANSCRIPT_VIEW.strip(), replace=True)


@migrations()
def m009_sign_in_failures(db: Database) -> None:
    """Wrong coach passwords (wall-clock time, caller address), so the sign-in pause survives a restart."""
    db.table("sign_in_failures").create({"id": int, "at": float, "caller": str}, pk="id")
    db.table("sign_in_failures").create_index(["at"])


@migrations()
def m010_turn_drafts(db: Database) -> None:
    """What the candidate has typed but not submitted (kept per turn, restored on resume), and when
    the candidate asked to see a question's model answer (the turn of that attempt; it closes the
    attempt's follow-ups, so the model answer is never shown before they are answered or skipped)."""
    turns = db.table("turns")
    turns.add_column("draft", str)
    turns.add_column("draft_saved_at", str)
    turns.add_column("model_answer_shown_at", str)


@migrations()
def m011_session_mode(db: Database) -> None:
    """A session is a practice session or a mock interview ("practice" / "interview"); both keep
    their turns and grades the same way. Sessions from before modes existed read as practice."""
    db.table("sessions").add_column("mode", str, not_null_default="practice")
