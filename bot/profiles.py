"""Where an answer sits among the bank's questions: one vector per question (the mean of its text's, its points' and
its model answer's sentence vectors), so that an answer much nearer another question than its own can be told it
answers that other question (the claim grader's `Limits.elsewhere_margin`; docs/grading.md, session 22).

Built with the rubric index and cached beside it (bot/index.py); the graders find it on the VectorCache the index
pins its vectors in, so grading an answer adds one product of its mean sentence vector with this matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.corpus import Corpus
from bot.text import sentences


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


@dataclass(frozen=True)
class QuestionProfiles:
    ids: list[str]
    matrix: np.ndarray  # one unit row per question id

    @classmethod
    def build(cls, corpus: Corpus, embed: Callable[[list[str]], np.ndarray],
              model_answers: bool = True) -> QuestionProfiles:
        """A profile for every bank question with a rubric; `embed` gives unit sentence vectors (one batch).
        `model_answers=False`: of the question's text and points alone (devtools/placement.py)."""
        ids = [qid for qid in sorted(corpus.rubrics) if qid in corpus.questions]
        texts = {qid: [corpus.questions[qid].text, *(p.text for p in corpus.rubrics[qid].points),
                       *(sentences(corpus.rubrics[qid].model_answer) if model_answers else ())] for qid in ids}
        flat = list(dict.fromkeys(t for qid in ids for t in texts[qid]))
        row = {t: i for i, t in enumerate(flat)}
        vectors = embed(flat)
        matrix = np.vstack([_unit(vectors[[row[t] for t in texts[qid]]].mean(axis=0)) for qid in ids])
        return cls(ids, matrix.astype(np.float32))

    def nearest_other(self, question_id: str, answer: np.ndarray) -> tuple[float, str] | None:
        """For an answer's sentence vectors (one row each): its similarity to this question's profile less its highest
        similarity to another's, and that other question's id; None for a question without a profile."""
        try:
            own = self.ids.index(question_id)
        except ValueError:
            return None
        if len(self.ids) < 2 or not len(answer):
            return None
        sims = self.matrix @ _unit(np.asarray(answer, dtype=np.float32).mean(axis=0))
        others = np.delete(np.arange(len(self.ids)), own)
        best = int(others[np.argmax(sims[others])])
        return float(sims[own] - sims[best]), self.ids[best]

    def with_row(self, question_id: str, other: QuestionProfiles) -> QuestionProfiles:
        """These profiles with one question's row taken from `other`."""
        matrix = self.matrix.copy()
        matrix[self.ids.index(question_id)] = other.matrix[other.ids.index(question_id)]
        return QuestionProfiles(self.ids, matrix)
