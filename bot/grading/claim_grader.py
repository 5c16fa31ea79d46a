"""ClaimGrader: the offline grader for bank questions. It checks what the answer *claims*.

Per rubric point, the bi-encoder (the app's embedder; point vectors are pinned) picks the few
spans of the answer - a sentence or two neighbouring sentences - most about the point, and the
claim checker (claims.py, a cross-encoder) reads the point and each span together: does the
span state the point, contradict it, or neither? The same is done for the rubric's red flags:
a span that states a red flag's claim makes that flag's point `incorrect`, and the grade quotes
the candidate's words with the fact. A contradiction of a point whose own `examples` the checker
misreads as contradicting it is believed only where the span contradicts most of those examples too
(`ClaimGrader.untrusted`; docs/grading.md, session 14), and none is believed in an answer that covers three quarters
of the rest of the rubric (`Limits.context_share`, session 20). Verdicts come with the span that earned them, verbatim.
The score is mostly what the verdicts earn (`score_from_points`: an incorrect point costs a
quarter of its weight) and a fifth the rubric grader's calibrated score (`Limits.blend`; since session 21
times the weight share of the points not incorrect, `Limits.rubric_if_incorrect`), on a scale
where 85% of the marks is already 10 (`Limits.full_at`): the checker is strict (a fluent false
answer earns little from it) and the rubric grader generous to answers on the point in other words;
together they agree with reference grades better than either alone (docs/grading.md). Structural
STAR points of behavioral questions keep their regex `cues`.

What the rubric grader did right stays: sentences addressed to the grader are left out, a
non-answer or a restated question scores 0, a bare list of keywords covers nothing fully and
stays at or below half marks. Questions outside the bank (no rubric of their own: Mohler, short
references) go to the fallback grader.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.corpus import Category, Corpus, Question, RedFlag, RubricPoint
from bot.embeddings import Embedder
from bot.grading import (
    CREDIT,
    FalseClaim,
    Grade,
    Grader,
    PointGrade,
    Verdict,
    probe_follow_ups,
    score_from_points,
)
from bot.grading.claim_reading import (  # re-exported: their home until session 20
    Limits,
    Measure,
    PairRead,
    _PointReading,
    _Span,
    contradicts_most,
    fold,
    in_context,
    reads_own_examples,
)
from bot.grading.claims import ClaimChecker, Thresholds, join_tokens
from bot.grading.features import is_non_answer
from bot.grading.injection import grader_directed
from bot.grading.rubric import INSTRUCTIONS_IGNORED, RubricGrader, _cued_sentence, _fluency
from bot.grading.rubric import Thresholds as RubricThresholds
from bot.grading.trust import TRUST_PATH, examples_key, load_readings, model_key, setup_key
from bot.text import content_stems, first_person, point_claim, sentences, tokens

__all__ = ["CLAIM_MODEL", "ClaimGrader", "Limits", "Measure", "PairRead", "contradicts_most", "fold",
           "reads_own_examples"]

CLAIM_MODEL = "claim-checker:"  # a grade's `model` names the checker's weights after this
ELSEWHERE = ("This answer reads more like an answer to another question, \"{question}\", than to the one asked, so "
             "its score is capped at {cap:g}. The points below show what it says about this question.")
FALSE_CAP = ("This answer states {n} of the question's points falsely (below: what you said, and what is right), so its "
             "score is capped at {cap:g}: false claims count against an answer more than what it leaves out.")
STORY_FLOOR = ("This story has the shape of a good answer (situation, task, actions, result), but it says little of "
               "what this question asks about, so its shape earns no marks here. The points below show what the "
               "question listens for.")
_ARTICLE = re.compile(r"\b(?:a|an|the)\b", re.IGNORECASE)  # `_without_articles`


class ClaimGrader(Grader):
    kind = "rubric"  # still the offline grader, as stored sessions and the UI know it

    def __init__(self, embedder: Embedder, corpus: Corpus, checker: ClaimChecker, fallback: Grader,
                 limits: Limits | None = None, readings: Path | None = TRUST_PATH,
                 flag_checker: ClaimChecker | None = None) -> None:
        self.embedder, self.corpus, self.checker, self.fallback = embedder, corpus, checker, fallback
        # the checker that reads the red flags: the shipped flag checker since session 28 (services.load_checkers; another
        # with BOT_CLAIM_ENSEMBLE=flags:FOLDER); None: the points' own, as before
        self.flag_checker = flag_checker or checker
        self.limits = limits or Limits()
        self.rt = RubricThresholds()
        self.model = f"{CLAIM_MODEL}{str(checker.record.get('weights_sha256', ''))[:12]}"
        if self.flag_checker is not checker:
            self.model += f"+flags:{str(flag_checker.record.get('weights_sha256', ''))[:12]}"
        self._trust: dict[tuple[str, tuple[str, ...]], bool] = {}  # trusted(), per point's claim and examples
        self._model: dict[tuple[str, str, str], bool] = {}  # misreads_model_answer(), per question, point and claim
        self._said: dict[tuple[str, str], tuple[str, ...]] | None = None  # flag_statements()
        self._statements: dict | None = None  # point_statements()
        if readings is not None and corpus is not None and embedder is not None:
            self._read_ahead(readings)

    @property
    def thresholds(self) -> Thresholds:
        """The points checker's thresholds, a red flag's from the checker that reads the red flags."""
        return replace(self.checker.thresholds, flag=self.flag_checker.thresholds.flag)

    def decision_thresholds(self) -> Thresholds:
        """The thresholds `decide` gives verdicts at: the checkers' own, or the limits' where they set one."""
        t = self.thresholds
        if self.limits.incorrect_at is not None:
            t = replace(t, contradicts=self.limits.incorrect_at, flag=self.limits.incorrect_at)
        if self.limits.flag_at is not None:
            t = replace(t, flag=self.limits.flag_at)
        if self.limits.covered_at is not None or self.limits.partial_at is not None:
            t = replace(t, covered=self.limits.covered_at or t.covered, partial=self.limits.partial_at or t.partial)
        return t

    def _read_ahead(self, path: Path) -> None:
        """Start with the shipped readings of `trusted` and `misreads_model_answer` made with this setup, for every
        point whose claim, examples, question and model answer are those they were read from (trust.py)."""
        known = load_readings(setup_key(self.checker, self.embedder), path)
        if not known:
            return
        for qid, rubric in self.corpus.rubrics.items():
            question = self.corpus.questions.get(qid)
            for p in rubric.points:
                claim = point_claim(p.text)
                trusted = known.get(examples_key(claim, p.examples))
                if trusted is not None:
                    self._trust[claim, tuple(p.examples)] = trusted
                misread = known.get(model_key(question, rubric, claim)) if question is not None else None
                if misread is not None:
                    self._model[qid, p.id, claim] = misread

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str,
              red_flags: list[RedFlag] = ()) -> Grade:
        rubric = self.corpus.rubrics.get(question.id)
        if rubric is None or question.options or not self.embedder.supports_tokens:
            return self.fallback.grade(question, rubric_points, answer, red_flags)
        to_grader = grader_directed(answer)
        if to_grader:
            answer = "\n".join(s for s in sentences(answer) if s not in to_grader)
        grade = self._grade(question, rubric_points, list(red_flags) or rubric.red_flags, answer)
        if to_grader:
            n = len(to_grader)
            grade.notices.append(INSTRUCTIONS_IGNORED.format(n=n, s="s" if n > 1 else ""))
        return grade

    # --------------------------------------------------------------------------------------

    def _grade(self, question: Question, points: list[RubricPoint], flags: list[RedFlag], answer: str) -> Grade:
        return self.decide(question, points, self.measure(question, points, flags, answer))

    def measure(self, question: Question, points: list[RubricPoint], flags: list[RedFlag], answer: str) -> Measure:
        """What the checker and the rubric grader read in the answer, per point, before any verdict."""
        claims = [point_claim(p.text) for p in points]  # as the index pins them
        spans = self._spans(question, answer)
        words = tokens(answer)
        bare_list = _fluency(answer) < self.rt.min_fluency and len(words) >= 8
        if not spans or is_non_answer(answer, question.text, " ".join(claims)):
            return Measure(claims, [], [_PointReading() for _ in points], None, bare_list, empty=True)

        # which (hypothesis, span) pairs the cross-encoder reads (most of the cost): the span nearest each
        # point and each red flag's nearest spans, then a point's next spans only if it is not yet covered
        unit_texts = [s.text for s in spans]
        span_vecs = np.vstack([s.vector for s in spans])
        index = {p.id: i for i, p in enumerate(points)}
        flags = [f for f in flags if f.point in index]
        if self.limits.flag_statements:
            flags += [RedFlag(claim=said, point=f.point, fact=f.fact) for f in flags
                      for said in self.flag_statements().get((question.id, f.claim), ())]
        written: set[int] = set()  # the flags that are points' written false statements (`Limits.point_false`)
        if self.limits.point_false != "none":
            false = [RedFlag(claim=said, point=p.id) for p in points if not p.cues
                     for said in getattr(self.point_statements().get((question.id, p.id)), "false", ())]
            false = [f for f in false if self.limits.point_false == "all" or not self.misreads_flag(question, f)]
            written = {id(f) for f in false}
            flags += false
        flag_point = [index[f.point] for f in flags]
        hyp_texts = claims + [f.claim for f in flags]
        hyp_vecs = np.vstack([t.sentence for t in self.embedder.embed_tokens(hyp_texts)])
        readings = [_PointReading() for _ in points]
        ranked: dict[tuple[str, int], list[int]] = {}
        near, by_examples = self._nearness(points, span_vecs, hyp_vecs)
        for i, p in enumerate(points):
            cue = _cued_sentence(p.cues, unit_texts) if p.cues else None
            if cue is not None:
                readings[i].cued = cue
            else:
                ranked["point", i] = self._top(near[i], self.spans_to_read(len(spans)))
                if self.limits.near_examples == "more":  # the first span the claim's nearest, as the app reads it
                    first_span = self._top(span_vecs @ hyp_vecs[i], 1)[0]
                    ranked["point", i] = [first_span] + [j for j in ranked["point", i] if j != first_span][
                        :self.spans_to_read(len(spans)) - 1]
        for k in range(len(flags)):
            ranked["flag", k] = self._top(span_vecs @ hyp_vecs[len(claims) + k], self.limits.spans_per_flag)
        first = [(kind, i, j) for (kind, i), js in ranked.items() for j in (js[:1] if kind == "point" else js)]
        first_read = self._read(first, hyp_texts, spans, flag_point, flags)
        if written and self.limits.point_false_at is not None:  # a written statement states nothing below its own bar
            first_read = [x._replace(ent=0.0) if x.flag is not None and id(x.flag) in written
                          and x.ent < self.limits.point_false_at else x for x in first_read]
        pairs = fold(first_read, readings)
        covered = self.checker.thresholds.covered
        more = [("point", i, j) for (kind, i), js in ranked.items() if kind == "point" and readings[i].ent < covered
                for j in js[1:] + self._example_span(by_examples[i], js)]
        pairs += fold(self._read(more, hyp_texts, spans, flag_point, flags), readings)
        rubric_grade = None
        if (self.limits.about_credit != "none" or self.limits.blend) and isinstance(self.fallback, RubricGrader):
            rubric_grade = self.fallback.grade(question, points, answer)
        return Measure(claims, spans, readings, rubric_grade, bare_list, pairs=pairs,
                       untrusted=self.untrusted(points, claims, spans, readings, question),
                       elsewhere=self._elsewhere(question, answer, spans),
                       untrusted_flags=self.untrusted_flags(question, points, spans, readings))

    def _nearness(self, points: list[RubricPoint], span_vecs: np.ndarray,
                  hyp_vecs: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Each point's likeness to each span (cosine), by which its spans are read nearest first: to its claim, or with
        `Limits.near_examples` "all"/"more" to its claim or any of its `examples`, whichever is higher; and, with
        `Limits.near_examples`, each span's likeness to the nearest of the point's examples (None: none to read)."""
        near = [span_vecs @ hyp_vecs[i] for i in range(len(points))]
        by_examples: list[np.ndarray | None] = [None] * len(points)
        said = [e for p in points for e in p.examples] if self.limits.near_examples != "none" else []
        if said:
            vecs = dict(zip(said, (t.sentence for t in self.embedder.embed_tokens(said)), strict=True))
            for i, p in enumerate(points):
                if p.examples:
                    by_examples[i] = (span_vecs @ np.vstack([vecs[e] for e in p.examples]).T).max(axis=1)
                    if self.limits.near_examples != "union":
                        near[i] = np.maximum(near[i], by_examples[i])
        return near, by_examples

    def _example_span(self, by_examples: np.ndarray | None, read: list[int]) -> list[int]:
        """With `Limits.near_examples` "union": the span nearest the point's examples, if not among those `read`."""
        if self.limits.near_examples != "union" or by_examples is None:
            return []
        j = self._top(by_examples, 1)[0]
        return [] if j in read else [j]

    def flag_statements(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """The red flags said in other words (`Limits.flag_statements`), read once."""
        if self._said is None:
            from bot.grading.claimdata import load_flag_statements

            self._said = load_flag_statements()
        return self._said

    def point_statements(self) -> dict:
        """The points' written statements (`Limits.point_false` reads their false ones), read once."""
        if self._statements is None:
            from bot.grading.claimdata import load_statements

            self._statements = load_statements()
        return self._statements

    def _elsewhere(self, question: Question, answer: str, spans: list[_Span]) -> tuple[float, str] | None:
        """How much nearer the answer is to its own question's profile than to any other's (bot/profiles.py), and
        which other; None for a short answer, without profiles, or for a follow-up (asked with the question's text and
        its prompt: an answer about one point, which the choice in docs/grading.md never measured)."""
        profiles = getattr(self.embedder, "profiles", None)
        bank = self.corpus.questions.get(question.id) if self.corpus is not None else None
        if profiles is None or bank is None or question.text != bank.text \
                or len(answer.split()) < self.limits.elsewhere_words:
            return None
        units = _sentences(spans)
        return profiles.nearest_other(question.id, np.vstack([s.vector for s in units]))

    def untrusted(self, points: list[RubricPoint], claims: list[str], spans: list[_Span],
                  readings: list[_PointReading], question: Question | None = None) -> frozenset[int]:
        """The points the checker contradicts here whose contradiction is not believed: it misreads the
        point's own examples (`trusted`) or the model answer, and the contradicting span does not contradict
        most of the examples either."""
        t, out = self.checker.thresholds, []
        for i in self.doubtful(points, claims, readings, question):
            examples = list(points[i].examples)
            read = self.checker.probabilities(examples, [spans[readings[i].con_span].text] * len(examples))
            out += [] if contradicts_most([(ent, con) for _, ent, con in read], t) else [i]
        return frozenset(out)

    def doubtful(self, points: list[RubricPoint], claims: list[str], readings: list[_PointReading],
                 question: Question | None = None) -> list[int]:
        """The points contradicted here that the checker misreads, in their own examples (`trusted`) or, if it
        has examples to read a second time, in the question's model answer (`misreads_model_answer`): their
        contradiction needs a second reading."""
        at = min(self.checker.thresholds.contradicts, self.limits.incorrect_at or 1.0)
        return [i for i, (p, r) in enumerate(zip(points, readings, strict=True))
                if r.cued is None and r.con >= at and r.con > r.ent and (
                    not self.trusted(claims[i], p) or (self.limits.model_check and question is not None
                                                       and p.examples
                                                       and self.misreads_model_answer(question, p, claims[i])))]

    def untrusted_flags(self, question: Question, points: list[RubricPoint], spans: list[_Span],
                        readings: list[_PointReading]) -> frozenset[int]:
        """The points whose red flag the answer states, as read, though the checker also reads that flag as stated in
        the question's own model answer (`misreads_flag`): never believed with `Limits.flag_check` "model", believed
        with "model-examples" only where the span contradicts most of the point's examples too."""
        how, t, out = self.limits.flag_check, self.thresholds, []
        if how == "none":
            return frozenset()
        for i, (p, r) in enumerate(zip(points, readings, strict=True)):
            if r.red_flag is None or r.flag < t.flag or r.flag <= r.ent or not self.misreads_flag(question, r.red_flag):
                continue
            if how == "model-examples" and p.examples:
                read = self.checker.probabilities(list(p.examples), [spans[r.flag_span].text] * len(p.examples))
                if contradicts_most([(ent, con) for _, ent, con in read], t):
                    continue
            out.append(i)
        return frozenset(out)

    def misreads_flag(self, question: Question, flag: RedFlag) -> bool:
        """Does the checker read this red flag as stated by one of the question's model answer's spans nearest it? The
        model answer is right, so that reading is a misreading. Once per flag."""
        return self._misreads_model(question, ("flag", flag.claim), flag.claim, lambda ent, con, t: ent >= t.flag
                                    and ent > con, self.flag_checker)

    def misreads_model_answer(self, question: Question, point: RubricPoint, claim: str) -> bool:
        """Does the checker read the question's own model answer as contradicting this point (the model answer's
        spans nearest the point, picked as an answer's are)? A right answer in the bank's words is then as
        likely to be "contradicted" as a wrong one. Once per point."""
        return self._misreads_model(question, (point.id, claim), claim, lambda ent, con, t: con >= t.contradicts
                                    and con > ent, self.checker)

    def _misreads_model(self, question: Question, what: tuple[str, str], claim: str, misread, checker) -> bool:
        """Is `misread(P(entails), P(contradicts), thresholds)` true of the claim and one of the spans of the question's
        model answer nearest it (picked as an answer's are)? Kept per question and `what`."""
        rubric = self.corpus.rubrics.get(question.id) if self.corpus is not None else None
        if rubric is None:
            return False
        key = (question.id, *what)
        if key not in self._model:
            if len(self._model) >= 4096:  # as _trust
                self._model.clear()
            spans = self._spans(question, rubric.model_answer)
            t, read = checker.thresholds, []
            if spans:
                hyp = self.embedder.embed_tokens([claim])[0].sentence
                near = self._top(np.vstack([s.vector for s in spans]) @ hyp, self.limits.spans_per_point)
                read = checker.probabilities([claim] * len(near), [spans[j].text for j in near])
            self._model[key] = any(misread(ent, con, t) for _, ent, con in read)
        return self._model[key]

    def trusted(self, claim: str, point: RubricPoint) -> bool:
        """Can the checker's contradiction of this point be believed (`reads_own_examples`)? Once per point."""
        key = (claim, tuple(point.examples))
        if key not in self._trust:
            if len(self._trust) >= 4096:  # a bank's worth of points; edited rubrics must not grow it forever
                self._trust.clear()
            self._trust[key] = reads_own_examples(self.checker, claim, list(point.examples))
        return self._trust[key]

    def _read(self, jobs: list[tuple[str, int, int]], hyp_texts: list[str], spans: list[_Span],
              flag_point: list[int], flags: list[RedFlag]) -> list[PairRead]:
        """Have the checker read (point or flag, span) pairs; a red flag's reading belongs to its point
        (flag_point). With `Limits.plain_reread`, a pair read as saying something false is read again without the
        span's articles, and keeps the lower reading."""
        n = len(hyp_texts) - len(flags)  # the points' claims come first, then the red flags'
        at = [i if kind == "point" else n + i for kind, i, _ in jobs]
        probs = self._probs(jobs, [hyp_texts[k] for k in at], [spans[j].text for _, _, j in jobs])
        if self.limits.plain_reread:
            false = [x for x, ((kind, _, _), (_, ent, con)) in enumerate(zip(jobs, probs, strict=True))
                     if (con >= 0.5 and con > ent if kind == "point" else ent >= 0.5 and ent > con)]
            if false:
                again = self._probs([jobs[x] for x in false], [hyp_texts[at[x]] for x in false],
                                    [_without_articles(spans[jobs[x][2]].text) for x in false])
                for x, row in zip(false, again, strict=True):
                    said = 2 if jobs[x][0] == "point" else 1  # the reading that says it is false
                    probs[x, said] = min(probs[x, said], row[said])
        return [PairRead(i, j, float(ent), float(con)) if kind == "point" else
                PairRead(flag_point[i], j, float(ent), float(con), flags[i])
                for (kind, i, j), (_, ent, con) in zip(jobs, probs, strict=True)]

    def _probs(self, jobs: list[tuple[str, int, int]], hyps: list[str], prems: list[str]) -> np.ndarray:
        """The checkers' (neutral, entails, contradicts) rows for these pairs: points by the points' checker, red flags
        by theirs, in the jobs' order."""
        if self.flag_checker is self.checker:
            return np.array(self.checker.probabilities(hyps, prems), dtype=float).reshape(len(jobs), 3)
        probs = np.zeros((len(jobs), 3))
        for checker, kind in ((self.checker, "point"), (self.flag_checker, "flag")):
            mine = [x for x, job in enumerate(jobs) if job[0] == kind]
            if mine:
                probs[mine] = checker.probabilities([hyps[x] for x in mine], [prems[x] for x in mine])
        return probs

    def decide(self, question: Question, points: list[RubricPoint], m: Measure) -> Grade:
        """Verdicts and score from a measure (thresholds, red flags, the blend with the rubric grader)."""
        if m.empty:
            return self._result(question, points, [self._pg(p, Verdict.missing) for p in points], [])
        t = self.decision_thresholds()
        spans = m.spans
        # contradictions not believed here
        context = in_context(points, m.readings, t, self.limits.context_share, self.limits.context_cues,
                             self.limits.context_contradicted, self.limits.context_most, m.untrusted)
        about = {}
        if m.rubric is not None and self.limits.about_credit != "none":
            about = {g.point_id: g for g in m.rubric.points}
        grades: list[PointGrade] = []
        false_claims: list[FalseClaim] = []
        for i, (p, r) in enumerate(zip(points, m.readings, strict=True)):
            if r.cued is not None:
                grades.append(self._pg(p, Verdict.covered, r.cued, 1.0))
                continue
            # a span that states the point itself is no false claim
            if r.red_flag is not None and r.flag >= t.flag and r.flag > r.ent and i not in m.untrusted_flags:
                grades.append(self._pg(p, Verdict.incorrect, spans[r.flag_span].text, 0.0))
                false_claims.append(FalseClaim(quote=spans[r.flag_span].text, fact=r.red_flag.fact or m.claims[i],
                                               point_id=p.id))
            elif r.con >= t.contradicts and r.con > r.ent and i not in m.untrusted and i not in context:
                grades.append(self._pg(p, Verdict.incorrect, spans[r.con_span].text, 0.0))
                false_claims.append(FalseClaim(quote=spans[r.con_span].text, fact=m.claims[i], point_id=p.id))
            elif r.ent >= t.covered:
                fluent = not m.bare_list and _fluency(spans[r.ent_span].text) >= self.rt.min_fluency
                grades.append(self._pg(p, Verdict.covered if fluent else Verdict.partial, spans[r.ent_span].text, r.ent))
            elif r.ent >= t.partial and not m.bare_list:  # a list of keywords states nothing half-way either
                grades.append(self._pg(p, Verdict.partial, spans[r.ent_span].text, r.ent))
            else:
                grades.append(self._pg(p, Verdict.missing, None, r.ent))
            seen = about.get(p.id)
            if seen is not None and seen.verdict is not Verdict.missing and grades[-1].verdict in (
                    Verdict.missing, Verdict.partial):
                credit = seen.verdict if self.limits.about_credit == "full" else Verdict.partial
                if CREDIT[credit] > CREDIT[grades[-1].verdict]:
                    grades[-1] = self._pg(p, credit, seen.evidence, seen.coverage)
        if self.limits.untainted != "none":
            grades = self._untaint(points, grades, m, t)
        grade = self._result(question, points, grades, false_claims)
        score, blend = score_from_points(grades, self.limits.incorrect_penalty), self.limits.blend
        if self.limits.soft_credit is not None:
            score = self._soft_score(grades, m, t)
        story = self._story_factor(points, grades)
        if story < 1:
            score = score_from_points(grades, self.limits.incorrect_penalty, {p.id: story for p in points if p.cues})
        if story == 0 and any(g.verdict is not Verdict.missing for p, g in zip(points, grades, strict=True) if p.cues):
            grade.notices.append(STORY_FLOOR)
        if m.rubric is not None and blend:
            rubric_score = m.rubric.score * (story if self.limits.story_gate_rubric else 1.0)
            wrong = sum(g.weight for g in grades if g.verdict is Verdict.incorrect)
            if wrong and self.limits.rubric_if_incorrect == "none":
                blend = 0.0
            elif wrong and self.limits.rubric_if_incorrect == "correct":
                rubric_score *= 1 - wrong / sum(g.weight for g in grades)
            score = (1 - blend) * score + blend * rubric_score
        floor, full_at = self.limits.floor, self.limits.full_at
        grade.score = round(min(10.0, score / full_at if not floor else max(0.0, (score - 10 * floor) / (full_at - floor))),
                            1)
        if m.bare_list:
            grade.score = min(grade.score, self.rt.bare_list_cap)
        if self._placed_elsewhere(question, points, grades, m):
            other = self.corpus.questions.get(m.elsewhere[1]) if self.corpus is not None else None
            grade.score = min(grade.score, self.limits.elsewhere_cap)
            grade.notices.append(ELSEWHERE.format(question=other.text if other else m.elsewhere[1],
                                                  cap=self.limits.elsewhere_cap))
        self._cap_false(grade)
        return grade

    def _untaint(self, points: list[RubricPoint], grades: list[PointGrade], m: Measure, t) -> list[PointGrade]:
        """`Limits.untainted`: the covered and partial points whose evidence span shares a sentence with an incorrect point's
        quoted span, decided again from the spans already read that share none ("reread") or made at most partial."""
        said = lambda j: _span_sentences(m.spans, j)  # noqa: E731
        false = set()
        for g, r in zip(grades, m.readings, strict=True):
            if g.verdict is Verdict.incorrect:
                false |= said(r.flag_span if g.evidence == m.spans[r.flag_span].text else r.con_span)
        if not false:
            return grades
        out = list(grades)
        for i, (p, g, r) in enumerate(zip(points, grades, m.readings, strict=True)):
            if r.cued is not None or g.verdict not in (Verdict.covered, Verdict.partial) or not said(r.ent_span) & false:
                continue
            if self.limits.untainted == "partial":
                out[i] = self._pg(p, Verdict.partial, g.evidence, g.coverage)
                continue
            clean = [x for x in m.pairs if x.point == i and x.flag is None and not said(x.span) & false]
            best = max(clean, key=lambda x: x.ent, default=None)
            ent = best.ent if best is not None else 0.0
            if ent >= t.covered:
                fluent = not m.bare_list and _fluency(m.spans[best.span].text) >= self.rt.min_fluency
                out[i] = self._pg(p, Verdict.covered if fluent else Verdict.partial, m.spans[best.span].text, ent)
            elif ent >= t.partial and not m.bare_list:
                out[i] = self._pg(p, Verdict.partial, m.spans[best.span].text, ent)
            else:
                out[i] = self._pg(p, Verdict.missing, None, ent)
        return out

    def _cap_false(self, grade: Grade) -> None:
        """`Limits.false_cap_share`: an answer whose incorrect points carry that share of the weight scores at most
        `Limits.false_cap`, with a notice saying why."""
        share, cap = self.limits.false_cap_share, self.limits.false_cap
        total = sum(g.weight for g in grade.points)
        wrong = [g for g in grade.points if g.verdict is Verdict.incorrect]
        if share is None or total <= 0 or sum(g.weight for g in wrong) < share * total or grade.score <= cap:
            return
        grade.score = cap
        grade.notices.append(FALSE_CAP.format(n=len(wrong), cap=cap))

    def _placed_elsewhere(self, question: Question, points: list[RubricPoint], grades: list[PointGrade],
                          m: Measure) -> bool:
        """Is the answer nearer another question's profile than its own by more than `Limits.elsewhere_margin`, and, for a
        behavioral question, short of one of what `elsewhere_stories` and `elsewhere_story_voice` ask of a story?"""
        limits = self.limits
        margin, stories, voice = limits.elsewhere_margin, limits.elsewhere_stories, limits.elsewhere_story_voice
        if margin is None or m.elsewhere is None or m.elsewhere[0] >= -margin:
            return False
        if question.category != Category.behavioral or (stories is None and voice is None):
            return True
        said = [s.text for s in _sentences(m.spans)]
        return (stories is not None and _topical_share(points, grades) < stories) or (
            voice is not None and sum(map(first_person, said)) < voice * len(said))

    def _story_factor(self, points: list[RubricPoint], grades: list[PointGrade]) -> float:
        """`Limits.story_gate` and `story_floor`: the share of their credit a behavioral question's structural points
        keep, by how much of the rest of the rubric the verdicts earn (1 without either, or without both kinds of
        points)."""
        gate, floor = self.limits.story_gate, self.limits.story_floor
        if (gate is None and floor is None) or all(not p.cues for p in points):
            return 1.0
        share = _topical_share(points, grades)
        if floor is not None and share < floor:
            return 0.0
        return 1.0 if gate is None else min(1.0, share / gate)

    def _soft_score(self, grades: list[PointGrade], m: Measure, t) -> float:
        """`score_from_points` with each point's credit a ramp of its P(entails) (`Limits.soft_credit`), never more
        than its verdict allows where fluency or a bare list capped it; STAR cues 1, incorrect points as always."""
        lo, hi = self.limits.soft_credit
        total = sum(g.weight for g in grades)
        if total <= 0:
            return 0.0
        earned = 0.0
        for g, r in zip(grades, m.readings, strict=True):
            if g.verdict is Verdict.incorrect:
                earned -= self.limits.incorrect_penalty * g.weight
                continue
            if r.cued is not None:
                earned += g.weight
                continue
            cap = 0.5 if g.verdict is Verdict.partial and r.ent >= t.covered else (
                0.0 if g.verdict is Verdict.missing and r.ent >= t.partial else 1.0)
            earned += g.weight * min(cap, max(0.0, (r.ent - lo) / (hi - lo)))
        return max(0.0, 10.0 * earned / total)

    def _spans(self, question: Question, answer: str) -> list[_Span]:
        """Sentences that say more than the question, and each with the next one, verbatim."""
        q_stems = content_stems(question.text)
        units = [u for u in sentences(answer) if content_stems(u) - q_stems]
        if not units:
            return []
        tvs = self.embedder.embed_tokens(units)
        out = [_Span(u, t, i, i) for i, (u, t) in enumerate(zip(units, tvs, strict=True))]
        # each pair of neighbouring sentences; and with `wide_words`, runs of up to `wide_sentences` short ones (tried in
        # session 44; off in the app)
        words = [len(u.split()) for u in units]
        widest = self.limits.wide_sentences if self.limits.wide_words else 2
        for n in range(2, widest + 1):
            out += [_Span(_verbatim(answer, units[i:i + n]), join_tokens(*tvs[i:i + n]), i, i + n - 1)
                    for i in range(len(units) - n + 1) if n == 2 or sum(words[i:i + n]) <= self.limits.wide_words]
        return out

    def spans_to_read(self, n_spans: int) -> int:
        """How many of a point's nearest spans may be read: three, or a share of a long answer's spans."""
        return max(self.limits.spans_per_point, math.ceil(self.limits.spans_share * n_spans))

    def _top(self, sims: np.ndarray, k: int) -> list[int]:
        order = [int(j) for j in np.argsort(-sims)[:k] if sims[j] >= self.limits.min_similarity]
        return order or [int(np.argmax(sims))]

    @staticmethod
    def _pg(p: RubricPoint, verdict: Verdict, evidence: str | None = None, coverage: float = 0.0) -> PointGrade:
        return PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=verdict, evidence=evidence,
                          coverage=round(min(1.0, max(0.0, coverage)), 3))

    def _result(self, question: Question, points: list[RubricPoint], grades: list[PointGrade],
                false_claims: list[FalseClaim]) -> Grade:
        return Grade(
            score=score_from_points(grades),
            points=grades,
            strengths=[g.text for g in grades if g.verdict is Verdict.covered],
            gaps=[g.text for g in grades if g.verdict is not Verdict.covered],
            follow_ups=probe_follow_ups(question, points, grades),
            false_claims=false_claims,
            grader=self.kind,
            model=self.model,
        )


def _sentences(spans: list[_Span]) -> list[_Span]:
    """The answer's sentences among its spans, in the answer's order: the k-th holds sentence k."""
    return [s for s in spans if s.first == s.last]


def _span_sentences(spans: list[_Span], j: int) -> set[int]:
    """Which of the answer's sentences span j holds."""
    return set(range(spans[j].first, spans[j].last + 1))


def _topical_share(points: list[RubricPoint], grades: list[PointGrade]) -> float:
    """The share of the weight of the points without STAR cues that the verdicts earn (1 where there are none)."""
    topical = [g for p, g in zip(points, grades, strict=True) if not p.cues]
    weight = sum(g.weight for g in topical)
    return sum(g.weight * CREDIT[g.verdict] for g in topical) / weight if weight > 0 else 1.0


def _without_articles(text: str) -> str:
    """The text without "a", "an" and "the" (`Limits.plain_reread`)."""
    return " ".join(_ARTICLE.sub(" ", text).split())


def _verbatim(answer: str, units: list[str]) -> str:
    """The answer's own text from the start of the first of `units` to the end of the last, where each follows the one
    before it. Neighbouring windows of one run-on sentence (text.sentences) overlap, so their shared words appear once,
    not twice; where the units cannot be found so, their words joined, each unit's opening words dropped where the text
    before it ends with them."""
    start = answer.find(units[0])
    if start >= 0:
        at, end = start, start + len(units[0])
        for unit in units[1:]:
            at = answer.find(unit, at + 1)
            if at < 0 or at - end >= 20:
                break
            end = max(at + len(unit), end)
        else:
            return answer[start:end]
    words = units[0].split()
    for unit in units[1:]:
        more = unit.split()
        shared = next((k for k in range(min(len(words), len(more)) - 1, 0, -1) if words[-k:] == more[:k]), 0)
        words += more[shared:]
    return " ".join(words)
