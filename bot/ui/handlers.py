"""What each button does, as plain functions of the Interview and the inputs.

They return a View (what the screen should show) and never raise: a problem the candidate
can fix comes back as `status`, and the answer box keeps what they typed. The feedback panel
and which buttons work are read from the store every time (`screen`), so an error, a reload or
a follow-up never wipes feedback the candidate is still using.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.assessor import Feedback, other_ways
from bot.attempts import attempt, labels, offered_follow_ups
from bot.delivery import Delivery, advice, summary
from bot.errors import BotError
from bot.grading import Grade, verdict_counts
from bot.grading.mcq import option_label
from bot.interview import AskedTurn, Interview, InterviewError, Summary
from bot.text import escape_markdown
from bot.ui import feedback
from bot.ui.guard import drop_refused_upload, guard

log = logging.getLogger(__name__)
CHAT_ECHO_CHARS = 4000  # a very long answer is saved whole but not echoed whole into the chat


@dataclass
class View:
    session_id: str | None
    turn_id: int | None
    chat: list[dict]
    answer: str | None = None  # None leaves the answer box as the candidate left it
    status: str = ""
    score: str = ""
    points: str = ""
    notes: str = ""
    model_answer: str = ""  # shown only once asked for (Interview.show_model_answer)
    follow_ups: list[str] = field(default_factory=list)
    summary: str = ""
    delivery: str = ""
    role: str | None = None  # None leaves the role and level pickers as they are
    level: str | None = None
    evidence: list[tuple[str, str | None]] = field(default_factory=list)  # the answer, stretches labelled by point
    evidence_colours: dict[str, str] = field(default_factory=dict)
    earlier: str = ""  # earlier feedback on this question (collapsible blocks)
    ended: bool = False  # the session has ended: read-only; Next offers a new session
    confirming: bool = False  # Start pressed during a session: asking before starting another
    can_submit: bool = True
    can_retry: bool = False
    can_show_model_answer: bool = False
    model_answer_skips: bool = False  # showing it now closes follow-ups still open
    draft_note: str = ""


def question_message(turn: AskedTurn) -> str:
    q = turn.question
    label = turn.label or str(turn.number)
    if turn.kind == "follow_up":
        return f"**Follow-up {label}:** {escape_markdown(turn.prompt)}"  # an LLM's words
    again = f" · retry of question {turn.retry_of}" if turn.retry_of else ""
    text = (f"**Question {label}**{again} · {q.category.value} · {q.level.value} · {', '.join(q.topics)}"
            + (f"\n\n*{turn.level_note}*" if turn.level_note else "") + f"\n\n{q.text}")
    if q.options:
        text += "\n\n" + "\n".join(f"{option_label(i)}) {o.text}" for i, o in enumerate(q.options))
        text += "\n\n*Answer with the letter of your choice.*"
    return text


def feedback_view(view: View, fb: Feedback, label: str = "", follow_up: bool = False, answer: str = "") -> View:
    """A fresh grade on the panel (also the tests' way to see how a Grade reads)."""
    g = fb.grade
    score = feedback.headline(g, label, follow_up)
    if how := feedback.how_scored(g):
        score += "\n\n" + how
    if g.notices:
        score += "\n\n" + feedback.notices(g)
    spans, colours = feedback.evidence_spans(answer, g) if answer else ([], {})
    if fb.delivery is not None:
        view = replace(view, delivery=delivery_markdown(fb.delivery))
    chat = [*view.chat, {"role": "assistant", "content": graded_message(g, label, follow_up)}]
    return replace(view, chat=chat, status="", score=score, points=feedback.points_markdown(g, fb.other_ways),
                   notes=feedback.notes_markdown(g, fb.hints), evidence=spans, evidence_colours=colours,
                   follow_ups=[f.text for f in g.follow_ups])  # radio labels: plain text


def graded_message(g: Grade, label: str = "", follow_up: bool = False) -> str:
    if follow_up:
        return (f"Follow-up {label}: {g.score:.1f}/10 — on its own point{'s' if len(g.points) != 1 else ''}, "
                f"{verdict_counts(g.points)}. See the feedback panel.")
    return (f"{g.score:.1f}/10 — {verdict_counts(g.points)}. "
            "See the feedback panel; answer a follow-up or take the next question.")


def answer_message(answer: str) -> dict:
    """The candidate's answer as echoed into the chat (a very long one is cut; all of it is saved)."""
    shown = escape_markdown(answer) if len(answer) <= CHAT_ECHO_CHARS else (
        f"{escape_markdown(answer[:CHAT_ECHO_CHARS])} … *({len(answer) - CHAT_ECHO_CHARS:,} more characters, all saved)*")
    return {"role": "user", "content": shown}


def delivery_markdown(d: Delivery) -> str:
    return f"**Delivery** · {summary(d)}\n\n{advice(d)}"


def screen(interview: Interview, view: View) -> View:
    """The panel and the buttons for the view's session and turn, read from the store: the newest
    feedback of the current question (kept while its follow-up is answered), the earlier feedback on
    the same question (collapsible), the follow-ups still offered, the model answer once asked for."""
    if not view.session_id or not view.turn_id:
        return view
    session = interview.store.session(view.session_id)
    steps = interview.steps(view.session_id) if session else []
    by_id = {s.turn_id: s for s in steps}
    current = by_id.get(view.turn_id)
    if session is None or current is None:
        return view
    ended = bool(session["ended_at"])
    names = labels(steps)
    group = attempt(steps, current.turn_id)
    question = interview.corpus.questions[current.question_id]
    rubric = interview.corpus.rubrics[question.id]
    graded = [s for s in steps if s.question_id == question.id and s.grade is not None
              and s.turn_id <= current.turn_id]
    shown = next((s for s in reversed(graded) if s in group), None)
    earlier = [(names[s.turn_id], s.grade, s.kind != "question") for s in graded if s is not shown]
    row = interview.store.turn(current.turn_id) or {}
    view = replace(view, ended=ended, earlier=feedback.earlier_markdown(earlier),
                   delivery=delivery_markdown(Delivery(**row["delivery"])) if row.get("delivery") else "",
                   can_submit=not ended and not current.answered,
                   can_retry=not ended and group[0].answered,
                   can_show_model_answer=group[0].grade is not None and not group[0].model_answer_shown,
                   model_answer=rubric.model_answer if group[0].model_answer_shown else "",
                   score="", points="", notes="", evidence=[], evidence_colours={}, follow_ups=[])
    if shown is not None and shown.grade is not None:
        fb = Feedback(shown.turn_id, question, shown.grade, interview.store.hints_for(shown.turn_id),
                      rubric.model_answer, None, other_ways(rubric, shown.grade))
        panel = feedback_view(view, fb, names[shown.turn_id], shown.kind != "question", shown.answer or "")
        view = replace(view, score=panel.score, points=panel.points, notes=panel.notes, evidence=panel.evidence,
                       evidence_colours=panel.evidence_colours)
    offered = [] if ended else offered_follow_ups(group, rubric.points)
    waiting = any(s.kind != "question" and not s.answered for s in group)
    return replace(view, follow_ups=[f.text for f in offered],
                   model_answer_skips=view.can_show_model_answer and bool(offered or waiting))


def _screen_or_view(interview: Interview, view: View) -> View:
    """`screen`, or the view as it is when the store cannot be read (the status says why already)."""
    try:
        return screen(interview, view)
    except Exception:
        log.exception("could not read the feedback panel back")
        return view


def _asked(interview: Interview, view: View, turn: AskedTurn) -> View:
    asked = replace(view, session_id=turn.session_id, turn_id=turn.turn_id, status="", answer="", delivery="",
                    chat=[*view.chat, {"role": "assistant", "content": question_message(turn)}])
    return screen(interview, asked)


def _keep_typed(status: str, interview: Interview, view: View, *_: object, **__: object) -> View:
    """A problem as the status line; the answer box stays as the candidate left it, the panel as it was."""
    return _screen_or_view(interview, replace(view, status=status, answer=None))


_guard = guard(_keep_typed, unexpected="Something went wrong on our side and nothing new was saved; "
                                       "what you typed is still in the box. Try again.")


def _keep_draft(interview: Interview, view: View, answer: str | None) -> None:
    """What is in the answer box, kept for the current turn before a button moves on (never fatal)."""
    if not (answer or "").strip() or not view.session_id or not view.turn_id:
        return
    try:
        interview.save_draft(view.session_id, view.turn_id, answer or "")
    except BotError as exc:
        log.info("draft not kept: %s", exc)


@_guard
def start(interview: Interview, view: View, candidate: str, role: str, level: str, *,
          owner: str | None = None, topics: list[str] | None = None, question_id: str | None = None,
          answer: str | None = None) -> View:
    """A new session for `owner` (server-side identity); with `topics`, questions come from those;
    with `question_id`, it opens on that question (Interview.start). `answer`: what was in the box,
    kept as the draft of the session left behind."""
    _keep_draft(interview, view, answer)
    turn = interview.start(candidate, role, level, set(topics) if topics else None, owner=owner,
                           question_id=question_id)
    fresh = View(session_id=None, turn_id=None, chat=[])  # a new session starts clean
    if topics:
        fresh = replace(fresh, chat=[{"role": "assistant", "content": "This session practises your weakest topics: "
                                      + ", ".join(topics) + "."}])
    return _asked(interview, fresh, turn)


CONFIRM_START = ("You are in the middle of a session. Start a new one? Your current session and what you "
                 "typed are kept.")


@_guard
def request_start(interview: Interview, view: View, candidate: str, role: str, level: str, *,
                  owner: str | None = None, answer: str | None = None) -> View:
    """Start, but ask first when this page has a session that has not ended (nothing changes until
    the candidate confirms; the answer box is left as it is and kept as a draft)."""
    if view.session_id and not interview.is_ended(view.session_id) and interview.store.session(view.session_id):
        _keep_draft(interview, view, answer)
        return screen(interview, replace(view, confirming=True, answer=None, status=CONFIRM_START))
    return start(interview, view, candidate, role, level, owner=owner, answer=answer)


@_guard
def cancel_start(interview: Interview, view: View) -> View:
    """Back to the session as it was."""
    return screen(interview, replace(view, answer=None, status="", confirming=False))


def save_draft(interview: Interview, view: View, answer: str | None) -> str:
    """The answer box kept for the current turn (debounced typing, leaving the box): a short note, or
    "" when there was nothing to keep it for. Never raises: a draft that could not be kept is logged."""
    if not view.session_id or not view.turn_id or answer is None:
        return ""
    try:
        kept = interview.save_draft(view.session_id, view.turn_id, answer)
    except Exception as exc:
        log.warning("draft not kept: %s", exc)
        return ""
    return "*Draft saved.*" if kept and answer.strip() else ""


def resume(interview: Interview, owner: str | None) -> View | None:
    """The screen of the owner's unfinished session (Interview.resume), or None to leave the page
    as it is. Run on page load: a failure only means no resume, never a broken page."""
    try:
        found = interview.resume(owner)
        if found is None:
            return None
        chat: list[dict] = []
        for asked, answer, grade in found.turns:
            chat.append({"role": "assistant", "content": question_message(asked)})
            if answer is not None:
                chat.append(answer_message(answer))
            if grade is not None:
                chat.append({"role": "assistant",
                             "content": graded_message(grade, asked.label, asked.kind == "follow_up")})
        asked, answer, _ = found.turns[-1]
        view = View(session_id=found.session_id, turn_id=asked.turn_id, chat=chat, answer="", role=found.role,
                    level=found.level)
        welcome = "Welcome back: your session carries on where you left off."
        if answer is not None and found.last is None:  # saved, but the grade never came (the app stopped mid-grade)
            view = replace(view, answer=answer, status=f"{welcome} Your last answer was saved but not graded; "
                                                       "press Submit to grade it.")
        elif found.draft:
            view = replace(view, answer=found.draft, status=f"{welcome} What you had typed is back in the box.")
        else:
            view = replace(view, status=welcome)
        return screen(interview, view)
    except Exception:
        log.exception("could not look up an unfinished session")
        return None


@_guard
def submit(interview: Interview, view: View, answer: str) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    fb = interview.submit(view.session_id, view.turn_id or 0, answer)
    step = next(s for s in interview.steps(view.session_id) if s.turn_id == fb.turn_id)
    label = labels(interview.steps(view.session_id)).get(fb.turn_id, "")
    chat = [*view.chat, answer_message(answer),
            {"role": "assistant", "content": graded_message(fb.grade, label, step.kind == "follow_up")}]
    return screen(interview, replace(view, chat=chat, answer="", status=""))


def transcribe(interview: Interview, view: View, recording: str | None, uploads: Path | None = None) -> View:
    """A recording (microphone or upload) becomes editable text in the answer box. A refused one
    that sits in `uploads` (the folder Gradio receives files in) is deleted there and then."""
    after = _transcribe(interview, view, recording)
    drop_refused_upload(recording, uploads, after.status.startswith("⚠️"))
    return after


@_guard
def _transcribe(interview: Interview, view: View, recording: str | None) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    if not recording:
        return screen(interview, view)  # the recording was cleared
    spoken = interview.transcribe(view.session_id, view.turn_id or 0, Path(recording))
    return screen(interview, replace(view, answer=spoken.text, status="Transcribed: correct the text if needed, "
                                     "then Submit. Your recording is saved."))


@_guard
def follow_up(interview: Interview, view: View, choice: int | None, answer: str | None = None) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    _keep_draft(interview, view, answer)
    turn = interview.follow_up(view.session_id, view.turn_id or 0, choice or 0)
    return _asked(interview, view, turn)


@_guard
def next_question(interview: Interview, view: View, answer: str | None = None) -> View:
    """The next question; after End, a new session with the same name, role and level instead."""
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    if interview.is_ended(view.session_id):
        session = interview.store.session(view.session_id) or {}
        turn = interview.start(session["candidate"], session["role"], session["level"], owner=session["owner"])
        return replace(_asked(interview, View(None, None, []), turn),
                       status="A new session has started; the one you ended is kept.")
    _keep_draft(interview, view, answer)
    turn = interview.next_question(view.session_id)
    if turn is None:
        return screen(interview, replace(view, answer=None, status="You have answered every question for this role "
                                         "and level. End the session to see your summary."))
    return _asked(interview, view, turn)


@_guard
def retry(interview: Interview, view: View, answer: str | None = None) -> View:
    """The current question again, as a new turn (the earlier attempt and its feedback are kept)."""
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    _keep_draft(interview, view, answer)
    return _asked(interview, view, interview.retry(view.session_id, view.turn_id or 0))


@_guard
def show_model_answer(interview: Interview, view: View) -> View:
    """The model answer of the current question, on request (it closes the question's follow-ups)."""
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    interview.show_model_answer(view.session_id, view.turn_id or 0)
    return screen(interview, replace(view, answer=None))


@_guard
def end(interview: Interview, view: View, answer: str | None = None) -> View:
    if not view.session_id:
        raise InterviewError("There is no session to end.")
    _keep_draft(interview, view, answer)
    s = interview.end(view.session_id)
    return screen(interview, replace(view, summary=summary_markdown(s), answer=None,
                                     status="Session ended: it is kept as it is. Press Next question or Start "
                                            "for a new one."))


def summary_markdown(s: Summary) -> str:
    return feedback.summary_markdown(s.answered, s.average, s.turns, s.weakest)
