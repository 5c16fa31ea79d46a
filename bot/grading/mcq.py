"""Multiple-choice questions are graded exactly: the chosen option is right or wrong."""

from __future__ import annotations

import re
import string

from bot.corpus import Corpus, Question, RedFlag, RubricPoint
from bot.grading import FollowUp, Grade, Grader, GraderKind, PointGrade, Verdict

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


def correct_label(question: Question) -> str:
    """"B) the option's text" for the correct option."""
    correct = question.correct_option
    assert correct is not None
    return f"{option_label(correct)}) {question.options[correct].text}"


def choice_point(question: Question, choice: int | None) -> PointGrade:
    """The one point a multiple-choice answer is graded on: the correct option, chosen or not."""
    right = choice == question.correct_option
    return PointGrade(point_id="choice", text=f"chooses the correct option: {correct_label(question)}", weight=1.0,
                      verdict=Verdict.covered if right else Verdict.missing,
                      evidence=f"{option_label(choice)}) {question.options[choice].text}" if choice is not None else None,
                      coverage=1.0 if right else 0.0)


class ChoiceGrader(Grader):
    """A multiple-choice answer graded exactly: the chosen option is right (10) or wrong (0). The
    follow-ups are the probes of the question's first two rubric points, whatever was chosen."""

    kind = GraderKind.exact
    retrieves_points = False  # an option is right or wrong: nothing to retrieve, no hints

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str,
              red_flags: list[RedFlag] = ()) -> Grade:
        choice = parse_choice(question, answer)
        point = choice_point(question, choice)
        right = point.verdict is Verdict.covered
        notice = None
        if choice is None:
            notice = (f"Could not tell which option you chose from “{answer[:60]}”; answer with a letter "
                      f"(A-{option_label(len(question.options) - 1)}).")
        return Grade(
            score=10.0 if right else 0.0,
            points=[point],
            strengths=["chose the correct option"] if right else [],
            gaps=[] if right else [f"the correct option is {correct_label(question)}"],
            follow_ups=[FollowUp(text=p.probe, point_ids=[p.id]) for p in self.corpus.rubrics[question.id].points[:2]],
            grader=self.kind,
            model=None,
            notices=[notice] if notice else [],
        )
