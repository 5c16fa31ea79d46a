"""The coach's side: every session, filtered and sorted; notes and overrides beside the AI grade.

Callers check the coach sign-in first (bot/ui keeps it in server-side state); these
functions also refuse an empty coach label, so a slip in the wiring fails closed.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.errors import InterviewError
from bot.grading import PointGrade, Verdict, score_from_points
from bot.history import recording_of
from bot.records import SessionRecord, SessionSummary, TurnRecord
from bot.store import SESSION_ORDER, SessionFilter, SessionStore
from bot.text import clean_answer, clean_line

MAX_NOTE_CHARS = 4000
NOT_A_COACH = "Sign in as a coach first."


def parse_day(text: str | None, what: str) -> date | None:
    """A YYYY-MM-DD date typed by a person; a sentence when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InterviewError(f"The {what} date {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01.") from None


def _score(value: object, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InterviewError(f"The {what} {value!r} is not a number; use a number from 0 to 10.") from None
    if not 0 <= score <= 10:
        raise InterviewError(f"The {what} must be between 0 and 10 (it was {score:g}).")
    return score


def session_filter(candidate: str | None = None, role: str | None = None, level: str | None = None,
                   date_from: str | None = None, date_to: str | None = None,
                   min_score: object = None, max_score: object = None, order: str | None = None,
                   session_id: str | None = None) -> SessionFilter:
    """A SessionFilter from what a coach typed (or the command line's options); dates are whole
    days, both ends included."""
    start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
    if start and end and end < start:
        raise InterviewError("The 'to' date is before the 'from' date; swap them.")
    low, high = _score(min_score, "lowest score"), _score(max_score, "highest score")
    if low is not None and high is not None and high < low:
        raise InterviewError("The highest score is below the lowest score; swap them.")
    if order and order not in SESSION_ORDER:
        raise InterviewError(f"Sort by one of: {', '.join(SESSION_ORDER)}.")
    return SessionFilter(candidate=clean_line(candidate) or None, role=role or None, level=level or None,
                         started_from=start.isoformat() if start else None,
                         started_before=(end + timedelta(days=1)).isoformat() if end else None,
                         min_score=low, max_score=high, order=order or "newest", session_id=session_id or None)


class Review:
    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def sessions(self, coach: str | None, f: SessionFilter) -> list[SessionSummary]:
        """Sessions matching `f`, each with its mode and its end time (None: unfinished)."""
        _require(coach)
        return self.store.find_sessions(f)

    def records(self, coach: str | None, f: SessionFilter) -> list[SessionRecord]:
        """Whole sessions matching `f`, in its order (for CSV / JSONL export)."""
        return self.store.session_records([s["session_id"] for s in self.sessions(coach, f)])

    def record(self, coach: str | None, session_id: str | None) -> SessionRecord:
        _require(coach)
        record = self.store.session_record(session_id) if session_id else None
        if record is None:
            raise InterviewError("There is no such session; search again and pick one from the list.")
        return record

    def recording(self, coach: str | None, session_id: str | None, turn_id: int | None) -> Path | None:
        return recording_of(self.record(coach, session_id), turn_id)

    def override(self, coach: str | None, session_id: str | None, turn_id: int | None, note: str | None,
                 score: object = None, verdicts: dict[str, str] | None = None) -> TurnRecord:
        """Keep the coach's note, score and changed point verdicts for one graded turn. Verdicts
        without a score give the score those verdicts earn (same weights as the AI grade).
        Returns the turn as it now reads."""
        record = self.record(coach, session_id)
        turn = next((t for t in record["turns"] if t["turn_id"] == turn_id), None)
        if turn is None:
            raise InterviewError("That answer is not part of this session; choose one from the list.")
        if turn["grade"] is None:
            raise InterviewError("This answer has no grade yet, so there is nothing to override.")
        note = clean_answer(note)[:MAX_NOTE_CHARS]  # no lone surrogates or bidi controls (SQLite, the views)
        new_score = _score(score, "score")
        points = {p["point_id"]: p for p in turn["grade"]["points"]}
        changed: dict[str, Verdict] = {}
        for point_id, typed in (verdicts or {}).items():
            text = (typed or "").strip().lower()
            if not text:
                continue
            if point_id not in points:
                raise InterviewError(f"This answer was not graded on a point {point_id!r}.")
            try:
                verdict = Verdict(text)
            except ValueError:
                raise InterviewError(f"A verdict is covered, partial, missing or incorrect (not {text!r}).") from None
            if verdict is not points[point_id]["verdict"]:
                changed[point_id] = verdict
        if new_score is None and changed:
            new_score = score_from_points([PointGrade(**{**p, "verdict": changed.get(p["point_id"], p["verdict"])})
                                           for p in points.values()])
        if not note and new_score is None:
            raise InterviewError("Write a note, give a score or change a point's verdict, then save.")
        self.store.add_override(turn["turn_id"], turn["grade"]["grade_id"], _require(coach), note,
                                new_score, changed or None)
        return next(t for t in self.record(coach, session_id)["turns"] if t["turn_id"] == turn_id)


def _require(coach: str | None) -> str:
    if not coach:
        raise InterviewError(NOT_A_COACH)
    return coach
