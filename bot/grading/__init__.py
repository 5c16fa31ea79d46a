"""Grading behind one interface: Grader.grade(question, rubric_points, answer, red_flags) -> Grade.

Every grader returns a verdict per rubric point with the words of the answer that earned
it; the 0-10 score is always computed here, from verdicts and weights, never taken from a
model's free text.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.corpus import Question, RedFlag, RubricPoint

log = logging.getLogger(__name__)


class Verdict(StrEnum):
    covered = "covered"
    partial = "partial"
    missing = "missing"
    incorrect = "incorrect"  # the answer states the opposite of the point, or one of its red flags


class GraderKind(StrEnum):
    """Who gave a grade: `Grade.grader`, stored as this string in grades.grader (and the session's
    grader in sessions.grader), so the values never change."""

    rubric = "rubric"  # the offline grader (the claim grader too: stored sessions and the UI know it so)
    llm = "llm"  # an LLM through an OpenAI-compatible endpoint
    exact = "exact"  # a multiple-choice answer checked against the correct option (mcq.ChoiceGrader)
    timer = "timer"  # a mock-interview question whose time ran out with nothing said (bot/mock.py): 0


# How a verdict is shown, everywhere (feedback, coach view, exports, report card): one mark each.
MARKS = {Verdict.covered: "✓", Verdict.partial: "◐", Verdict.missing: "✗", Verdict.incorrect: "⊘"}


def verdict_label(verdict: Verdict) -> str:
    """"✓ covered", "⊘ incorrect", ..."""
    return f"{MARKS[verdict]} {verdict.value}"


def verdict_counts(points: list[PointGrade]) -> str:
    """"3 of 5 points covered, 1 partial, 1 incorrect": partial and incorrect counted honestly."""
    n = {v: sum(p.verdict is v for p in points) for v in Verdict}
    extra = "".join(f", {n[v]} {v.value}" for v in (Verdict.partial, Verdict.incorrect) if n[v])
    return f"{n[Verdict.covered]} of {len(points)} point{'s' if len(points) != 1 else ''} covered{extra}"


CREDIT = {Verdict.covered: 1.0, Verdict.partial: 0.5, Verdict.missing: 0.0, Verdict.incorrect: 0.0}
# An incorrect point earns nothing and costs a quarter of its own weight: an interviewer marks a
# confident falsehood down more than silence, but one slip should not wipe out the rest of an answer.
INCORRECT_PENALTY = 0.25


class PointGrade(BaseModel):
    point_id: str
    text: str
    weight: float
    verdict: Verdict
    evidence: str | None = None
    coverage: float = Field(0.0, ge=0.0, le=1.0)


class FalseClaim(BaseModel):
    """Something the answer said that is wrong: the candidate's words, and what is right instead."""

    quote: str
    fact: str
    point_id: str | None = None


class FollowUp(BaseModel):
    """A follow-up question; `point_ids` are the rubric points its answer is graded on."""

    text: str
    point_ids: list[str] = []


class Grade(BaseModel):
    score: float = Field(ge=0.0, le=10.0)
    points: list[PointGrade]
    strengths: list[str] = []
    gaps: list[str] = []
    follow_ups: list[FollowUp] = []
    false_claims: list[FalseClaim] = []
    grader: GraderKind
    model: str | None = None
    notices: list[str] = []

    @property
    def has_incorrect(self) -> bool:
        """Some point is graded incorrect: the candidate is told they said something false."""
        return any(p.verdict is Verdict.incorrect for p in self.points)


class GradingError(RuntimeError):
    """A grader could not produce a grade (the LLM timed out, answered nonsense, ...)."""


def score_from_points(points: list[PointGrade], penalty: float = INCORRECT_PENALTY,
                      share: dict[str, float] | None = None) -> float:
    """Weighted share of credit over the points, less `penalty` (a share of its weight) for each incorrect one,
    on 0-10, one decimal; `share`: the part of its credit a point keeps (by point id; 1 for the rest)."""
    total = sum(p.weight for p in points)
    if total <= 0:
        return 0.0
    share = share or {}
    earned = sum(p.weight * CREDIT[p.verdict] * share.get(p.point_id, 1.0) for p in points)
    earned -= penalty * sum(p.weight for p in points if p.verdict is Verdict.incorrect)
    return round(max(0.0, 10.0 * earned / total), 1)


def probe_follow_ups(question: Question, points: list[RubricPoint], grades: list[PointGrade],
                     limit: int = 3) -> list[FollowUp]:
    """Follow-ups from the probes of the most important missed points, then the question's own."""
    by_id = {p.id: p for p in points}
    weak = sorted((g for g in grades if g.verdict is not Verdict.covered),
                  key=lambda g: (g.verdict is Verdict.partial, -g.weight, g.coverage))
    out = [FollowUp(text=by_id[g.point_id].probe, point_ids=[g.point_id]) for g in weak if g.point_id in by_id]
    out += [FollowUp(text=t) for t in question.follow_ups]
    return out[:limit]


class Grader(ABC):
    kind: GraderKind  # what its grades are stored as
    model: str | None = None
    retrieves_points: bool = True  # graded against the points nearest the answer, with hints (not ChoiceGrader)

    @abstractmethod
    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str,
              red_flags: list[RedFlag] = ()) -> Grade:
        """Grade `answer` to `question` against `rubric_points`; `red_flags` are the question's known
        false claims (a grader may use them to find what the answer gets wrong)."""


class FallbackGrader(Grader):
    """Use `primary`; when it fails, grade with `fallback` and say so in the feedback."""

    def __init__(self, primary: Grader, fallback: Grader) -> None:
        self.primary, self.fallback = primary, fallback
        self.kind, self.model = primary.kind, primary.model

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str,
              red_flags: list[RedFlag] = ()) -> Grade:
        try:
            return self.primary.grade(question, rubric_points, answer, red_flags)
        except GradingError as exc:
            log.warning("%s grader failed (%s); falling back to %s", self.primary.kind, exc, self.fallback.kind)
            reason = str(exc)
        except Exception:  # a bug in the primary grader must not cost the candidate their grade
            log.exception("%s grader crashed; falling back to %s", self.primary.kind, self.fallback.kind)
            reason = "an internal error"
        grade = self.fallback.grade(question, rubric_points, answer, red_flags)
        notice = (f"The {self.primary.kind.upper()} grader could not be used ({reason}); "
                  "this grade comes from the offline rubric grader.")
        return grade.model_copy(update={"notices": [notice, *grade.notices]})
