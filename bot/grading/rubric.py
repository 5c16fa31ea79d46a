"""RubricGrader: the offline grader. Per rubric point, embedding similarity to the answer's
sentences plus lexical evidence (content words beyond those of the question) give a coverage
in [0, 1]; coverage gives the verdict, verdicts and weights give the score."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.corpus import Question, RubricPoint
from bot.embeddings import Embedder
from bot.grading import Grade, Grader, PointGrade, Verdict, probe_follow_ups, score_from_points
from bot.grading.injection import addresses_the_grader
from bot.text import STOPWORDS, content_stems, point_claim, sentences, tokens

INSTRUCTIONS_IGNORED = ("{n} sentence{s} of your answer spoke to the grader (instructions, a claimed score or a "
                        "verdict) rather than answering; such sentences earn nothing and were left out.")


@dataclass(frozen=True)
class Thresholds:
    sim_floor: float = 0.25  # cosine at or below this is no evidence at all
    sim_full: float = 0.70  # cosine at or above this is full semantic evidence
    semantic_share: float = 0.6  # the rest of the coverage is lexical
    covered: float = 0.55
    partial: float = 0.33
    min_novel_words: int = 2  # a sentence needs this many content words not in the question
    min_fluency: float = 0.12  # share of function words below which a sentence is a bare list


class RubricGrader(Grader):
    kind = "rubric"

    def __init__(self, embedder: Embedder, thresholds: Thresholds | None = None) -> None:
        self.embedder = embedder
        self.t = thresholds or Thresholds()
        self.model = embedder.name

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str) -> Grade:
        question_stems = content_stems(question.text)
        parts = sentences(answer)
        to_grader = [s for s in parts if addresses_the_grader(s)]
        notices = [INSTRUCTIONS_IGNORED.format(n=len(to_grader), s="s" if len(to_grader) > 1 else "")] if to_grader else []
        evidence = [s for s in parts if s not in to_grader
                    and len(content_stems(s) - question_stems) >= self.t.min_novel_words]
        if not evidence or not rubric_points:
            grades = [PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.missing)
                      for p in rubric_points]
            return self._grade(question, rubric_points, grades, notices)

        sent_vecs = self.embedder.embed(evidence)
        point_vecs = self.embedder.embed([point_claim(p.text) for p in rubric_points])
        sims = point_vecs @ sent_vecs.T  # points x sentences
        answer_stems = set().union(*(content_stems(s) for s in evidence)) - question_stems
        fluent = [_fluency(s) >= self.t.min_fluency for s in evidence]

        grades = []
        for i, p in enumerate(rubric_points):
            cued = _cued_sentence(p.cues, evidence)
            if cued is not None:  # a structural point, shown by its own words ("as a result ...")
                grades.append(PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.covered,
                                         evidence=cued, coverage=1.0))
                continue
            best = int(np.argmax(sims[i]))
            semantic = float(np.clip((sims[i, best] - self.t.sim_floor) / (self.t.sim_full - self.t.sim_floor), 0, 1))
            key = content_stems(point_claim(p.text)) - question_stems
            lexical = len(key & answer_stems) / len(key) if key else semantic
            coverage = self.t.semantic_share * semantic + (1 - self.t.semantic_share) * lexical
            if semantic == 0.0:
                coverage = min(coverage, self.t.partial - 0.01)  # words alone, on another topic
            verdict = (Verdict.covered if coverage >= self.t.covered
                       else Verdict.partial if coverage >= self.t.partial else Verdict.missing)
            if verdict is Verdict.covered and not fluent[best]:
                verdict = Verdict.partial  # a bare list of keywords explains nothing
            grades.append(PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=verdict,
                                     evidence=evidence[best] if verdict is not Verdict.missing else None,
                                     coverage=round(coverage, 3)))
        return self._grade(question, rubric_points, grades, notices)

    def _grade(self, question: Question, points: list[RubricPoint], grades: list[PointGrade],
               notices: list[str]) -> Grade:
        return Grade(
            score=score_from_points(grades),
            points=grades,
            strengths=[g.text for g in grades if g.verdict is Verdict.covered],
            gaps=[g.text for g in grades if g.verdict is not Verdict.covered],
            follow_ups=probe_follow_ups(question, points, grades),
            grader=self.kind,
            model=self.model,
            notices=notices,
        )


def _cued_sentence(cues: list[str], candidates: list[str]) -> str | None:
    """The first sentence that one of the point's cue patterns matches."""
    for sentence in candidates:
        if any(re.search(cue, sentence, re.IGNORECASE) for cue in cues):
            return sentence
    return None


def _fluency(sentence: str) -> float:
    """Share of function words: prose has plenty, a list of keywords has almost none."""
    words = tokens(sentence)
    return sum(w in STOPWORDS for w in words) / len(words) if words else 0.0
