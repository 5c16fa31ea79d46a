"""The Coach tab as plain functions. `coach` is the label a successful sign-in put in
server-side state; every function refuses without it (Review refuses too)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.coach import CoachAuth
from bot.errors import InterviewError
from bot.export import file_name, render, session_markdown
from bot.grading import verdict_label
from bot.privatefiles import PrivateFiles
from bot.review import Review, session_filter
from bot.text import escape_markdown
from bot.ui.guard import blank, guard
from bot.ui.progress_handlers import playable, session_label

VERDICT_HEADERS = ["point_id", "rubric point", "AI verdict", "coach verdict"]


@dataclass
class SignIn:
    status: str = ""
    coach: str | None = None


@dataclass
class CoachView:
    status: str = ""
    table: list[list] | None = None  # None leaves the screen as it was
    sessions: list[tuple[str, str]] | None = None
    transcript: str | None = None
    turns: list[tuple[str, int]] | None = None
    turn: str | None = None
    audio: tuple | None = None  # (sample rate, samples), as the Progress tab replays it
    verdicts: list[list] | None = None
    file: str | None = None


TABLE_HEADERS = ["started (UTC)", "candidate", "role", "level", "graded", "average", "coach reviews", "session"]


@guard(blank(SignIn))
def sign_in(auth: CoachAuth, password: str | None, name: str | None, caller: str | None = None) -> SignIn:
    coach = auth.by_password(password, name, caller)
    if coach is None:
        raise InterviewError("That is not the coach password." if auth.password else
                             "Coaches sign in with their Hugging Face account here.")
    return SignIn(status=f"Signed in as coach **{escape_markdown(coach)}**.", coach=coach)


@guard(blank(SignIn))
def sign_in_hf(auth: CoachAuth, token: str | None, username: str | None) -> SignIn:
    if not username:
        raise InterviewError("Sign in with Hugging Face first (the button at the top), then press this again.")
    coach = auth.by_org(token, username)
    if coach is None:
        raise InterviewError(f"{username} is not a member of the coach organisation {auth.org}.")
    return SignIn(status=f"Signed in as coach **{escape_markdown(coach)}**.", coach=coach)


@guard(blank(CoachView))
def search(review: Review, coach: str | None, candidate: str | None, role: str | None, level: str | None,
           date_from: str | None, date_to: str | None, min_score: object, max_score: object,
           order: str | None) -> CoachView:
    rows = review.sessions(coach, session_filter(candidate, role, level, date_from, date_to, min_score, max_score,
                                                 order))
    table = [[s["started_at"][:16].replace("T", " "), s["candidate"], s["role"], s["level"], s["graded"],
              s["average"], s["overridden"], s["session_id"]] for s in rows]
    choices = [(f"{s['candidate']} · {session_label(s)}", s["session_id"]) for s in rows]
    return CoachView(status=f"{len(rows)} session(s) match.", table=table, sessions=choices)


def _turn_choices(record: dict) -> list[tuple[str, int]]:
    return [(f"{t['turn_number']}. {t['question_id']}" + (" (follow-up)" if t["kind"] == "follow_up" else ""),
             t["turn_id"]) for t in record["turns"] if t["grade"] is not None]


@guard(blank(CoachView))
def open_session(review: Review, coach: str | None, session_id: str | None) -> CoachView:
    if not session_id:
        raise InterviewError("Choose a session from the list first.")
    record = review.record(coach, session_id)
    return CoachView(transcript=session_markdown(record), turns=_turn_choices(record), turn="", verdicts=[],
                     audio=None)


def _turn_detail(turn: dict) -> str:
    grade, override = turn["grade"], turn["override"]
    lines = [f"**AI grade {grade['score']:.1f} / 10** ({grade['grader']})"]
    if override:
        score = f"{override['score']:.1f} / 10" if override["score"] is not None else "score unchanged"
        lines.append(f"**Latest coach review:** {score} by {escape_markdown(override['coach'])} at "
                     f"{override['created_at'][:16].replace('T', ' ')} UTC"
                     + (f" — {escape_markdown(override['note'])}" if override["note"] else ""))
    return "\n\n".join(lines)


def _verdict_rows(turn: dict) -> list[list]:
    replaced = (turn["override"] or {}).get("points") or {}
    return [[p["point_id"], p["text"], verdict_label(p["verdict"]), replaced.get(p["point_id"], "")]
            for p in turn["grade"]["points"]]


def _find_turn(record: dict, turn_id: int | None) -> dict:
    turn = next((t for t in record["turns"] if t["turn_id"] == turn_id and t["grade"] is not None), None)
    if turn is None:
        raise InterviewError("Choose a graded answer of this session from the list.")
    return turn


@guard(blank(CoachView))
def open_turn(review: Review, coach: str | None, session_id: str | None, turn_id: int | None) -> CoachView:
    turn = _find_turn(review.record(coach, session_id), turn_id)
    audio = review.recording(coach, session_id, turn_id)
    return CoachView(turn=_turn_detail(turn), verdicts=_verdict_rows(turn), audio=playable(audio) if audio else None)


def _verdicts(rows: list[list] | None) -> dict[str, str]:
    """The coach verdict column of the table: point id -> verdict (blank cells change nothing)."""
    out = {}
    for row in rows or []:
        if len(row) >= 4 and row[0] and isinstance(row[3], str) and row[3].strip():
            out[str(row[0])] = row[3]
    return out


@guard(blank(CoachView))
def save_override(review: Review, coach: str | None, session_id: str | None, turn_id: int | None,
                  note: str | None, score: object, rows: list[list] | None) -> CoachView:
    turn = review.override(coach, session_id, turn_id, note, score, _verdicts(rows))
    record = review.record(coach, session_id)
    return CoachView(status="Saved. The AI grade is kept; your review shows beside it, to the candidate too.",
                     transcript=session_markdown(record), turn=_turn_detail(turn), verdicts=_verdict_rows(turn))


EXPORTS = PrivateFiles()  # a fresh 0700 folder per export, removed a minute later (bot/privatefiles.py)


def _write(text: str, name: str, files: PrivateFiles | None) -> str:
    """A file for the download button (Gradio copies it into its own cache when it is returned)."""
    return str((files or EXPORTS).write(name, text))


@guard(blank(CoachView))
def export_session(review: Review, coach: str | None, session_id: str | None, fmt: str | None,
                   files: PrivateFiles | None = None) -> CoachView:
    if not session_id:
        raise InterviewError("Open a session first.")
    fmt = fmt if fmt in ("md", "json") else "md"
    records = [review.record(coach, session_id)]
    return CoachView(status="Exported one session.", file=_write(render(records, fmt), file_name(records, fmt), files))


@guard(blank(CoachView))
def export_matching(review: Review, coach: str | None, candidate: str | None, role: str | None,
                    level: str | None, date_from: str | None, date_to: str | None, min_score: object,
                    max_score: object, order: str | None, fmt: str | None,
                    files: PrivateFiles | None = None) -> CoachView:
    fmt = fmt if fmt in ("csv", "jsonl") else "csv"
    f = session_filter(candidate, role, level, date_from, date_to, min_score, max_score, order)
    records = review.records(coach, f)
    return CoachView(status=f"Exported {len(records)} session(s).",
                     file=_write(render(records, fmt), file_name(records, fmt), files))
