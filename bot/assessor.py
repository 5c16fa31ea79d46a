"""One answer, graded: the part of a session that needs no store (also `python -m bot ask` and `eval`).

`Assessor` picks who grades an answer (the multiple-choice grader or the configured one), retrieves
the points nearest the answer and the hints, and returns the grade in rubric order; `Feedback` is
what a candidate is shown for it. The notes here say how an answer was read (`answer_notices`) and
at which level a question is graded (`level_note`). bot/interview.py keeps the session around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.corpus import Corpus, Level, Question, Rubric, RubricPoint
from bot.delivery import Delivery
from bot.grading import Grade, Grader, Verdict
from bot.grading.mcq import ChoiceGrader
from bot.index import RubricIndex
from bot.language import foreign_language
from bot.records import Hint
from bot.text import has_invisible, sentences


@dataclass(frozen=True)
class Feedback:
    turn_id: int
    question: Question
    grade: Grade
    hints: list[Hint]
    model_answer: str
    delivery: Delivery | None = None
    other_ways: dict[str, list[str]] = field(default_factory=dict)  # point id -> examples, for points not covered


def other_ways(rubric: Rubric, grade: Grade, limit: int = 2) -> dict[str, list[str]]:
    """Up to `limit` of each not-covered point's examples: other ways a candidate could have made it."""
    examples = {p.id: p.examples for p in rubric.points}
    return {g.point_id: examples[g.point_id][:limit] for g in grade.points
            if g.verdict is not Verdict.covered and examples.get(g.point_id)}


@dataclass(frozen=True)
class Assessor:
    """Grades one answer: the part of a session that needs no store (also `python -m bot ask`).
    `grader` grades answers in words; a multiple-choice question's own answer goes to
    `choice_grader` (ChoiceGrader over the corpus unless one is given)."""

    corpus: Corpus
    index: RubricIndex
    grader: Grader
    choice_grader: Grader | None = None

    def grader_for(self, question: Question, follow_up: bool = False) -> Grader:
        """Who grades an answer to `question`: the multiple-choice grader when it has options and
        this is not a follow-up (a follow-up is answered in words), else the configured grader."""
        if question.options and not follow_up:
            return self.choice_grader or ChoiceGrader(self.corpus)
        return self.grader

    def grade_answer(self, question: Question, points: list[RubricPoint], answer: str,
                     follow_up: bool = False) -> tuple[Grade, list[Hint]]:
        """Grade one answer to `question` against `points` (grader_for says by whom)."""
        grader = self.grader_for(question, follow_up)
        if not grader.retrieves_points:
            return grader.grade(question, points, answer), []
        retrieval = self.index.retrieve(question, points, sentences(answer))
        # The grader reads the points nearest the answer first (index.Retrieval says what that
        # orders); the candidate sees them in rubric order, numbered as the rubric numbers them.
        grade = grader.grade(question, retrieval.points, answer, self.corpus.rubrics[question.id].red_flags)
        order = {p.id: i for i, p in enumerate(points)}
        grade = grade.model_copy(update={"points": sorted(grade.points, key=lambda g: order[g.point_id])})
        return grade, retrieval.hints


def level_note(question: Question, rubric: Rubric, chosen: str | None) -> str:
    """A sentence when the question's level is not the one the candidate chose: what it is graded on."""
    if not chosen or chosen == question.level.value:
        return ""
    lvl = Level(chosen)
    if question.level.rank > lvl.rank:
        return (f"Asked at {chosen}: this {question.level.value} question is graded only on the points expected "
                f"at {chosen}.")
    if any(p.min_level and question.level.rank < p.min_level.rank <= lvl.rank for p in rubric.points):
        return f"Asked at {chosen}: this {question.level.value} question's rubric expects {chosen}-level points."
    return (f"Asked at {chosen}: this is a {question.level.value} question (the {chosen} questions you have not "
            "seen are used up); it is graded on its own points.")


def answer_notices(raw: str, text: str, max_chars: int) -> list[str]:
    """What the candidate should know about how their answer was read, before the grade itself."""
    notices = []
    if has_invisible(raw):
        notices.append("Invisible control characters in your answer were removed before it was saved.")
    if len(text) > max_chars:
        notices.append(f"Your answer is {len(text):,} characters long; the first {max_chars:,} were graded "
                       "(all of it is saved).")
    language = foreign_language(text[:max_chars])
    if language:
        notices.append(f"Your answer seems to be in {language}. The rubric is in English, so points made in "
                       "another language may not be recognised; answer in English for a fair grade.")
    return notices
