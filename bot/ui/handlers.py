"""What each button does, as plain functions of the Interview and the inputs.

They return a View (what the screen should show) and never raise: a problem the candidate
can fix comes back as `status`, and the answer box keeps what they typed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.delivery import Delivery, advice, summary
from bot.grading import Grade, Verdict, verdict_counts, verdict_label
from bot.grading.mcq import option_label
from bot.interview import AskedTurn, Feedback, Interview, InterviewError, Summary
from bot.text import escape_markdown
from bot.ui.guard import guard

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
    model_answer: str = ""
    follow_ups: list[str] = field(default_factory=list)
    summary: str = ""
    delivery: str = ""
    role: str | None = None  # None leaves the role and level pickers as they are
    level: str | None = None


def question_message(turn: AskedTurn) -> str:
    q = turn.question
    if turn.kind == "follow_up":
        return f"**Follow-up:** {escape_markdown(turn.prompt)}"  # an LLM's words
    text = f"**Question {turn.number}** · {q.category.value} · {q.level.value} · {', '.join(q.topics)}\n\n{q.text}"
    if q.options:
        text += "\n\n" + "\n".join(f"{option_label(i)}) {o.text}" for i, o in enumerate(q.options))
        text += "\n\n*Answer with the letter of your choice.*"
    return text


def feedback_view(view: View, fb: Feedback) -> View:
    g = fb.grade
    grader = {"rubric": "offline rubric grader", "llm": f"LLM grader ({g.model})", "exact": "exact answer check"}
    score = f"### {g.score:.1f} / 10\n{verdict_counts(g.points)} · {grader.get(g.grader, g.grader)}"
    if g.notices:
        score += "\n\n" + "\n".join(f"> ⚠️ {escape_markdown(n)}" for n in g.notices)
    points = "\n".join(_point_line(p, fb.other_ways.get(p.point_id, [])) for p in g.points)
    if g.false_claims:  # the candidate's words, and a fact that may be an LLM's words: both shown as text
        points += "\n\n**What was wrong**\n" + "\n".join(
            f"- You said “{escape_markdown(c.quote)}” — in fact, {escape_markdown(c.fact)}" for c in g.false_claims)
    notes = f"**Why:** {fb.model_answer}\n\n" if g.grader == "exact" else ""
    point_texts = {p.text for p in g.points}  # the offline grader's strengths and gaps are the points above
    if g.strengths and not set(g.strengths) <= point_texts:
        notes += "**Strengths**\n" + "\n".join(f"- {escape_markdown(s)}" for s in g.strengths) + "\n\n"
    if g.gaps and not set(g.gaps) <= point_texts:
        notes += "**To work on**\n" + "\n".join(f"- {escape_markdown(s)}" for s in g.gaps) + "\n\n"
    if fb.hints:
        notes += "**Related ideas from other questions** (hints, not scored)\n" + "\n".join(
            f"- {h.point_text} — *{h.question_text}*" for h in fb.hints)
    if fb.delivery is not None:
        view = replace(view, delivery=delivery_markdown(fb.delivery))
    chat = [*view.chat, {"role": "assistant", "content": graded_message(g)}]
    return replace(view, chat=chat, answer="", status="", score=score, points=points, notes=notes.strip(),
                   model_answer=fb.model_answer, follow_ups=[f.text for f in g.follow_ups])  # radio labels: plain text


def _point_line(p, ways: list[str]) -> str:
    """One point's verdict, the words that earned it, and (when missed) other ways to make it."""
    line = f"- **{verdict_label(p.verdict)}** — {p.text}"
    if p.evidence:
        line += f"\n  > “{escape_markdown(p.evidence)}”"
    if ways and p.verdict is not Verdict.covered:
        line += "\n  *Other ways to make this point:* " + " · ".join(f"“{w}”" for w in ways)
    return line


def graded_message(g: Grade) -> str:
    return (f"{g.score:.1f}/10 — {verdict_counts(g.points)}. "
            "See the feedback panel; answer a follow-up or take the next question.")


def answer_message(answer: str) -> dict:
    """The candidate's answer as echoed into the chat (a very long one is cut; all of it is saved)."""
    shown = escape_markdown(answer) if len(answer) <= CHAT_ECHO_CHARS else (
        f"{escape_markdown(answer[:CHAT_ECHO_CHARS])} … *({len(answer) - CHAT_ECHO_CHARS:,} more characters, all saved)*")
    return {"role": "user", "content": shown}


def delivery_markdown(d: Delivery) -> str:
    return f"**Delivery** · {summary(d)}\n\n{advice(d)}"


def _asked(view: View, turn: AskedTurn) -> View:
    return replace(view, session_id=turn.session_id, turn_id=turn.turn_id, status="", follow_ups=[], answer="",
                   delivery="",
                   chat=[*view.chat, {"role": "assistant", "content": question_message(turn)}])


def _keep_typed(status: str, interview: Interview, view: View, *_: object, **__: object) -> View:
    """A problem as the status line; the answer box stays as the candidate left it."""
    return replace(view, status=status, answer=None)


_guard = guard(_keep_typed, unexpected="Something went wrong on our side and nothing new was saved; "
                                       "what you typed is still in the box. Try again.")


@_guard
def start(interview: Interview, view: View, candidate: str, role: str, level: str, *,
          owner: str | None = None, topics: list[str] | None = None, question_id: str | None = None) -> View:
    """A new session for `owner` (server-side identity); with `topics`, questions come from those;
    with `question_id`, it opens on that question (Interview.start)."""
    turn = interview.start(candidate, role, level, set(topics) if topics else None, owner=owner,
                           question_id=question_id)
    fresh = View(session_id=None, turn_id=None, chat=[])  # a new session starts clean
    if topics:
        fresh = replace(fresh, chat=[{"role": "assistant", "content": "This session practises your weakest topics: "
                                      + ", ".join(topics) + "."}])
    return _asked(fresh, turn)


def resume(interview: Interview, owner: str | None) -> View | None:
    """The screen of the owner's unfinished session (Interview.resume), or None to leave the page
    as it is. Run on page load: a failure only means no resume, never a broken page."""
    try:
        found = interview.resume(owner)
    except Exception:
        log.exception("could not look up an unfinished session")
        return None
    if found is None:
        return None
    chat: list[dict] = []
    for i, (asked, answer, grade) in enumerate(found.turns):
        chat.append({"role": "assistant", "content": question_message(asked)})
        if answer is not None:
            chat.append(answer_message(answer))
        if grade is not None and i < len(found.turns) - 1:  # the last grade comes with its feedback below
            chat.append({"role": "assistant", "content": graded_message(grade)})
    asked, answer, _ = found.turns[-1]
    view = View(session_id=found.session_id, turn_id=asked.turn_id, chat=chat, answer="", role=found.role,
                level=found.level)
    welcome = "Welcome back: your session carries on where you left off."
    if found.last is not None:
        return replace(feedback_view(view, found.last), status=welcome)
    if answer is not None:  # saved, but the grade never came (the app stopped mid-grade)
        return replace(view, answer=answer, status=f"{welcome} Your last answer was saved but not graded; "
                                                   "press Submit to grade it.")
    return replace(view, status=welcome)


@_guard
def submit(interview: Interview, view: View, answer: str) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    fb = interview.submit(view.session_id, view.turn_id or 0, answer)
    return feedback_view(replace(view, chat=[*view.chat, answer_message(answer)]), fb)


def transcribe(interview: Interview, view: View, recording: str | None, uploads: Path | None = None) -> View:
    """A recording (microphone or upload) becomes editable text in the answer box. A refused one
    that sits in `uploads` (the folder Gradio receives files in) is deleted there and then."""
    after = _transcribe(interview, view, recording)
    if recording and uploads is not None and after.status.startswith("⚠️"):
        path = Path(recording).resolve()
        if path.is_relative_to(uploads.resolve()):
            path.unlink(missing_ok=True)
    return after


@_guard
def _transcribe(interview: Interview, view: View, recording: str | None) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    if not recording:
        return view  # the recording was cleared
    spoken = interview.transcribe(view.session_id, view.turn_id or 0, Path(recording))
    return replace(view, answer=spoken.text, delivery=delivery_markdown(spoken.delivery),
                   status="Transcribed: correct the text if needed, then Submit. Your recording is saved.")


@_guard
def follow_up(interview: Interview, view: View, choice: int | None) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    turn = interview.follow_up(view.session_id, view.turn_id or 0, choice or 0)
    return _asked(view, turn)


@_guard
def next_question(interview: Interview, view: View) -> View:
    if not view.session_id:
        raise InterviewError("Press Start to begin a session first.")
    turn = interview.next_question(view.session_id)
    if turn is None:
        return replace(view, status="You have answered every question for this role and level. End the session to see your summary.")
    return _asked(view, turn)


@_guard
def end(interview: Interview, view: View) -> View:
    if not view.session_id:
        raise InterviewError("There is no session to end.")
    return replace(view, summary=summary_markdown(interview.end(view.session_id)), follow_ups=[],
                   status="Session ended. Press Start for a new one.", turn_id=None)


def summary_markdown(s: Summary) -> str:
    if not s.answered:
        return "### Session summary\nNo answers were graded in this session."
    lines = [f"### Session summary\n**{s.answered}** answers graded · average **{s.average:.1f} / 10**", "",
             "| # | question | kind | score |", "|---|---|---|---|"]
    lines += [f"| {t['seq']} | {t['question_id']} | {t['kind'].replace('_', '-')} | {t['score']:.1f} |" for t in s.turns]
    if s.weakest:
        lines += ["", "**Most often missed**", *[f"- {w}" for w in s.weakest]]
    return "\n".join(lines)
