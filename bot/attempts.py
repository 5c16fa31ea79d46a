"""A question's attempts within a session: numbering, follow-ups worth offering, the model answer's turn.

An *attempt* is a question turn and the follow-ups asked on it. A retry of the question opens a
new attempt (a question turn whose parent is the attempt it retries); both are kept. The rules,
as pure functions of the session's turns (no store, no Gradio):

- numbering: attempts are numbered 1, 2, 3 in order; their follow-ups 3a, 3b, ...;
- a follow-up is offered only while the attempt is graded, no follow-up of it is waiting for an
  answer, and its model answer has not been shown; never one already asked, nor one aimed only at
  points the attempt has covered (by the answer or by an answered follow-up);
- the model answer is shown on request once the attempt's question is graded, and showing it
  closes the attempt's follow-ups (answered or skipped: never answered with it in view).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from bot.corpus import RubricPoint
from bot.grading import FollowUp, Grade, Verdict
from bot.text import content_stems

# A question's own follow-up (no point ids) is taken as aimed at a rubric point when this share of its
# content words is in the point's text or probe: 139 of the bank's 610 such follow-ups are, e.g.
# "When would you switch from Adam to SGD with momentum?" on the point about SGD with momentum.
AIMED_AT_SHARE = 0.7


@dataclass(frozen=True)
class Step:
    """One turn as the rules see it."""

    turn_id: int
    kind: str  # "question" or "follow_up"
    parent_turn_id: int | None
    question_id: str
    prompt: str
    answer: str | None  # None until the candidate submits
    grade: Grade | None
    model_answer_shown: bool = False

    @property
    def answered(self) -> bool:
        return self.answer is not None


def root(steps: Sequence[Step], turn_id: int) -> Step:
    """The question turn that opened the attempt `turn_id` belongs to."""
    by_id = {s.turn_id: s for s in steps}
    step = by_id[turn_id]
    while step.kind != "question" and step.parent_turn_id in by_id:
        step = by_id[step.parent_turn_id]  # follow-ups asked on a follow-up (older sessions) lead back too
    return step


def attempt(steps: Sequence[Step], turn_id: int) -> list[Step]:
    """The attempt `turn_id` belongs to: its question turn, then its follow-ups in order."""
    first = root(steps, turn_id)
    return [s for s in steps if s.turn_id == first.turn_id
            or (s.kind != "question" and root(steps, s.turn_id).turn_id == first.turn_id)]


def labels(steps: Sequence[Step]) -> dict[int, str]:
    """turn id -> "3" for the third question turn, "3a", "3b" for its follow-ups."""
    out: dict[int, str] = {}
    number, letters = 0, {}
    for s in steps:
        if s.kind == "question":
            number += 1
            out[s.turn_id] = str(number)
            letters[s.turn_id] = 0
            continue
        first = root(steps, s.turn_id)
        n = letters.get(first.turn_id, 0)
        letters[first.turn_id] = n + 1
        out[s.turn_id] = out.get(first.turn_id, "?") + _letter(n)
    return out


def _letter(n: int) -> str:
    """a, b, ..., z, then aa, ab, ... (no session asks that many, but never an error)."""
    return string.ascii_lowercase[n] if n < 26 else _letter(n // 26 - 1) + string.ascii_lowercase[n % 26]


def covered_points(steps: Sequence[Step]) -> set[str]:
    """Point ids some graded step of the attempt covered."""
    return {p.point_id for s in steps if s.grade for p in s.grade.points if p.verdict is Verdict.covered}


def waiting(steps: Sequence[Step]) -> Step | None:
    """A follow-up of the attempt that was asked and not answered yet (the newest)."""
    pending = [s for s in steps if s.kind != "question" and not s.answered]
    return pending[-1] if pending else None


def aimed_at(follow_up: FollowUp, points: Sequence[RubricPoint]) -> set[str]:
    """The points a follow-up probes: its own point ids, or the rubric points its words belong to."""
    if follow_up.point_ids:
        return set(follow_up.point_ids)
    words = content_stems(follow_up.text)
    if not words:
        return set()
    return {p.id for p in points
            if len(words & content_stems(f"{p.probe} {p.text}")) / len(words) >= AIMED_AT_SHARE}


def offered_follow_ups(steps: Sequence[Step], points: Sequence[RubricPoint] = ()) -> list[FollowUp]:
    """The follow-ups of an attempt (`attempt(...)`) still worth asking, in the grader's order;
    `points` (the question's rubric points) tell which points a question's own follow-ups probe."""
    first = steps[0]
    if first.grade is None or first.model_answer_shown or waiting(steps):
        return []
    asked = {s.prompt for s in steps[1:]}
    covered = covered_points(steps)
    offered = []
    for f in first.grade.follow_ups:
        aims = aimed_at(f, points)
        if f.text not in asked and not (aims and aims <= covered):
            offered.append(f)
    return offered


def may_show_model_answer(steps: Sequence[Step]) -> bool:
    """The attempt's question is graded (showing it then closes the follow-ups)."""
    return steps[0].grade is not None
