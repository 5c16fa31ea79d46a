"""The SQLite store: migrations on a blank database, answers kept even when grading fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store import SessionStore


def columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[1] for row in conn.execute(f"pragma table_info({table})")}


def test_migrations_on_a_blank_database_give_the_expected_columns(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    SessionStore(db)
    assert {"id", "candidate", "role", "level", "started_at", "ended_at", "grader", "settings"} <= columns(db, "sessions")
    assert {"id", "session_id", "question_id", "kind", "parent_turn_id", "prompt", "answer", "asked_at",
            "answered_at", "audio_path", "transcript", "delivery"} <= columns(db, "turns")
    assert {"id", "turn_id", "grader", "model", "score", "points", "follow_ups", "notices", "grade_ms"} <= columns(db, "grades")
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        applied = [r[0] for r in conn.execute("select name from _migrations order by name")]
    assert applied == ["m001_sessions", "m002_turns", "m003_grades", "m004_spoken_answers", "m005_session_owners",
                       "m006_coach_overrides", "m007_transcript_view", "m008_false_claims"]
    assert "owner" in columns(db, "sessions")
    assert {"id", "turn_id", "grade_id", "coach", "note", "score", "points", "created_at"} <= columns(db, "overrides")
    assert {"session_id", "candidate", "question", "answer", "ai_score", "coach_note", "coach_score",
            "final_score"} <= columns(db, "transcript")
    SessionStore(db)  # reopening applies nothing twice
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from _migrations").fetchone()[0] == 8


def test_the_answer_is_stored_even_when_grading_raises(settings, embedder) -> None:
    from bot.grading import Grader
    from bot.interview import InterviewError
    from bot.services import build_interview

    class Broken(Grader):
        kind = "broken"

        def grade(self, question, rubric_points, answer, red_flags=()):
            raise RuntimeError("grader exploded")

    interview = build_interview(settings, embedder=embedder, grader=Broken())
    turn = interview.start("ana", "embedding-engineer", "mid")
    while turn.question.options:  # an MCQ is graded exactly, not by the grader under test
        turn = interview.next_question(turn.session_id)
    try:
        interview.submit(turn.session_id, turn.turn_id, "My answer that must not be lost.")
    except InterviewError as exc:
        assert "saved" in str(exc)
    else:
        raise AssertionError("grading should have failed")
    stored = interview.store.turn(turn.turn_id)
    assert stored["answer"] == "My answer that must not be lost." and stored["answered_at"]
    assert interview.store.grade_for(turn.turn_id) is None


def test_an_old_database_is_migrated_forward_and_keeps_its_rows(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from bot import migrations

    old = tmp_path / "old.db"
    db = Database(old)
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    for fn in migrations.MIGRATIONS[:3]:  # a database from before spoken answers existed
        fn(db)
        db.table("_migrations").insert({"name": fn.__name__, "applied_at": "2026-01-01"})
    db.table("sessions").insert({"id": "s1", "candidate": "ana", "role": "r", "level": "mid"})
    db.table("turns").insert({"session_id": "s1", "seq": 1, "question_id": "q", "kind": "question",
                              "prompt": "p", "answer": "kept", "focus_point_ids": "[]"})
    db.conn.close()

    store = SessionStore(old)
    fresh = tmp_path / "fresh.db"
    SessionStore(fresh)
    for table in ("sessions", "turns", "grades"):
        assert columns(old, table) == columns(fresh, table)
    assert store.turns("s1")[0]["answer"] == "kept"


def test_a_database_from_before_owners_is_upgraded_and_its_sessions_keyed_by_name(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from bot import migrations
    from bot.grading import Grade

    old = tmp_path / "m004.db"
    db = Database(old)
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    for fn in migrations.MIGRATIONS[:4]:  # a database written before m005
        fn(db)
        db.table("_migrations").insert({"name": fn.__name__, "applied_at": "2026-01-01"})
    db.table("sessions").insert({"id": "s1", "candidate": "Ana", "role": "r", "level": "mid",
                                 "started_at": "2026-01-02T09:00:00+00:00"})
    db.table("turns").insert({"id": 1, "session_id": "s1", "seq": 1, "question_id": "q", "kind": "question",
                              "prompt": "p", "answer": "kept", "focus_point_ids": "[]"})
    db.conn.close()

    store = SessionStore(old)
    store.save_grade(1, Grade(score=6.0, grader="rubric", points=[]), [], 1.0)
    assert store.session("s1")["owner"] == "name:Ana"
    fresh = tmp_path / "fresh.db"
    SessionStore(fresh)
    for table in ("sessions", "turns", "grades", "overrides", "transcript"):
        assert columns(old, table) == columns(fresh, table), table
    with sqlite3.connect(old) as conn:
        row = conn.execute("select candidate, answer, ai_score, final_score from transcript").fetchone()
    assert row == ("Ana", "kept", 6.0, 6.0)


def test_false_claims_round_trip_and_grades_from_before_them_still_load(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from bot import migrations
    from bot.grading import FalseClaim, Grade, PointGrade, Verdict

    path = tmp_path / "m007.db"
    db = Database(path)
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    for fn in migrations.MIGRATIONS[:7]:  # a database written before false claims were kept
        fn(db)
        db.table("_migrations").insert({"name": fn.__name__, "applied_at": "2026-11-01"})
    db.table("sessions").insert({"id": "s1", "candidate": "Ana", "role": "r", "level": "mid", "owner": "o",
                                 "started_at": "2026-11-02T09:00:00+00:00"})
    for turn in (1, 2):
        db.table("turns").insert({"id": turn, "session_id": "s1", "seq": turn, "question_id": "q", "kind": "question",
                                  "prompt": "p", "answer": "a", "focus_point_ids": "[]"})
    db.table("grades").insert({"turn_id": 1, "grader": "rubric", "model": None, "score": 5.0, "points": "[]",
                               "strengths": "[]", "gaps": "[]", "follow_ups": "[]", "hints": "[]", "notices": "[]",
                               "graded_at": "2026-11-02T09:01:00+00:00", "grade_ms": 1.0})
    db.conn.close()

    store = SessionStore(path)
    assert store.grade_for(1).false_claims == []
    wrong = PointGrade(point_id="few", text="t", weight=1.0, verdict=Verdict.incorrect, evidence="every word")
    claim = FalseClaim(quote="every word is updated", fact="only a few negatives are updated", point_id="few")
    store.save_grade(2, Grade(score=0.0, grader="rubric", points=[wrong], false_claims=[claim]), [], 1.0)
    assert store.grade_for(2).false_claims == [claim]
    assert store.grade_for(2).points[0].verdict is Verdict.incorrect
    turns = store.session_record("s1")["turns"]
    assert turns[0]["grade"]["false_claims"] == [] and turns[1]["grade"]["false_claims"][0]["fact"] == claim.fact
