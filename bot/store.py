"""SessionStore: sessions, turns and grades in SQLite through sqlite-utils.

Gradio runs handlers on worker threads, so every operation opens its own short-lived
connection (WAL mode and a busy timeout let them share the file safely).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.grading import Grade
from bot.migrations import migrate

BUSY_TIMEOUT_S = 10.0


class StoreError(RuntimeError):
    """The database cannot be written or read; the message says what to do."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SessionStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.enable_wal()
                migrate(db)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the session database at {self.path} ({exc}); "
                             "check that the folder exists and is writable, or set BOT_DB_PATH.") from None

    @contextmanager
    def _db(self) -> Iterator[Database]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            yield Database(conn)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"The session database could not be updated ({exc}); "
                             "your answer is still on screen, try again in a moment.") from None
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One write transaction that takes the write lock up front (BEGIN IMMEDIATE).

        A deferred transaction that reads first (a count, or sqlite-utils looking up the columns)
        cannot wait for the lock when it later writes: SQLite fails it at once with "database is
        locked" if another connection committed meanwhile. Taking the lock first lets the busy
        timeout queue concurrent writers instead (found by `python -m bot loadtest`).
        """
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.commit()

    # writes -------------------------------------------------------------------------------

    def create_session(self, candidate: str, role: str, level: str, grader: str, settings: dict) -> str:
        session_id = uuid.uuid4().hex
        with self._write() as db:
            db.table("sessions").insert({
                "id": session_id, "candidate": candidate, "role": role, "level": level,
                "started_at": now(), "ended_at": None, "grader": grader, "settings": json.dumps(settings),
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

    def save_recording(self, turn_id: int, audio_path: str) -> None:
        """Keep the recording before anything else is done with it."""
        with self._write() as db:
            db.table("turns").update(turn_id, {"audio_path": audio_path})

    def save_transcript(self, turn_id: int, transcript: str, delivery: dict) -> None:
        with self._write() as db:
            db.table("turns").update(turn_id, {"transcript": transcript, "delivery": json.dumps(delivery)})

    def save_grade(self, turn_id: int, grade: Grade, hints: list[dict], grade_ms: float) -> int:
        g = grade.model_dump(mode="json")
        with self._write() as db:
            table = db.table("grades").insert({
                "turn_id": turn_id, "grader": g["grader"], "model": g["model"], "score": g["score"],
                "points": json.dumps(g["points"]), "strengths": json.dumps(g["strengths"]),
                "gaps": json.dumps(g["gaps"]), "follow_ups": json.dumps(g["follow_ups"]),
                "hints": json.dumps(hints), "notices": json.dumps(g["notices"]),
                "graded_at": now(), "grade_ms": round(grade_ms, 2),
            })
            return int(table.last_pk)

    # reads --------------------------------------------------------------------------------

    def session(self, session_id: str) -> dict | None:
        with self._db() as db:
            rows = list(db.table("sessions").rows_where("id = ?", [session_id]))
        return rows[0] if rows else None

    def turns(self, session_id: str) -> list[dict]:
        with self._db() as db:
            rows = list(db.table("turns").rows_where("session_id = ?", [session_id], order_by="seq"))
        return [_decode_turn(r) for r in rows]

    def turn(self, turn_id: int) -> dict | None:
        with self._db() as db:
            rows = list(db.table("turns").rows_where("id = ?", [turn_id]))
        return _decode_turn(rows[0]) if rows else None

    def grade_for(self, turn_id: int) -> Grade | None:
        with self._db() as db:
            rows = list(db.table("grades").rows_where("turn_id = ?", [turn_id], order_by="id desc", limit=1))
        if not rows:
            return None
        r = rows[0]
        return Grade(score=r["score"], grader=r["grader"], model=r["model"],
                     **{k: json.loads(r[k]) for k in ("points", "strengths", "gaps", "follow_ups", "notices")})

    def grades(self, session_id: str) -> list[dict]:
        """Every grade of a session with its turn, in order."""
        with self._db() as db:
            return list(db.query(
                "select t.seq, t.question_id, t.kind, g.score, g.grader, g.points from grades g "
                "join turns t on t.id = g.turn_id where t.session_id = ? order by t.seq", [session_id]))


def _decode_turn(row: dict) -> dict:
    row["focus_point_ids"] = json.loads(row["focus_point_ids"] or "[]")
    row["delivery"] = json.loads(row["delivery"]) if row.get("delivery") else None
    return row
