"""RubricGrader: the offline grader.

Per rubric point, embedding similarity to the answer's best sentence plus lexical evidence
(content words beyond those of the question) give a coverage in [0, 1] and so a verdict with the
sentence that earned it. The score is a calibrated estimate of what a human grader would give
(features.py, calibration.py), never more than the verdicts' credit plus a small margin."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.corpus import Question, RedFlag, RubricPoint
from bot.embeddings import Embedder
from bot.grading import Grade, Grader, PointGrade, Verdict, probe_follow_ups, score_from_points
from bot.grading.calibration import Calibration
from bot.grading.features import Measures, PointEvidence, measure
from bot.grading.injection import grader_directed
from bot.text import point_claim, sentences, stopword_share, tokens

INSTRUCTIONS_IGNORED = ("{n} sentence{s} of your answer spoke to the grader (instructions, a claimed score or a "
                        "verdict) rather than answering; such sentences earn nothing and were left out.")


@dataclass(frozen=True)
class Thresholds:
    sim_floor: float = 0.25  # cosine at or below this is no evidence at all
    sim_full: float = 0.70  # cosine at or above this is full semantic evidence
    semantic_share: float = 0.6  # the rest of the coverage is lexical
    tok_floor: float = 0.45  # soft word recall at or below this is no evidence (off-topic answers sit below)
    tok_full: float = 0.85  # soft word recall at or above this is full evidence on its own
    covered: float = 0.55
    partial: float = 0.33
    min_fluency: float = 0.12  # share of function words below which a sentence is a bare list
    bare_list_cap: float = 5.0  # the most a list of keywords without sentences can score


class RubricGrader(Grader):
    kind = "rubric"

    def __init__(self, embedder: Embedder, calibration: Calibration | None = None,
                 thresholds: Thresholds | None = None) -> None:
        self.embedder = embedder
        self.calibration = calibration or Calibration.load(model=embedder.name)
        self.t = thresholds or Thresholds()
        self.model = embedder.name

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str,
              red_flags: list[RedFlag] = ()) -> Grade:
        to_grader = grader_directed(answer)
        if to_grader:  # instructions, claimed scores or verdicts are never evidence
            answer = "\n".join(s for s in sentences(answer) if s not in to_grader)
        claims = [point_claim(p.text) for p in rubric_points]
        m = measure(self.embedder, question.text, claims, answer, [p.weight for p in rubric_points])
        grade = self.assess(question, rubric_points, m)
        if to_grader:
            n = len(to_grader)
            grade.notices.append(INSTRUCTIONS_IGNORED.format(n=n, s="s" if n > 1 else ""))
        return grade

    def assess(self, question: Question, rubric_points: list[RubricPoint], m: Measures) -> Grade:
        """The grade from what was measured (evaluation measures once and assesses per fold)."""
        grades = [self._verdict(p, e, m) for p, e in zip(rubric_points, m.points, strict=True)]
        return Grade(
            score=self._score(m, grades),
            points=grades,
            strengths=[g.text for g in grades if g.verdict is Verdict.covered],
            gaps=[g.text for g in grades if g.verdict is not Verdict.covered],
            follow_ups=probe_follow_ups(question, rubric_points, grades),
            grader=self.kind,
            model=self.model,
        )

    def _verdict(self, p: RubricPoint, e: PointEvidence, m: Measures) -> PointGrade:
        def graded(verdict: Verdict, coverage: float, evidence: str | None = None) -> PointGrade:
            return PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=verdict, evidence=evidence,
                              coverage=round(coverage, 3))

        if m.non_answer:
            return graded(Verdict.missing, 0.0)
        cued = _cued_sentence(p.cues, m.sentences)
        if cued is not None:  # a structural point, shown by its own words ("as a result ...")
            return graded(Verdict.covered, 1.0, cued)
        semantic = float(np.clip((e.semantic - self.t.sim_floor) / (self.t.sim_full - self.t.sim_floor), 0, 1))
        coverage = self.t.semantic_share * semantic + (1 - self.t.semantic_share) * e.lexical
        if semantic == 0.0:
            coverage = min(coverage, self.t.partial - 0.01)  # words alone, on another topic
        # the point's own words, in context, found in the answer: catches a paraphrase in a long sentence
        coverage = max(coverage, float(np.clip((e.tokens - self.t.tok_floor) / (self.t.tok_full - self.t.tok_floor), 0, 1)))
        verdict = (Verdict.covered if coverage >= self.t.covered
                   else Verdict.partial if coverage >= self.t.partial else Verdict.missing)
        sentence = m.sentences[e.sentence]
        if verdict is Verdict.covered and _fluency(sentence) < self.t.min_fluency:
            verdict = Verdict.partial  # a bare list of keywords explains nothing
        return graded(verdict, coverage, sentence if verdict is not Verdict.missing else None)

    def _score(self, m: Measures, grades: list[PointGrade]) -> float:
        """The calibrated score, bounded by the evidence: what the points earn plus a margin.
        A one- or two-point rubric is a short reference answer that a correct answer may
        paraphrase beyond recognition, so the margin is one point's worth; a rubric of n >= 3
        points is specific enough for 10/n^2 (1.1 for three points, 0.4 for five) once a point
        is shown, so full marks need every point and an answer that shows none earns nothing. A bare list of keywords
        explains nothing: it stays at or below half marks."""
        if m.non_answer or not grades:
            return 0.0
        earned = score_from_points(grades)
        n = len(grades)
        margin = 10.0 / n if n <= 2 else 10.0 / n**2 if earned else 0.0
        score = min(10.0 * self.calibration.predict(m.features), earned + margin)
        if m.function_share < self.t.min_fluency and m.word_count >= 8:
            score = min(score, self.t.bare_list_cap)
        return round(score, 1)


def _cued_sentence(cues: list[str], candidates: list[str]) -> str | None:
    """The first sentence that one of the point's cue patterns matches."""
    for sentence in candidates:
        if any(re.search(cue, sentence, re.IGNORECASE) for cue in cues):
            return sentence
    return None


def _fluency(sentence: str) -> float:
    """Share of function words: prose has plenty, a list of keywords has almost none."""
    return stopword_share(tokens(sentence))
