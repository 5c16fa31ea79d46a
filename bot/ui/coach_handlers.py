"""The Coach tab as plain functions. `coach` is the label a successful sign-in put in
server-side state; every function refuses without it (Review refuses too).

The review form can't mislead: whenever the answer under review changes (another answer, another
session, a sign-out) the handlers hand back a fresh form for that answer — an empty note and score
and one verdict per point as it now stands — and a save is refused when the form on screen was
filled in for a different answer than the one selected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.coach import CoachAuth
from bot.errors import InterviewError
from bot.export import file_name, plural, render, session_markdown
from bot.grading import Verdict, verdict_label
from bot.privatefiles import PrivateFiles
from bot.records import final_points, short_question, turn_numbers
from bot.replies import COACH_VERDICTS
from bot.review import NOT_A_COACH, Review, session_filter
from bot.text import escape_markdown
from bot.ui.guard import blank, guard
from bot.ui.progress_handlers import day, playable

MAX_POINTS = len(COACH_VERDICTS)  # verdict dropdowns on the page; a grade has at most 10 points today
VERDICT_CHOICES = [(verdict_label(v), v.value) for v in Verdict]
# What a coach scans for first comes first: on a phone the table scrolls sideways after these.
TABLE_HEADERS = ["candidate", "status", "mode", "average", "started (UTC)", "answers", "reviews", "role", "level",
                 "ref"]
REF_CHARS = 8  # the table's "ref" column: the start of the session id, enough to tell the rows apart


@dataclass
class PointChoice:
    point_id: str
    label: str  # the point's text and the AI's verdict
    value: str  # the verdict as it stands: the coach's replacement when there is one, else the AI's


@dataclass
class ReviewForm:
    """The review form as it should read for one answer: an empty note and score, a verdict per point.
    `turn_id` None: no answer is picked, so the form is hidden."""

    turn_id: int | None = None
    points: list[PointChoice] = field(default_factory=list)
    note: str = ""
    score: str = ""


@dataclass
class CoachView:
    status: str = ""
    table: list[list] | None = None  # None leaves the screen as it was
    listed: list[str] | None = None  # the table's session ids, in its order (kept server-side)
    session_id: str | None = None  # the opened session; "" closes it
    transcript: str | None = None
    turns: list[tuple[str, int]] | None = None  # the answers to review; set, nothing is selected
    turn: str | None = None  # the selected answer's grade and latest review
    audio: tuple | None = None  # the answer's recording; with `form` set, the player shows only with one
    form: ReviewForm | None = None  # None leaves the form as it is
    file: str | None = None  # the matching sessions' export; "" takes the last one off the page


@dataclass
class SignIn:
    status: str = ""
    coach: str | None = None
    view: CoachView | None = None  # what the desk shows now: the session list on sign-in, nothing on sign-out


def _signed_in_as(coach: str | None) -> None:
    """Refuse first without a coach, whatever else is missing: a stranger learns nothing from the reply."""
    if not coach:
        raise InterviewError(NOT_A_COACH)


def closed(status: str = "") -> CoachView:
    """Nothing open: no session, no answer, an empty form."""
    return CoachView(status=status, session_id="", transcript="", turns=[], turn="", form=ReviewForm())


@guard(blank(SignIn))
def sign_in(auth: CoachAuth, password: str | None, name: str | None, caller: str | None = None,
            review: Review | None = None) -> SignIn:
    coach = auth.by_password(password, name, caller)
    if coach is None:
        raise InterviewError("That is not the coach password." if auth.password else
                             "Coaches sign in with their Hugging Face account here.")
    return _signed_in(coach, review)


@guard(blank(SignIn))
def sign_in_hf(auth: CoachAuth, token: str | None, username: str | None, review: Review | None = None) -> SignIn:
    if not username:
        raise InterviewError("Sign in with Hugging Face first (the button at the top), then press this again.")
    coach = auth.by_org(token, username)
    if coach is None:
        raise InterviewError(f"{username} is not a member of the coach organisation {auth.org}.")
    return _signed_in(coach, review)


def _signed_in(coach: str, review: Review | None) -> SignIn:
    return SignIn(status=f"Signed in as coach **{escape_markdown(coach)}**.", coach=coach,
                  view=sessions_on_open(review, coach) if review is not None else None)


def sign_out() -> SignIn:
    """The coach label goes, and with it everything the desk showed."""
    view = closed()
    view.table, view.listed, view.file = [], [], ""
    return SignIn(status="Signed out. Sign in again to review sessions.", coach=None, view=view)


def _table(rows: list[dict]) -> tuple[list[list], list[str]]:
    ids = [s["session_id"] for s in rows]
    width = REF_CHARS
    while len({i[:width] for i in ids}) < len(ids):  # uuid4 hex: practically never, but a ref must be unique
        width += 2
    table = [[s["candidate"], "finished" if s["ended_at"] else "unfinished", s["mode"],
              "" if s["average"] is None else f"{s['average']:.1f}", day(s["started_at"]), s["graded"],
              s["overridden"], s["role"], s["level"], s["session_id"][:width]] for s in rows]
    return table, ids


@guard(blank(CoachView))
def search(review: Review, coach: str | None, candidate: str | None, role: str | None, level: str | None,
           date_from: str | None, date_to: str | None, min_score: object, max_score: object,
           order: str | None) -> CoachView:
    rows = review.sessions(coach, session_filter(candidate, role, level, date_from, date_to, min_score, max_score,
                                                 order))
    table, ids = _table(rows)
    return CoachView(status=f"{plural(len(rows), 'session')} match. Click a row to open it." if rows else
                     "No session matches; widen the search.", table=table, listed=ids)


@guard(blank(CoachView))
def sessions_on_open(review: Review | None, coach: str | None) -> CoachView:
    """Every session, newest first: what the desk lists on sign-in and whenever the tab is opened."""
    if review is None:
        raise InterviewError("The coach desk is not set up.")
    rows = review.sessions(coach, session_filter(order="newest"))
    table, ids = _table(rows)
    return CoachView(status=(f"{plural(len(rows), 'session')}, newest first. Click a row to open it." if rows else
                             "No sessions yet: they appear here as candidates practise."), table=table, listed=ids)


@guard(blank(CoachView))
def open_row(review: Review, coach: str | None, listed: list[str] | None, row: list | None) -> CoachView:
    """The session of a clicked table row (found by its ref, so a table sorted on the page still works)."""
    ref = str(row[-1]) if row else ""
    matches = [sid for sid in listed or [] if ref and sid.startswith(ref)]
    if len(matches) != 1:
        raise InterviewError("That row is not in the list any more; search again, then click the row.")
    return open_session(review, coach, matches[0])


def _turn_choices(record: dict) -> list[tuple[str, int]]:
    numbers = turn_numbers(record["turns"])
    return [(f"{numbers[t['turn_id']]}. {short_question(t['question'], 70)}"
             + (" (follow-up)" if t["kind"] == "follow_up" else "") + (" · reviewed" if t["override"] else ""),
             t["turn_id"]) for t in record["turns"] if t["grade"] is not None]


@guard(blank(CoachView))
def open_session(review: Review, coach: str | None, session_id: str | None) -> CoachView:
    _signed_in_as(coach)
    if not session_id or not str(session_id).strip():
        raise InterviewError("Click a session in the list first (or paste its id).")
    session_id = str(session_id).strip()
    record = review.record(coach, session_id)
    turns = _turn_choices(record)
    view = closed("Pick an answer to review." if turns else "This session has no graded answer to review yet.")
    view.session_id, view.transcript, view.turns = session_id, session_markdown(record), turns
    return view


def _turn_detail(turn: dict, number: str) -> str:
    grade, override = turn["grade"], turn["override"]
    lines = [f"**Answer {number}** — {escape_markdown(short_question(turn['question'], 200))}",
             f"**AI grade {grade['score']:.1f} / 10** ({grade['grader']})"]
    if override:
        score = f"{override['score']:.1f} / 10" if override["score"] is not None else "score unchanged"
        lines.append(f"**Latest coach review:** {score} by {escape_markdown(override['coach'])} at "
                     f"{day(override['created_at'])} UTC"
                     + (f" — {escape_markdown(override['note'])}" if override["note"] else "")
                     + " *(saving the form below replaces this review)*")
    else:
        lines.append("No coach review yet.")
    if turn["audio_path"] is None:
        lines.append("*Typed answer.*")
    return "\n\n".join(lines)


def _form(turn: dict) -> ReviewForm:
    now = {p["point_id"]: p["verdict"] for p in final_points(turn)}
    points = [PointChoice(p["point_id"], f"{p['text']} (AI: {verdict_label(p['verdict'])})", now[p["point_id"]].value)
              for p in turn["grade"]["points"][:MAX_POINTS]]
    return ReviewForm(turn_id=turn["turn_id"], points=points)


def _find_turn(record: dict, turn_id: int | None) -> dict:
    turn = next((t for t in record["turns"] if t["turn_id"] == turn_id and t["grade"] is not None), None)
    if turn is None:
        raise InterviewError("Choose a graded answer of this session from the list.")
    return turn


@guard(blank(CoachView))
def open_turn(review: Review, coach: str | None, session_id: str | None, turn_id: int | None) -> CoachView:
    """One answer under review: its grade beside a form reset for it (whatever was typed for another)."""
    _signed_in_as(coach)
    if not session_id:
        raise InterviewError("Click a session in the list first.")
    record = review.record(coach, session_id)
    turn = _find_turn(record, turn_id)
    audio = review.recording(coach, session_id, turn_id)
    return CoachView(turn=_turn_detail(turn, turn_numbers(record["turns"])[turn["turn_id"]]), form=_form(turn),
                     audio=playable(audio) if audio else None)


@guard(blank(CoachView))
def save_override(review: Review, coach: str | None, session_id: str | None, turn_id: int | None,
                  form_turn_id: int | None, point_ids: list[str] | None, note: str | None, score: object,
                  verdicts: list[str | None] | None) -> CoachView:
    """Save the form for the selected answer. `form_turn_id` and `point_ids` say which answer the form on
    screen was built for (server-side state): a form built for another answer is refused, not saved."""
    _signed_in_as(coach)
    if turn_id is None or form_turn_id is None:
        raise InterviewError("Pick the answer to review first.")
    if form_turn_id != turn_id:  # nothing is saved; the form is rebuilt for the answer now selected
        fresh = open_turn(review, coach, session_id, turn_id)
        if not fresh.status:
            fresh.status = ("⚠️ Nothing was saved: the form on screen was filled in for another answer. "
                            "It now shows this answer; check it and save again.")
        return fresh
    changed = {pid: v for pid, v in zip(point_ids or [], verdicts or [], strict=False) if v}
    turn = review.override(coach, session_id, turn_id, note, score, changed)
    record = review.record(coach, session_id)
    return CoachView(status="Saved. The AI grade is kept; your review shows beside it, to the candidate too.",
                     transcript=session_markdown(record), turns=None,
                     turn=_turn_detail(turn, turn_numbers(record["turns"])[turn_id]), form=_form(turn),
                     audio=playable(p) if (p := review.recording(coach, session_id, turn_id)) else None)


EXPORTS = PrivateFiles()  # a fresh 0700 folder per export, removed a minute later (bot/privatefiles.py)


def _write(text: str, name: str, files: PrivateFiles | None) -> str:
    """A file for the download button (Gradio copies it into its own cache when it is returned)."""
    return str((files or EXPORTS).write(name, text))


@guard(blank(CoachView))
def export_session(review: Review, coach: str | None, session_id: str | None, fmt: str | None,
                   files: PrivateFiles | None = None) -> CoachView:
    _signed_in_as(coach)
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
