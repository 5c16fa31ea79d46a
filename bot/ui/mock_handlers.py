"""What each button of the Interview tab does, as plain functions returning a MockView.

The view carries the phase of the question on screen (thinking, answering, done) and the
moment that phase ends; the tab's timer ticks once a second into `tick`, which turns the
think time into the answer time and, when the answer time is up, submits what is in the box
(bot/mock.py). No view built here shows a score or a rubric verdict before the report card.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bot.errors import BotError, InterviewError
from bot.grading.mcq import option_label
from bot.mock import MockInterview, MockQuestion, MockRules, MockStep
from bot.privatefiles import PrivateFiles
from bot.report import ReportCard, report_filename, report_markdown
from bot.report_pdf import report_pdf
from bot.ui.guard import drop_refused_upload, guard

log = logging.getLogger(__name__)
IDLE, THINK, ANSWER, DONE = "idle", "think", "answer", "done"
REPORTS = PrivateFiles()  # each download in a fresh 0700 folder, removed a minute later (bot/privatefiles.py)


@dataclass
class MockView:
    session_id: str | None = None
    turn_id: int | None = None
    phase: str = IDLE
    deadline: float | None = None  # time.time() at which the phase ends; None: no timer
    answer_seconds: int = 0  # the answer timer that follows the think time
    question: str | None = None  # None leaves the question (and the report card) on screen as they are
    answer: str | None = None  # None leaves the answer box as the candidate left it
    status: str = ""
    clock: str = ""
    report: str | None = None
    report_file: str | None = None  # the card to download: Markdown
    report_pdf: str | None = None  # and PDF
    only_clock: bool = False  # a tick that changed nothing but the countdown

    @property
    def running(self) -> bool:
        return self.phase in (THINK, ANSWER)

    def state(self) -> dict:
        """What the page keeps between events (gr.State): ids, the phase and its deadline."""
        return {"session_id": self.session_id, "turn_id": self.turn_id, "phase": self.phase,
                "deadline": self.deadline, "answer_seconds": self.answer_seconds}

    @classmethod
    def of_state(cls, state: dict | None) -> MockView:
        kept = state or {}
        return cls(session_id=kept.get("session_id"), turn_id=kept.get("turn_id"), phase=kept.get("phase") or IDLE,
                   deadline=kept.get("deadline"), answer_seconds=int(kept.get("answer_seconds") or 0))


def clock_text(phase: str, deadline: float | None, now: float) -> str:
    """The visible countdown."""
    if phase not in (THINK, ANSWER):
        return ""
    if deadline is None:
        return "No time limit: submit when you are ready."
    left = max(0, round(deadline - now))
    shown = f"{left // 60}:{left % 60:02d}"
    if phase == THINK:
        return f"Think time: **{shown}** — the answer timer starts after it (or press *Start answering now*)."
    return f"**{shown}** left to answer" + (" — when it reaches 0:00 your answer is submitted as it stands."
                                             if left > 10 else " — your answer is submitted at 0:00.")


def question_markdown(asked: MockQuestion) -> str:
    q = asked.question
    text = (f"### Question {asked.number} of {asked.rules.questions}\n{q.category.value} · {q.level.value} · "
            f"{', '.join(q.topics)}\n\n{q.text}")
    if q.options:
        text += "\n\n" + "\n".join(f"{option_label(i)}) {o.text}" for i, o in enumerate(q.options))
        text += "\n\n*Answer with the letter of your choice.*"
    return text


def _asking(asked: MockQuestion, now: float, status: str = "") -> MockView:
    """The screen for a question just asked: think time first when set, then the answer timer."""
    rules = asked.rules
    if rules.think_seconds:
        phase, deadline = THINK, now + rules.think_seconds
    else:
        phase, deadline = ANSWER, (now + rules.answer_seconds if rules.answer_seconds else None)
    return MockView(session_id=asked.session_id, turn_id=asked.turn_id, phase=phase, deadline=deadline,
                    answer_seconds=rules.answer_seconds, question=question_markdown(asked), answer="",
                    status=status, clock=clock_text(phase, deadline, now), report="")


def _done(card: ReportCard, status: str) -> MockView:
    text = report_markdown(card)
    files: dict[str, str | None] = {"md": None, "pdf": None}
    for suffix, make in (("md", lambda: text), ("pdf", lambda: report_pdf(card))):
        try:
            files[suffix] = str(REPORTS.write(report_filename(card, suffix), make()))
        except Exception:  # the card is still on screen; only that download is missing
            log.exception("could not prepare the report card's %s download", suffix)
    if files["md"] is None:
        status += " (The download could not be prepared; copy the card from the page.)"
    return MockView(session_id=card.session_id, turn_id=None, phase=DONE, question="", answer="", status=status,
                    report=text, report_file=files["md"], report_pdf=files["pdf"])


def _after(view: MockView, step: MockStep, now: float, said: str) -> MockView:
    """The next question (no grade shown), or the report card after the last one."""
    if step.report is not None:
        return _done(step.report, f"{said} The interview is over: your report card is below.".strip())
    assert step.asked is not None
    if step.stale:  # that question was answered already (another tab): the text stays in the box
        return replace(_asking(step.asked, now), answer=None,
                       status="⚠️ That question was already answered; this is the current one. "
                              "What you typed is still in the box.")
    return _asking(step.asked, now, f"{said} Question {step.asked.number} of {step.asked.rules.questions}.".strip())


def _keep(status: str, mock: MockInterview, view: MockView, *_: object, **__: object) -> MockView:
    """A problem as the status line; the question, the box and the timer stay as they were."""
    return replace(view, status=status, answer=None, question=None, report=None)


_guard = guard(_keep, unexpected="Something went wrong on our side; what you typed is still in the box. Try again.")


def _now(now: float | None) -> float:
    return time.time() if now is None else now


@_guard
def start(mock: MockInterview, view: MockView, candidate: str, role: str, level: str, questions: float | None,
          think_seconds: float | None, answer_seconds: float | None, *, owner: str | None = None,
          question_id: str | None = None, now: float | None = None) -> MockView:
    if view.running:
        raise InterviewError("An interview is running: answer its questions, or end it for its report card, "
                             "before starting another.")
    rules = MockRules.checked(questions, think_seconds, answer_seconds)
    asked = mock.start(candidate, role, level, rules, owner=owner, question_id=question_id)
    timer = f"{rules.answer_seconds} s to answer each" if rules.answer_seconds else "no time limit"
    think = f", {rules.think_seconds} s to think first" if rules.think_seconds else ""
    return _asking(asked, _now(now), f"Interview started: {rules.questions} questions, {timer}{think}. "
                                     "Feedback comes at the end, on the report card.")


def _require(view: MockView) -> None:
    if not view.session_id or not view.running:
        raise InterviewError("No interview is running; press Start interview to begin one.")


@_guard
def submit(mock: MockInterview, view: MockView, answer: str, now: float | None = None) -> MockView:
    """Save and grade the answer out of sight, then the next question (or the report card)."""
    _require(view)
    step = mock.answer(view.session_id or "", view.turn_id or 0, answer)
    return _after(view, step, _now(now), "Answer saved.")


@_guard
def begin(mock: MockInterview, view: MockView, now: float | None = None) -> MockView:
    """End the think time early: the answer timer starts now."""
    _require(view)
    if view.phase != THINK:
        return replace(view, question=None, report=None, only_clock=True)
    return _answering(view, _now(now))


def _answering(view: MockView, now: float) -> MockView:
    deadline = now + view.answer_seconds if view.answer_seconds else None
    return replace(view, phase=ANSWER, deadline=deadline, clock=clock_text(ANSWER, deadline, now),
                   status="", question=None, report=None)


@_guard
def tick(mock: MockInterview, view: MockView, answer: str, now: float | None = None) -> MockView:
    """Once a second while a timer runs: the countdown; at zero, think time turns into answer time,
    and answer time submits the box as it stands (bot/mock.py MockInterview.time_up)."""
    at = _now(now)
    if not view.running or view.deadline is None or at < view.deadline:
        return replace(view, clock=clock_text(view.phase, view.deadline, at), only_clock=True)
    if view.phase == THINK:
        return replace(_answering(view, at), status="Think time is over: answer now.")
    try:
        step, submitted = mock.time_up(view.session_id or "", view.turn_id or 0, answer)
    except BotError as exc:  # e.g. an answer over the length limit: say so, stop the timer, let them submit
        return replace(view, deadline=None, clock=clock_text(ANSWER, None, at), question=None, report=None,
                       answer=None, status=f"⚠️ Time is up, but your answer could not be submitted: {exc}")
    said = ("Time is up: your answer was submitted as it stood." if submitted
            else "Time is up: no answer was given, so that question scores 0.")
    return _after(view, step, at, said)


def transcribe(mock: MockInterview, view: MockView, recording: str | None, uploads: Path | None = None) -> MockView:
    """A spoken answer becomes editable text in the box (how it was spoken shows on the report card).
    A refused upload that sits in `uploads` (Gradio's upload folder) is deleted there and then."""
    after = _transcribe(mock, view, recording)
    drop_refused_upload(recording, uploads, after.status.startswith("⚠️"))
    return after


@_guard
def _transcribe(mock: MockInterview, view: MockView, recording: str | None) -> MockView:
    _require(view)
    if not recording:
        return replace(view, question=None, report=None, only_clock=True)
    spoken = mock.interview.transcribe(view.session_id or "", view.turn_id or 0, Path(recording))
    return replace(view, question=None, report=None, answer=spoken.text,
                   status="Transcribed: correct the text if needed, then Submit. Your recording is saved.")


@_guard
def end(mock: MockInterview, view: MockView, answer: str = "") -> MockView:
    """End now: an answer in the box is submitted first (nothing typed is lost), then the report
    card for what was answered."""
    if not view.session_id:
        raise InterviewError("There is no interview to end.")
    said = ""
    if view.running and any(c.isalnum() for c in answer or ""):
        step = mock.answer(view.session_id, view.turn_id or 0, answer)
        if step.report is not None:
            return _done(step.report, "Your answer was saved. The interview is over: your report card is below.")
        said = "Your answer in the box was saved first. "
    card = mock.end(view.session_id)
    return _done(card, f"{said}Interview ended: the report card covers the questions you answered.")


def resume(mock: MockInterview, owner: str | None, now: float | None = None) -> MockView | None:
    """The screen of the owner's unfinished mock interview, or None. Run on page load: a failure
    only means no resume, never a broken page."""
    try:
        found = mock.resume(owner)
        if found is None:
            return None
        if found.step.report is not None:
            return _done(found.step.report, "Welcome back: your interview is over; here is its report card.")
        assert found.step.asked is not None
        asked = found.step.asked
        view = _asking(asked, _now(now), f"Welcome back: your interview carries on at question {asked.number} of "
                                         f"{asked.rules.questions}; its timer starts again.")
    except Exception:
        log.exception("could not look up an unfinished mock interview")
        return None
    if found.unsaved is not None:  # saved, but the grade never came (the app stopped mid-grade)
        view = replace(view, phase=ANSWER, deadline=None, clock=clock_text(ANSWER, None, _now(now)),
                       answer=found.unsaved, status=view.status + " Your answer was saved but not graded; "
                                                                  "press Submit to carry on.")
    return view
