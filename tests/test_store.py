"""The SQLite store: migrations on a blank database, answers kept even when grading fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import migrations
from bot.store import SessionFilter, SessionStore
from tests.helpers import open_question

FIXTURES = Path(__file__).parent / "fixtures" / "db"


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
        applied = [r[0] for r in conn.execute("select name from _sqlite_migrations order by id")]
    assert applied == migrations.names()
    assert "owner" in columns(db, "sessions")
    assert {"id", "at", "caller"} <= columns(db, "sign_in_failures")
    assert {"id", "turn_id", "grade_id", "coach", "note", "score", "points", "created_at"} <= columns(db, "overrides")
    assert {"session_id", "candidate", "question", "answer", "ai_score", "coach_note", "coach_score",
            "final_score"} <= columns(db, "transcript")
    SessionStore(db)  # reopening applies nothing twice
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from _sqlite_migrations").fetchone()[0] == len(applied)


def test_the_answer_is_stored_even_when_grading_raises(settings, embedder) -> None:
    from bot.grading import Grader
    from bot.interview import InterviewError
    from bot.services import build_interview

    class Broken(Grader):
        kind = "broken"

        def grade(self, question, rubric_points, answer, red_flags=()):
            raise RuntimeError("grader exploded")

    interview = build_interview(settings, embedder=embedder, grader=Broken())
    # an open question: a multiple-choice one is graded exactly, not by the grader under test
    turn = interview.start("ana", "embedding-engineer", "mid", question_id=open_question(interview.corpus))
    with pytest.raises(InterviewError, match="saved"):
        interview.submit(turn.session_id, turn.turn_id, "My answer that must not be lost.")
    stored = interview.store.turn(turn.turn_id)
    assert stored["answer"] == "My answer that must not be lost." and stored["answered_at"]
    assert interview.store.grade_for(turn.turn_id) is None


def test_an_old_database_is_migrated_forward_and_keeps_its_rows(tmp_path: Path) -> None:

    old = tmp_path / "old.db"
    db = Database(old)
    migrations.migrate(db, stop_before="m004_spoken_answers")  # a database from before spoken answers existed
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
    from bot.grading import Grade

    old = tmp_path / "m004.db"
    db = Database(old)
    migrations.migrate(db, stop_before="m005_session_owners")  # a database written before m005
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
    from bot.grading import FalseClaim, Grade, PointGrade, Verdict

    path = tmp_path / "m007.db"
    db = Database(path)
    migrations.migrate(db, stop_before="m008_false_claims")  # a database written before false claims were kept
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


def test_a_database_made_before_sqlite_utils_migrations_is_bridged_once_and_keeps_its_rows(tmp_path: Path) -> None:
    """tests/fixtures/db/store-m008.db was written by the store of b84f961, which recorded m001..m008
    in its own `_migrations` table: opening it records them for sqlite-utils and runs none again."""
    import shutil

    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "store-m008.db", path)
    with sqlite3.connect(path) as conn:
        legacy = [r[0] for r in conn.execute("select name from _migrations order by rowid")]
        before = conn.execute("select count(*) from grades").fetchone()[0]
    store = SessionStore(path)
    SessionStore(path)  # a second open finds everything applied
    with sqlite3.connect(path) as conn:
        applied = conn.execute("select name, applied_at from _sqlite_migrations where migration_set = 'bot' "
                               "order by id").fetchall()
        old_times = dict(conn.execute("select name, applied_at from _migrations"))
        assert conn.execute("select count(*) from grades").fetchone()[0] == before
    assert [name for name, _ in applied] == migrations.names() and legacy == migrations.names()[:len(legacy)]
    assert all(old_times[name] == when for name, when in applied if name in old_times)  # the old record is kept
    fresh = tmp_path / "fresh.db"
    SessionStore(fresh)
    for table in ("sessions", "turns", "grades", "overrides", "transcript"):
        assert columns(path, table) == columns(fresh, table), table
    (record,) = store.session_records([s["session_id"] for s in store.find_sessions(SessionFilter())])
    assert [t["final_score"] for t in record["turns"]] == [6.0, 0.0, None]


def test_every_read_returns_a_named_record_with_its_json_decoded(tmp_path: Path) -> None:
    """bot/records.py names what the store hands out: SessionRow, TurnRow, SessionSummary, Hint,
    SessionRecord (and grading's Grade); no read hands back raw JSON text."""
    from bot.grading import Grade, GraderKind, PointGrade, Verdict
    from bot.records import Hint

    store = SessionStore(tmp_path / "s.db")
    sid = store.create_session("Ana", "r", "mid", "rubric", {"topics": ["rag"]}, "local:ana")
    turn = store.add_turn(sid, "q-1", "Why?", focus_point_ids=["a"])
    store.save_transcript(turn, "spoken words", {"wpm": 120.0})
    store.save_answer(turn, "an answer")
    hint = Hint("q-2", "Another question?", "a related point", 0.7)
    point = PointGrade(point_id="a", text="a point", weight=1.0, verdict=Verdict.partial)
    store.save_grade(turn, Grade(score=5.0, grader="rubric", points=[point]), [hint], 1.0)

    session = store.session(sid)
    assert session["settings"] == {"topics": ["rag"]} and session["mode"] == "practice"
    assert store.latest_session("local:ana") == session
    row = store.turn(turn)
    assert row["focus_point_ids"] == ["a"] and row["delivery"] == {"wpm": 120.0} and store.turns(sid) == [row]
    assert store.hints_for(turn) == [hint]
    (listed,) = store.find_sessions(SessionFilter(owner="local:ana"))
    assert listed["mode"] == "practice" and listed["graded"] == 1 and listed["average"] == 5.0
    graded = store.session_record(sid)["turns"][0]["grade"]
    assert graded["grader"] is GraderKind.rubric and graded["points"][0]["verdict"] is Verdict.partial
