"""SessionStore: sessions, turns and grades in SQLite through sqlite-utils.

Gradio runs handlers on worker threads, so each thread has a connection of its own, kept for
its next operation (WAL mode and a busy timeout let them share the file safely). Every read
returns a named shape from bot/records.py (or grading's Grade): rows become records there, not here.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.errors import StoreError
from bot.grading import Grade, Verdict
from bot.migrations import migrate
from bot.records import (
    Hint,
    SessionRecord,
    SessionRow,
    SessionSummary,
    TurnRecord,
    TurnRow,
    grade_from_row,
    hints_from_json,
    hints_to_json,
    session_record,
    session_row,
    turn_record,
    turn_row,
)

BUSY_TIMEOUT_S = 10.0
FULL_DISK_BYTES = 1 << 20  # less free space than this, and a failed write is put down to a full disk
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions to list: every field left None matches everything."""

    owner: str | None = None
    candidate: str | None = None  # case-insensitive, part of the name
    role: str | None = None
    level: str | None = None
    started_from: str | None = None  # ISO timestamps compared with started_at: from <= t < before
    started_before: str | None = None
    min_score: float | None = None  # on the session average (coach overrides replace AI scores)
    max_score: float | None = None
    session_id: str | None = None
    order: str = "newest"


SESSION_ORDER = {
    "newest": "s.started_at desc", "oldest": "s.started_at asc",
    "score-high": "average is null, average desc, s.started_at desc",
    "score-low": "average is null, average asc, s.started_at desc",
    "candidate": "lower(s.candidate) asc, s.started_at desc",
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def diagnose(path: Path, exc: BaseException) -> str:
    """Why the database at `path` failed, in words a site owner can act on."""
    text = str(exc).lower()
    folder = path.parent
    if path.is_dir():
        return f"{path} is a folder, not a database file"
    if "readonly" in text or "read-only" in text or (folder.is_dir() and not os.access(folder, os.W_OK)):
        return "the database or its folder is read-only"
    try:
        full = shutil.disk_usage(folder).free < FULL_DISK_BYTES
    except OSError:
        full = False
    if "full" in text or full:
        return "the disk holding it is full"
    if "not a database" in text or "malformed" in text:
        return f"{path} is damaged or is not a SQLite database"
    if "locked" in text or "busy" in text:
        return "it is busy with another writer"
    return str(exc)


class SessionStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()  # each thread's connection (_db)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.enable_wal()
                migrate(db)
        except (OSError, sqlite3.Error, StoreError) as exc:
            cause = exc.__cause__ if isinstance(exc, StoreError) and exc.__cause__ else exc
            raise StoreError(f"Cannot open the session database at {self.path}: {diagnose(self.path, cause)}. "
                             "Point BOT_DB_PATH (or BOT_DATA_DIR) at a writable folder with free space.") from None

    @contextmanager
    def _db(self) -> Iterator[Database]:
        """This thread's connection, opened on its first use and kept (opening one, and SQLite reading
        the schema again on it, was a tenth of the app's CPU under `python -m bot loadtest`). A
        connection that failed is closed and not kept: the next operation opens a fresh one."""
        db = getattr(self._local, "db", None)
        try:
            if db is None:
                db = Database(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False))
                db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                db.execute("PRAGMA foreign_keys = ON")
                self._local.db = db
            try:
                yield db
            finally:  # nothing is left open to hold the write lock (as closing did), whatever was raised
                if db.conn.in_transaction:
                    db.conn.rollback()
        except sqlite3.Error as exc:
            self._local.db = None  # not kept: the next operation opens a fresh one
            if db is not None:
                db.conn.close()
            raise self._failure(exc) from exc

    def close(self) -> None:
        """Close this thread's connection (the next operation on the thread opens a new one)."""
        db, self._local.db = getattr(self._local, "db", None), None
        if db is not None:
            db.conn.close()

    def _failure(self, exc: sqlite3.Error) -> StoreError:
        """A sentence for the candidate; the details go to the log for the site owner."""
        reason = diagnose(self.path, exc)
        log.error("session database %s failed: %s (%s)", self.path, exc, reason)
        return StoreError(f"Your work could not be saved just now: the session database failed ({reason}). "
                          "What you typed is still on screen; try again in a moment.")

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One write transaction that takes the write lock up front (BEGIN IMMEDIATE).

        A deferred transaction that reads first (a count, or sqlite-utils looking up the columns)
        cannot wait for the lock when it later writes: SQLite fails it at once with "database is
        locked" if another connection committed meanwhile. Taking the lock first lets the busy
        timeout queue concurrent writers instead (found by `python -m bot loadtest`).
        """
        with self._db() as db:  # which rolls it back if anything is raised
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.conn.commit()

    # writes -------------------------------------------------------------------------------

    def create_session(self, candidate: str, role: str, level: str, grader: str, settings: dict,
                       owner: str | None = None, mode: str = "practice") -> str:
        """A new session; `owner` is the key access is checked on (the name is only a label);
        `mode` is "practice" or "interview" (a mock interview, bot/mock.py)."""
        session_id = uuid.uuid4().hex
        with self._write() as db:
            db.table("sessions").insert({
                "id": session_id, "candidate": candidate, "role": role, "level": level,
                "started_at": now(), "ended_at": None, "grader": grader, "settings": json.dumps(settings),
                "owner": owner or f"name:{candidate}", "mode": mode,
            })
        return session_id

    def end_session(self, session_id: str) -> None:
        with self._write() as db:
            db.table("sessions").update(session_id, {"ended_at": now()})

    def add_turn(self, session_id: str, question_id: str, prompt: str, kind: str = "question",
                 parent_turn_id: int | None = None, focus_point_ids: list[str] | None = None) -> int:
        with self._write() as db:
            seq = db.execute("select count(*) from turns where session_id = ?", [session_id]).fetchone()[0]
            table = db.table("turns").insert({
                "session_id": session_id, "seq": seq + 1, "question_id": question_id, "kind": kind,
                "parent_turn_id": parent_turn_id, "prompt": prompt,
                "focus_point_ids": json.dumps(focus_point_ids or []), "answer": None,
                "asked_at": now(), "answered_at": None,
            })
            return int(table.last_pk)

    def save_answer(self, turn_id: int, answer: str) -> None:
        with self._write() as db:
            db.table("turns").update(turn_id, {"answer": answer, "answered_at": now()})

    def save_draft(self, turn_id: int, draft: str) -> bool:
        """Keep what was typed for a turn not yet answered; False (nothing written) once it is answered."""
        with self._write() as db:
            cursor = db.execute("update turns set draft = ?, draft_saved_at = ? where id = ? and answer is null",
                                [draft, now(), turn_id])
            return cursor.rowcount > 0

    def show_model_answer(self, turn_id: int) -> None:
        """Record (once) that the candidate asked for the model answer of the attempt opened by `turn_id`."""
        with self._write() as db:
            db.execute("update turns set model_answer_shown_at = coalesce(model_answer_shown_at, ?) where id = ?",
                       [now(), turn_id])

    def save_recording(self, turn_id: int, audio_path: str) -> None:
        """Keep the recording before anything else is done with it."""
        with self._write() as db:
            db.table("turns").update(turn_id, {"audio_path": audio_path})

    def save_transcript(self, turn_id: int, transcript: str, delivery: dict) -> None:
        with self._write() as db:
            db.table("turns").update(turn_id, {"transcript": transcript, "delivery": json.dumps(delivery)})

    def save_grade(self, turn_id: int, grade: Grade, hints: list[Hint], grade_ms: float) -> int:
        g = grade.model_dump(mode="json")
        with self._write() as db:
            table = db.table("grades").insert({
                "turn_id": turn_id, "grader": g["grader"], "model": g["model"], "score": g["score"],
                "points": json.dumps(g["points"]), "strengths": json.dumps(g["strengths"]),
                "gaps": json.dumps(g["gaps"]), "follow_ups": json.dumps(g["follow_ups"]),
                "hints": hints_to_json(hints), "notices": json.dumps(g["notices"]),
                "false_claims": json.dumps(g["false_claims"]), "graded_at": now(), "grade_ms": round(grade_ms, 2),
            })
            return int(table.last_pk)

    def add_override(self, turn_id: int, grade_id: int, coach: str, note: str, score: float | None,
                     points: dict[str, Verdict] | None) -> int:
        """A coach's note / score / point verdicts for a turn, kept beside (never over) the AI grade."""
        with self._write() as db:
            table = db.table("overrides").insert({
                "turn_id": turn_id, "grade_id": grade_id, "coach": coach, "note": note, "score": score,
                "points": json.dumps(points) if points else None, "created_at": now(),
            })
            return int(table.last_pk)

    def add_sign_in_failure(self, at: float, caller: str, keep_after: float) -> None:
        """Count one wrong coach password; failures from before `keep_after` are dropped."""
        with self._write() as db:
            db.execute("delete from sign_in_failures where at < ?", [keep_after])
            db.table("sign_in_failures").insert({"at": at, "caller": caller})

    # reads --------------------------------------------------------------------------------

    def sign_in_failures(self, since: float) -> list[tuple[float, str]]:
        """Wrong coach passwords at or after `since`, oldest first."""
        with self._db() as db:
            return [(r[0], r[1]) for r in db.execute(
                "select at, caller from sign_in_failures where at >= ? order by at, id", [since]).fetchall()]

    def recording_paths(self) -> list[str]:
        """Every recording a turn points at (the rest of the audio folder is orphaned)."""
        with self._db() as db:
            return [r[0] for r in db.execute("select audio_path from turns where audio_path is not null").fetchall()]

    def session(self, session_id: str) -> SessionRow | None:
        with self._db() as db:
            rows = list(db.table("sessions").rows_where("id = ?", [session_id]))
        return session_row(rows[0]) if rows else None

    def latest_session(self, owner: str) -> SessionRow | None:
        """The owner's newest session, ended or not."""
        with self._db() as db:
            rows = list(db.table("sessions").rows_where("owner = ?", [owner], order_by="started_at desc", limit=1))
        return session_row(rows[0]) if rows else None

    def turns(self, session_id: str) -> list[TurnRow]:
        with self._db() as db:
            rows = list(db.table("turns").rows_where("session_id = ?", [session_id], order_by="seq"))
        return [turn_row(r) for r in rows]

    def turn(self, turn_id: int) -> TurnRow | None:
        with self._db() as db:
            rows = list(db.table("turns").rows_where("id = ?", [turn_id]))
        return turn_row(rows[0]) if rows else None

    def grades_for(self, turn_ids: list[int]) -> dict[int, Grade]:
        """The latest grade of each of `turn_ids` that has one, in one read."""
        if not turn_ids:
            return {}
        marks = ",".join("?" * len(turn_ids))
        with self._db() as db:
            rows = list(db.query(f"select * from grades where id in (select max(id) from grades "
                                 f"where turn_id in ({marks}) group by turn_id)", list(turn_ids)))
        return {r["turn_id"]: grade_from_row(r) for r in rows}

    def hints_for(self, turn_id: int) -> list[Hint]:
        """The hints stored with the turn's latest grade (related points of other questions)."""
        with self._db() as db:
            row = db.execute("select hints from grades where turn_id = ? order by id desc limit 1", [turn_id]).fetchone()
        return hints_from_json(row[0]) if row else []

    def questions_asked_by(self, owner: str, role: str, before_session: str | None = None) -> set[str]:
        """The question ids of every question turn in the owner's sessions for `role` (but `before_session`)."""
        with self._db() as db:
            rows = db.execute("select distinct t.question_id from turns t join sessions s on s.id = t.session_id "
                              "where s.owner = ? and s.role = ? and t.kind = 'question' and s.id != ?",
                              [owner, role, before_session or ""]).fetchall()
        return {r[0] for r in rows}

    def grade_for(self, turn_id: int) -> Grade | None:
        with self._db() as db:
            rows = list(db.table("grades").rows_where("turn_id = ?", [turn_id], order_by="id desc", limit=1))
        return grade_from_row(rows[0]) if rows else None

    def find_sessions(self, f: SessionFilter) -> list[SessionSummary]:
        """Sessions with their graded-answer count and average final score, filtered and sorted."""
        where, having, args, having_args = [], [], [], []
        for column, value in (("s.owner", f.owner), ("s.role", f.role), ("s.level", f.level),
                              ("s.id", f.session_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if f.candidate:
            where.append("instr(lower(s.candidate), lower(?)) > 0")
            args.append(f.candidate.strip())
        if f.started_from:
            where.append("s.started_at >= ?")
            args.append(f.started_from)
        if f.started_before:
            where.append("s.started_at < ?")
            args.append(f.started_before)
        if f.min_score is not None:
            having.append("average >= ?")
            having_args.append(f.min_score)
        if f.max_score is not None:
            having.append("average <= ?")
            having_args.append(f.max_score)
        sql = ("select s.id as session_id, s.candidate, s.owner, s.role, s.level, s.started_at, s.ended_at, "
               "s.grader, coalesce(s.mode, 'practice') as mode, count(x.final_score) as graded, "
               "round(avg(x.final_score), 2) as average, "
               "count(x.override_id) as overridden "
               "from sessions s left join transcript x on x.session_id = s.id"
               + (" where " + " and ".join(where) if where else "") + " group by s.id"
               + (" having " + " and ".join(having) if having else "")
               + f" order by {SESSION_ORDER.get(f.order, SESSION_ORDER['newest'])}")
        with self._db() as db:
            return list(db.query(sql, [*args, *having_args]))  # type: ignore[arg-type]

    def session_records(self, session_ids: list[str]) -> list[SessionRecord]:
        """Whole sessions (turns, latest AI grade, latest coach override) in the given order."""
        if not session_ids:
            return []
        marks = ",".join("?" * len(session_ids))
        with self._db() as db:
            sessions = {r["id"]: r for r in db.query(f"select * from sessions where id in ({marks})", session_ids)}
            rows = list(db.query(f"select * from transcript where session_id in ({marks}) "
                                 "order by session_id, turn_number", session_ids))
        turns: dict[str, list[TurnRecord]] = {}
        for row in rows:
            turns.setdefault(row["session_id"], []).append(turn_record(row))
        return [session_record(s, turns.get(sid, [])) for sid in session_ids if (s := sessions.get(sid))]

    def session_record(self, session_id: str) -> SessionRecord | None:
        records = self.session_records([session_id])
        return records[0] if records else None
