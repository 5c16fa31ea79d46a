"""Multiple-choice questions are graded exactly: the chosen option is right or wrong."""

from __future__ import annotations

import re
import string

from bot.corpus import Question, Rubric
from bot.grading import FollowUp, Grade, PointGrade, Verdict

LETTERS = string.ascii_uppercase


def option_label(i: int) -> str:
    return LETTERS[i]


def parse_choice(question: Question, answer: str) -> int | None:
    """'B', 'b)', 'Option B', '(b)' or the option's own text -> its index; None if unclear."""
    text = answer.strip()
    m = re.fullmatch(r"(?:option\s*|answer\s*[:=]?\s*)?\(?([a-z])\)?[.):]?(?:\s.*)?", text, re.IGNORECASE | re.DOTALL)
    if m and LETTERS.index(m.group(1).upper()) < len(question.options):
        return LETTERS.index(m.group(1).upper())
    norm = " ".join(text.lower().split())
    for i, opt in enumerate(question.options):
        if norm == " ".join(opt.text.lower().split()):
            return i
    return None


def grade_choice(question: Question, rubric: Rubric, answer: str) -> Grade:
    choice = parse_choice(question, answer)
    correct = question.correct_option
    assert correct is not None
    right = choice == correct
    label = f"{option_label(correct)}) {question.options[correct].text}"
    if choice is None:
        notice = f"Could not tell which option you chose from “{answer[:60]}”; answer with a letter (A-{option_label(len(question.options) - 1)})."
    else:
        notice = None
    point = PointGrade(point_id="choice", text=f"chooses the correct option: {label}", weight=1.0,
                       verdict=Verdict.covered if right else Verdict.missing,
                       evidence=f"{option_label(choice)}) {question.options[choice].text}" if choice is not None else None,
                       coverage=1.0 if right else 0.0)
    return Grade(
        score=10.0 if right else 0.0,
        points=[point],
        strengths=["chose the correct option"] if right else [],
        gaps=[] if right else [f"the correct option is {label}"],
        follow_ups=[FollowUp(text=p.probe, point_ids=[p.id]) for p in rubric.points[:2]],
        grader="exact",
        model=None,
        notices=[notice] if notice else [],
    )
