"""Stored rows become records here, and the facts every view reads are defined here once.

The store reads the `transcript` view (one row per turn: its latest AI grade and latest coach
override) and hands each row to `turn_record`; the end-of-session summary, Progress, the
coach's review, history and every export read those records through the functions below, so
they cannot disagree about a session:

- the *final score* of a turn: the coach's override score when there is one, else the latest
  AI grade (a regrade replaces the earlier grade; no grade, no score);
- the *final point verdicts*: the AI's, with the coach's replacements for the points they name;
- a *missed point*: one whose final verdict is not covered (partial, missing or incorrect).

Every read of the store returns one of the named shapes below (`SessionStore`): a `SessionRow`
or `TurnRow` (a table's row, JSON columns decoded), a `SessionSummary` (a session in a list), a
`SessionRecord` with its `TurnRecord`s, a `Hint`, or a `Grade` (grading's own pydantic model).

Records stay JSON-ready dicts (exports write them as they are); the TypedDicts below name their
keys. Verdicts and grader kinds are read into their enums here (`Verdict`, `GraderKind`: string
enums, so JSON and CSV write the stored strings), and every view compares them as enums. The view's `final_score` column is the same rule in SQL, kept for the session list's average,
filter and sort (`SessionStore.find_sessions`); tests/test_records.py checks the two agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, TypedDict

from bot.grading import Grade, GraderKind, Verdict


class SessionRow(TypedDict):
    """A sessions row: `settings` decoded (the grader's model, chosen topics, a mock interview's rules)."""

    id: str
    candidate: str
    owner: str
    role: str
    level: str
    started_at: str
    ended_at: str | None
    grader: str
    settings: dict[str, Any]
    mode: str  # "practice" or "interview" (a mock interview)


class TurnRow(TypedDict):
    """A turns row: `focus_point_ids` and `delivery` decoded."""

    id: int
    session_id: str
    seq: int
    question_id: str
    kind: str  # "question" or "follow_up"
    parent_turn_id: int | None
    prompt: str
    focus_point_ids: list[str]
    answer: str | None
    asked_at: str
    answered_at: str | None
    audio_path: str | None
    transcript: str | None
    delivery: dict | None
    draft: str | None
    draft_saved_at: str | None
    model_answer_shown_at: str | None


class _SessionHead(TypedDict):
    """What every view of a session names it by (a summary in a list, a whole record)."""

    session_id: str
    candidate: str
    owner: str
    role: str
    level: str
    started_at: str
    ended_at: str | None
    grader: str


class SessionSummary(_SessionHead):
    """One session in a list (SessionStore.find_sessions), with its graded answers' final scores."""

    mode: str
    graded: int
    average: float | None  # of the final scores
    overridden: int


@dataclass(frozen=True)
class Hint:
    """A point of a related question near the answer: shown to the candidate, never scored
    (found by RubricIndex.retrieve, kept with the grade)."""

    question_id: str
    question_text: str
    point_text: str
    similarity: float


class PointRecord(TypedDict):
    """One rubric point of a grade (PointGrade as stored)."""

    point_id: str
    text: str
    weight: float
    verdict: Verdict
    evidence: str | None
    coverage: float


class GradeRecord(TypedDict):
    grade_id: int
    grader: GraderKind
    model: str | None
    score: float
    points: list[PointRecord]
    strengths: list[str]
    gaps: list[str]
    follow_ups: list[dict]
    notices: list[str]
    false_claims: list[dict]
    graded_at: str


class OverrideRecord(TypedDict):
    override_id: int
    coach: str
    note: str
    score: float | None
    points: dict[str, Verdict]  # point id -> the coach's verdict, for the points they changed
    created_at: str


class TurnRecord(TypedDict):
    turn_id: int
    turn_number: int
    kind: str
    question_id: str
    parent_turn_id: int | None
    question: str
    answer: str | None
    asked_at: str
    answered_at: str | None
    audio_path: str | None
    spoken_transcript: str | None
    delivery: dict | None
    grade: GradeRecord | None  # the latest AI grade
    override: OverrideRecord | None  # the latest coach override
    final_score: float | None


class SessionRecord(_SessionHead):
    turns: list[TurnRecord]



def _loads(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default


def is_missed(verdict: Verdict) -> bool:
    """A point not fully made: partial, missing or incorrect."""
    return verdict is not Verdict.covered


def final_points(turn: TurnRecord) -> list[PointRecord]:
    """The AI's point verdicts with the coach's replacements applied."""
    grade, override = turn.get("grade"), turn.get("override")
    if grade is None:
        return []
    replaced = (override or {}).get("points") or {}
    return [{**p, "verdict": replaced.get(p["point_id"], p["verdict"])} for p in grade["points"]]


def final_score(turn: TurnRecord) -> float | None:
    """The coach's score when they gave one, else the latest AI grade's; None before a grade."""
    grade, override = turn.get("grade"), turn.get("override")
    if grade is None:
        return None
    if override and override.get("score") is not None:
        return float(override["score"])
    return float(grade["score"])


def overridden(turn: TurnRecord) -> bool:
    """A coach replaced the score of this graded turn."""
    return turn.get("grade") is not None and bool(turn.get("override")) and turn["override"].get("score") is not None


def missed_points(turn: TurnRecord) -> list[str]:
    """The text of each point of the turn's final verdicts that was not covered, in rubric order."""
    return [p["text"] for p in final_points(turn) if is_missed(p["verdict"])]


def average(scores: list[float]) -> float | None:
    """The mean of final scores, to two decimals (shown with one); None without any."""
    return round(sum(scores) / len(scores), 2) if scores else None


def point_record(point: dict) -> PointRecord:
    """A stored point (PointGrade as JSON, every key kept) with its verdict as a Verdict."""
    return {**point, "verdict": Verdict(point["verdict"])}  # type: ignore[typeddict-item]


def session_row(row: dict) -> SessionRow:
    """A sessions row as stored, its settings decoded; sessions from before modes are practice."""
    return {**row, "settings": _loads(row.get("settings"), {}), "mode": row.get("mode") or "practice"}  # type: ignore[typeddict-item]


def turn_row(row: dict) -> TurnRow:
    """A turns row as stored, its JSON columns decoded."""
    return {**row, "focus_point_ids": _loads(row.get("focus_point_ids"), []),  # type: ignore[typeddict-item]
            "delivery": _loads(row.get("delivery"))}


def grade_from_row(row: dict) -> Grade:
    """A grades row as a Grade (grades from before false claims were kept have none)."""
    return Grade(score=row["score"], grader=row["grader"], model=row["model"],
                 false_claims=_loads(row.get("false_claims"), []),
                 **{k: json.loads(row[k]) for k in ("points", "strengths", "gaps", "follow_ups", "notices")})


def hints_to_json(hints: list[Hint]) -> str:
    return json.dumps([asdict(h) for h in hints])


def hints_from_json(text: str | None) -> list[Hint]:
    """The hints kept with a grade (every grade since the first stored them with these four keys)."""
    return [Hint(str(h.get("question_id", "")), str(h.get("question_text", "")), str(h.get("point_text", "")),
                 float(h.get("similarity", 0.0))) for h in _loads(text, [])]


def turn_record(row: dict) -> TurnRecord:
    """One row of the transcript view as a nested, JSON-ready turn."""
    grade: GradeRecord | None = None if row["grade_id"] is None else {
        "grade_id": row["grade_id"], "grader": GraderKind(row["grader"]), "model": row["grader_model"],
        "score": row["ai_score"], "points": [point_record(p) for p in _loads(row["ai_point_verdicts"], [])],
        "strengths": _loads(row["strengths"], []), "gaps": _loads(row["gaps"], []),
        "follow_ups": _loads(row["follow_ups"], []), "notices": _loads(row["grade_notices"], []),
        "false_claims": _loads(row.get("false_claims"), []), "graded_at": row["graded_at"],
    }
    override: OverrideRecord | None = None if row["override_id"] is None else {
        "override_id": row["override_id"], "coach": row["coach"], "note": row["coach_note"],
        "score": row["coach_score"],
        "points": {pid: Verdict(v) for pid, v in _loads(row["coach_point_verdicts"], {}).items()},
        "created_at": row["overridden_at"],
    }
    turn: TurnRecord = {"turn_id": row["turn_id"], "turn_number": row["turn_number"], "kind": row["kind"],
            "question_id": row["question_id"], "parent_turn_id": row["parent_turn_id"],
            "question": row["question"], "answer": row["answer"], "asked_at": row["asked_at"],
            "answered_at": row["answered_at"], "audio_path": row["audio_path"],
            "spoken_transcript": row["spoken_transcript"], "delivery": _loads(row["delivery"]),
            "grade": grade, "override": override, "final_score": None}
    turn["final_score"] = final_score(turn)
    return turn


def session_record(session: dict, turns: list[TurnRecord]) -> SessionRecord:
    """A sessions row and its turns (from `turn_record`) as one JSON-ready session."""
    return {"session_id": session["id"], "candidate": session["candidate"], "owner": session["owner"],
            "role": session["role"], "level": session["level"], "started_at": session["started_at"],
            "ended_at": session["ended_at"], "grader": session["grader"], "turns": turns}


def turn_numbers(turns: list[TurnRecord]) -> dict[int, str]:
    """How each turn is numbered for people: questions 1, 2, 3 in the order asked; a follow-up
    takes its question's number and a letter (3a, 3b), so follow-ups never shift the count."""
    numbers: dict[int, str] = {}
    root_of: dict[int, int] = {}
    letters: dict[int, int] = {}
    asked = 0
    for t in sorted(turns, key=lambda t: t["turn_number"]):
        parent = t.get("parent_turn_id")
        if t["kind"] == "follow_up" and parent in root_of:
            root = root_of[parent]
            letters[root] = letters.get(root, 0) + 1
            numbers[t["turn_id"]] = numbers[root] + _letters(letters[root])
            root_of[t["turn_id"]] = root
        else:
            asked += 1
            numbers[t["turn_id"]] = str(asked)
            root_of[t["turn_id"]] = t["turn_id"]
    return numbers


def _letters(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa."""
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(97 + rest) + out
    return out


def short_question(text: str | None, limit: int = 90) -> str:
    """A question on one line, cut at a word near `limit` characters (lists and labels)."""
    line = " ".join((text or "").split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else line[:limit]).rstrip(" ,;:.") + "…"
