"""Interview mode: a fixed number of questions, optional think time and an answer timer, and no
feedback until the report card at the end.

Built on `Interview`, so both modes are stored the same way (sessions, turns and grades; the
session's `mode` is "interview" and its rules sit in its settings): every answer is saved and
graded as it comes, so a reload or a restart loses nothing and resumes the interview, and
Progress and the coach's desk read it like any other session. Only what is *shown* differs: the
grades stay out of sight until the last question is answered or the interview is ended.

When the answer time runs out, the answer in the box is submitted as it stands (a real interview
does not wait either); with nothing in the box the question is kept as unanswered and scores 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.corpus import Level, Question
from bot.errors import InterviewError
from bot.grading import Grade, GraderKind, PointGrade, Verdict
from bot.grading.mcq import choice_point
from bot.interview import RESUME_WITHIN, Interview
from bot.records import SessionRow, TurnRow
from bot.report import ReportCard, report_card
from bot.text import clean_answer

MODE = "interview"
DEFAULT_QUESTIONS = 5
MAX_QUESTIONS = 10
MAX_THINK_S = 300
MAX_ANSWER_S = 1800
MIN_TIMER_S = 5  # a shorter timer is a typo, not a setting


@dataclass(frozen=True)
class MockRules:
    """How the interview runs; 0 seconds means no think time / no answer timer."""

    questions: int = DEFAULT_QUESTIONS
    think_seconds: int = 0
    answer_seconds: int = 0

    @classmethod
    def checked(cls, questions: float | None, think_seconds: float | None, answer_seconds: float | None) -> MockRules:
        """Rules from what the candidate set, or an error that says what is allowed."""
        n = int(questions) if questions is not None else DEFAULT_QUESTIONS
        think = int(think_seconds or 0)
        answer = int(answer_seconds or 0)
        if not 1 <= n <= MAX_QUESTIONS:
            raise InterviewError(f"Choose between 1 and {MAX_QUESTIONS} questions for the interview.")
        if think and not MIN_TIMER_S <= think <= MAX_THINK_S:
            raise InterviewError(f"Think time is 0 (none) or {MIN_TIMER_S} to {MAX_THINK_S} seconds.")
        if answer and not MIN_TIMER_S <= answer <= MAX_ANSWER_S:
            raise InterviewError(f"Answer time is 0 (no timer) or {MIN_TIMER_S} to {MAX_ANSWER_S} seconds.")
        if think < 0 or answer < 0:
            raise InterviewError("Times cannot be negative: use 0 for no timer.")
        return cls(n, think, answer)

    def as_settings(self) -> dict:
        return {"mock": {"questions": self.questions, "think_seconds": self.think_seconds,
                         "answer_seconds": self.answer_seconds}}

    @classmethod
    def of_session(cls, session: SessionRow) -> MockRules:
        kept = session["settings"].get("mock") or {}
        return cls(int(kept.get("questions", DEFAULT_QUESTIONS)), int(kept.get("think_seconds", 0)),
                   int(kept.get("answer_seconds", 0)))


@dataclass(frozen=True)
class MockQuestion:
    """The question the candidate is answering now: number `number` of `rules.questions`."""

    session_id: str
    turn_id: int
    number: int
    question: Question
    rules: MockRules


@dataclass(frozen=True)
class MockStep:
    """What follows an answer: the next question, or the report card (after the last question,
    when the interview ended, or when the bank ran out of questions)."""

    asked: MockQuestion | None = None
    report: ReportCard | None = None
    stale: bool = False  # the answer was not used: that question was answered already (another tab)


@dataclass(frozen=True)
class MockResumed:
    """A running interview read back from the store after a reload or a restart."""

    step: MockStep
    unsaved: str | None = None  # an answer saved but never graded (the app stopped mid-grade)


class MockInterview:
    def __init__(self, interview: Interview) -> None:
        self.interview = interview
        self.store, self.corpus = interview.store, interview.corpus

    def start(self, candidate: str, role: str, level: str, rules: MockRules, owner: str | None = None,
              question_id: str | None = None) -> MockQuestion:
        """A new mock interview; `question_id` opens it on that question (tests)."""
        turn = self.interview.start(candidate, role, level, owner=owner, question_id=question_id, mode=MODE,
                                    rules=rules.as_settings())
        return MockQuestion(turn.session_id, turn.turn_id, 1, turn.question, rules)

    def answer(self, session_id: str, turn_id: int, text: str) -> MockStep:
        """Save and grade the answer (its grade is not returned: no feedback until the end), then the
        next question or the report card. An answer already graded (a second press, a second tab)
        is not graded again: the interview simply goes on from where it is."""
        session = self._running(session_id)
        turn = self._own_turn(session_id, turn_id)
        if self.store.grade_for(turn["id"]) is not None:
            return replace(self._advance(session), stale=True)
        self.interview.submit(session_id, turn_id, text)
        return self._advance(session)

    def time_up(self, session_id: str, turn_id: int, text: str) -> tuple[MockStep, bool]:
        """The answer time ran out: the answer in the box (or a spoken answer's transcript) is
        submitted as it stands; with no words at all, the question is kept as unanswered and scores 0.
        Returns the next step, and whether an answer was submitted."""
        session = self._running(session_id)
        turn = self._own_turn(session_id, turn_id)
        if self.store.grade_for(turn_id) is not None:  # answered meanwhile (a press of Submit, another tab)
            return replace(self._advance(session), stale=True), False
        words = clean_answer(text or "") or clean_answer(turn.get("transcript") or "")
        if any(c.isalnum() for c in words):
            return self.answer(session_id, turn_id, words), True
        with self.interview._only_grader(turn_id):  # the same one-grade-per-turn claim as submit
            if self.store.grade_for(turn_id) is None:
                self.store.save_answer(turn_id, words)
                self.store.save_grade(turn_id, self._unanswered(session, turn), [], 0.0)
        return self._advance(session), False

    def end(self, session_id: str) -> ReportCard:
        """End the interview early (or again): the report card covers what was answered."""
        session = self._session(session_id)
        if not session["ended_at"]:
            self.interview.end(session_id)
        return self.report(session_id)

    def report(self, session_id: str) -> ReportCard:
        session = self._session(session_id)
        record = self.store.session_record(session_id)
        if record is None:
            raise InterviewError("That interview is not in the database any more; start a new one.")
        return report_card(record, self.corpus, MockRules.of_session(session).questions)

    def resume(self, owner: str | None, now: datetime | None = None) -> MockResumed | None:
        """The owner's newest session when it is an unfinished mock interview begun within
        RESUME_WITHIN: the question being answered comes back (its timer starts again)."""
        session = self.store.latest_session(owner) if owner else None
        if session is None or session["ended_at"] or session["mode"] != MODE:
            return None
        if (now or datetime.now(UTC)) - datetime.fromisoformat(session["started_at"]) > RESUME_WITHIN:
            return None
        turns = self.store.turns(session["id"])
        if not turns or any(t["question_id"] not in self.corpus.questions for t in turns):
            return None  # nothing asked yet, or the question bank changed since
        last = turns[-1]
        if self.store.grade_for(last["id"]) is None and last["answer"] is not None:
            return MockResumed(MockStep(asked=self._asked(session, turns, last)), unsaved=last["answer"])
        return MockResumed(self._advance(session))

    # the steps ----------------------------------------------------------------------------------

    def _advance(self, session: SessionRow) -> MockStep:
        """The question still open, else the next one, else (all asked, or none left) the report card."""
        turns = self.store.turns(session["id"])
        last = turns[-1]
        if self.store.grade_for(last["id"]) is None:
            return MockStep(asked=self._asked(session, turns, last))
        rules = MockRules.of_session(session)
        if sum(t["kind"] == "question" for t in turns) < rules.questions:
            turn = self.interview.next_question(session["id"])
            if turn is not None:
                asked = sum(t["kind"] == "question" for t in turns) + 1
                return MockStep(asked=MockQuestion(session["id"], turn.turn_id, asked, turn.question, rules))
        return MockStep(report=self.end(session["id"]))

    def _asked(self, session: SessionRow, turns: list[TurnRow], turn: TurnRow) -> MockQuestion:
        number = sum(t["kind"] == "question" for t in turns if t["seq"] <= turn["seq"])
        return MockQuestion(session["id"], turn["id"], number, self.corpus.questions[turn["question_id"]],
                            MockRules.of_session(session))

    def _unanswered(self, session: SessionRow, turn: TurnRow) -> Grade:
        """The grade of a question left without an answer: every point it is graded on, missing."""
        question = self.corpus.questions[turn["question_id"]]
        rubric = self.corpus.rubrics[question.id]
        if question.options:
            points = [choice_point(question, None)]
        else:
            points = [PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.missing)
                      for p in rubric.expected_points(Level(session["level"]))]
        return Grade(score=0.0, points=points, grader=GraderKind.timer,
                     notices=["Time ran out before an answer was given; an unanswered question scores 0."])

    # lookups ------------------------------------------------------------------------------------

    def _session(self, session_id: str) -> SessionRow:
        session = self.store.session(session_id) if session_id else None
        if session is None or session["mode"] != MODE:
            raise InterviewError("No mock interview is running; press Start interview to begin one.")
        return session

    def _running(self, session_id: str) -> SessionRow:
        session = self._session(session_id)
        if session["ended_at"]:
            raise InterviewError("This interview has ended; its report card is below. "
                                 "Press Start interview for a new one.")
        return session

    def _own_turn(self, session_id: str, turn_id: int) -> TurnRow:
        turn = self.store.turn(turn_id) if turn_id else None
        if turn is None or turn["session_id"] != session_id:
            raise InterviewError("That question is not part of this interview; reload the page to carry on.")
        return turn
