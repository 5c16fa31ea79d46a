"""`python -m bot eval FILE --rule NAME`: decision rules tried over the claim checker's readings.

Sessions 11 and 12 tried other ways of turning the checker's readings into verdicts, each judged
by a rule written down before it was measured (docs/grading.md). This module makes those tables
reproducible: every answer is read once (the shipped `ClaimGrader.measure`, which keeps every pair
the checker read), then each named rule folds the same readings its own way, reading a few more
pairs where the rule needs them (a contradicting window's sentences, a point's `examples`), and
the shipped `decide` gives the grade. The rule `shipped` folds them as the app does, so its figures
are `eval`'s own. None of these rules is in the app. What each rule is: devtools/rule_table.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.corpus import Category
from bot.grading import Grade, Verdict
from bot.grading.claim_grader import (
    ClaimGrader,
    Measure,
    PairRead,
    _PointReading,
    _sentences,
    contradicts_most,
    fold,
)
from bot.grading.claim_reading import others_covered, read_false
from bot.settings import Settings
from bot.text import clauses
from devtools.evaluation import (
    DatasetError,
    dataset_paths,
    held_out_figures,
    is_answer_sheets,
    load_all,
    load_answer_sheets,
    predict_app,
    question_folds,
    record_figures,
    reworded_questions,
)
from devtools.rule_table import RULES, is_proposition, rule_for, rule_names

__all__ = ["KeptRetrieval", "RuleGrader", "rule_names", "run_rules"]


# the Limits that change what the checker reads (the rest only decide from it): each value is measured apart
READ_LIMITS = ("spans_share", "flag_statements", "point_false", "point_false_at", "spans_per_flag", "wide_words",
               "plain_reread", "near_examples")


class RuleGrader(ClaimGrader):
    """The shipped claim grader with another decision rule. Each answer is measured once and kept, so
    every rule after the first costs only its extra pairs (counted in `extra_pairs`)."""

    def __init__(self, base: ClaimGrader) -> None:
        super().__init__(base.embedder, base.corpus, base.checker, base.fallback, base.limits, readings=None,
                         flag_checker=getattr(base, "flag_checker", None))
        # the base grader's readings (the shipped table's among them), rather than reading the table again
        self._trust, self._model = dict(getattr(base, "_trust", {})), dict(getattr(base, "_model", {}))
        self.shipped_limits = self.limits
        self.rule = RULES["shipped"]
        self.extra_pairs = 0
        self._measures: dict[tuple, Measure] = {}
        self._read_pairs: dict[tuple[int, str, str], tuple[float, float]] = {}
        self.precision, self._shipped = "auto", None  # the shipped checker, for `confirm_by` (run_rules sets precision)

    def measure(self, question, points, flags, answer) -> Measure:
        limits = self.rule.limits(self.shipped_limits)  # the constants that change what is read
        read = {name: getattr(limits, name) for name in READ_LIMITS}
        key = (question.id, tuple(p.id for p in points), answer, *read.values())
        if key not in self._measures:  # read as the app reads it, whichever rule asks first
            self.limits = dataclasses.replace(self.shipped_limits, **read)
            self._measures[key] = super().measure(question, points, flags, answer)
        return self._measures[key]

    def _grade(self, question, points, flags, answer) -> Grade:
        """The rule's grade; with `Rule.clean_reads`, an answer graded with no point incorrect (and, with `clean_own`,
        nearer its own question's profile than any other's) graded again with that wider reading."""
        grade = super()._grade(question, points, flags, answer)
        rule = self.rule
        if rule.clean_reads is None or grade.has_incorrect:
            return grade
        m = self.measure(question, points, flags, answer)  # the one just graded, kept
        if m.empty or (rule.clean_own and m.elsewhere is not None and m.elsewhere[0] < 0):
            return grade
        self.rule = dataclasses.replace(rule, spans_share=rule.clean_reads, clean_reads=None)
        try:
            self.extra_pairs += len(self.measure(question, points, flags, answer).pairs) - len(m.pairs)  # the new ones
            return super()._grade(question, points, flags, answer)
        finally:
            self.rule = rule

    def decide(self, question, points, m: Measure) -> Grade:
        self.limits = self.rule.limits(self.shipped_limits)
        if self.rule.story_cover is not None and question.category is Category.behavioral:
            covered, partial = self.rule.story_cover
            self.limits = dataclasses.replace(self.limits, covered_at=covered, partial_at=partial)
        if not m.empty:
            readings = self.refold(points, m)
            m = dataclasses.replace(m, readings=readings,
                                    untrusted=self.untrusted_by_rule(points, m, readings, question),
                                    untrusted_flags=self.untrusted_flags(question, points, m.spans, readings))
        return super().decide(question, points, m)

    def _probabilities(self, hyps: list[str], prems: list[str], checker=None) -> list[tuple[float, float]]:
        """(P(entails), P(contradicts)) of extra pairs, by the points' checker or `checker`; each distinct pair read
        once by each checker over all rules."""
        checker = checker or self.checker
        self.extra_pairs += len(hyps)
        keys = [(id(checker), h, p) for h, p in zip(hyps, prems, strict=True)]
        need = list(dict.fromkeys(k for k in keys if k not in self._read_pairs))
        if need:
            probs = checker.probabilities([h for _, h, _ in need], [p for _, _, p in need])
            self._read_pairs.update({k: (float(e), float(c)) for k, (_, e, c) in zip(need, probs, strict=True)})
        return [self._read_pairs[k] for k in keys]

    def refold(self, points, m: Measure) -> list[_PointReading]:
        """Each point's readings under `self.rule`, from the pairs the checker read."""
        rule, t = self.rule, self.thresholds
        spans = m.spans
        readings = [_PointReading(cued=r.cued) for r in m.readings]
        stating = {p.span for p in m.pairs if p.flag is not None and p.ent > p.con and p.ent >= t.flag}
        kept: list[PairRead] = []
        strongest: dict[int, tuple[float, int]] = {}  # span -> the contradiction it makes most strongly, of which point
        for p in m.pairs:
            if rule.one_claim_per_span and p.flag is None and p.con > p.ent and p.con >= t.contradicts:
                strongest[p.span] = max(strongest.get(p.span, (0.0, -1)), (p.con, p.point))
        nearest: dict[int, int] = {}  # point -> the span read for it first (the nearest)
        for p in m.pairs:
            if p.flag is None:
                nearest.setdefault(p.point, p.span)
        for p in m.pairs:
            if rule.nearest_contradicts and p.flag is None and p.span != nearest[p.point] and p.con > p.ent:
                p = p._replace(con=0.0)
            if p.flag is not None and rule.flag_fact_clears and p.flag.fact and p.ent > p.con and p.ent >= t.flag:
                (fact_ent, _), = self._probabilities([p.flag.fact], [spans[p.span].text])
                if fact_ent >= p.ent:
                    p = p._replace(ent=0.0)
            if p.flag is None and p.span in strongest and strongest[p.span][1] != p.point and p.con > p.ent:
                p = p._replace(con=0.0)
            if p.flag is None:
                if rule.flag_span_covers_nothing and p.span in stating:
                    p = p._replace(ent=0.0, con=p.con if p.con > p.ent else 0.0)
                if spans[p.span].last > spans[p.span].first and p.con > p.ent and p.con >= t.contradicts \
                        and not self._window_stands(m, p):
                    p = p._replace(con=0.0)
            kept.append(p)
        fold(kept, readings)
        rubric = {g.point_id: g for g in m.rubric.points} if m.rubric is not None else {}
        for i, (point, r) in enumerate(zip(points, readings, strict=True)):
            seen = rubric.get(point.id)
            if rule.rubric_covered_veto is not None and seen is not None and seen.verdict is Verdict.covered \
                    and seen.coverage >= rule.rubric_covered_veto:
                r.con = 0.0
            if rule.flag_span_wins and r.red_flag is not None and r.flag >= t.flag and r.flag_span == r.ent_span:
                r.ent = min(r.ent, r.flag - 1e-6)
            examples = list(point.examples)
            if rule.clause_at is not None and r.cued is None and r.ent >= t.partial:
                self._clause_contradicts(m, i, r, examples)
            if rule.confirm_con and r.cued is None and r.con >= t.contradicts and r.con > r.ent and not all(
                    con >= t.contradicts and con > ent for ent, con in (
                        self._probabilities([m.claims[i]], [spans[r.con_span].text], self._confirmer(by))[0]
                        for by in rule.confirm_by)):
                r.con = 0.0
            if r.cued is not None or not examples:
                continue
            if rule.self_check in ("not-entailed", "margin") and r.con >= t.contradicts and r.con > r.ent:
                read = self._probabilities([m.claims[i]] * len(examples), examples)
                if rule.self_check == "not-entailed" and not all(e >= t.covered for e, _ in read):
                    r.con = 0.0
                if rule.self_check == "margin" and r.con <= max(
                        (c for e, c in read if c >= t.contradicts and c > e), default=0.0):
                    r.con = 0.0
            if rule.own_examples_cover and t.partial <= r.ent < t.covered:
                best = max(e for e, _ in self._probabilities([m.claims[i]] * len(examples), examples))
                if r.ent >= best:
                    r.ent = t.covered
            if rule.about_unread and r.ent < t.partial and seen is not None and seen.verdict is not Verdict.missing \
                    and not all(e >= t.covered for e, _ in self._probabilities([m.claims[i]] * len(examples), examples)):
                near = [p.span for p in m.pairs if p.flag is None and p.point == i]
                r.ent, r.ent_span = t.partial, near[0] if near else 0
            if rule.noun_points and r.con >= t.contradicts and r.con > r.ent and not is_proposition(point.text) and (
                    rule.noun_points == "never" or not contradicts_most(
                        self._probabilities(examples, [spans[r.con_span].text] * len(examples)), t)):
                r.con = 0.0
            if rule.examples and r.con >= t.contradicts and r.con > r.ent:
                read = self._probabilities(examples, [spans[r.con_span].text] * len(examples))
                if not self._contradiction_stands(read, r.con):
                    r.con = 0.0
            if rule.widen and r.ent < t.covered:
                near = [p.span for p in m.pairs if p.flag is None and p.point == i][:rule.widen]
                jobs = [(e, j) for e in examples for j in near]
                for (ent, con), (_, j) in zip(self._probabilities([e for e, _ in jobs], [spans[j].text for _, j in jobs]),
                                              jobs, strict=True):
                    if ent > r.ent and ent > con:
                        r.ent, r.ent_span = ent, j
            if rule.examples_partial is not None and r.ent < t.partial and not read_false(r, t):
                self._examples_partial(m, r, examples)
        if rule.about_in_context is not None:
            self._about_in_context(points, readings, rubric, m)
        return readings

    def _confirmer(self, by: str):
        """The checker `Rule.confirm_by` names: the red flags' or the app's shipped one (loaded once, when asked)."""
        if by == "flags":
            return self.flag_checker
        if self._shipped is None:
            from bot.grading.claims import ClaimChecker

            self._shipped = ClaimChecker.load(precision=self.precision)
        return self._shipped

    def _examples_partial(self, m: Measure, r: _PointReading, examples: list[str]) -> None:
        """`Rule.examples_partial`: each of the point's examples read against the span nearest it (the bi-encoder's);
        one read as stated at the rule's P or more (above its P(contradicts)) makes the point partial there."""
        vectors = np.vstack([x.sentence for x in self.embedder.embed_tokens(examples)])
        nearest = (np.vstack([s.vector for s in m.spans]) @ vectors.T).argmax(axis=0)
        read = self._probabilities(examples, [m.spans[j].text for j in nearest])
        ent, span = max(((e, int(j)) for (e, c), j in zip(read, nearest, strict=True) if e > c), default=(0.0, -1))
        if ent >= self.rule.examples_partial:
            r.ent, r.ent_span = self.limits.partial_at or self.thresholds.partial, span  # the verdict's partial

    def _clause_contradicts(self, m: Measure, i: int, r: _PointReading, examples: list[str]) -> None:
        """`Rule.clause_at`: the clause of the point's stating span the checker reads as contradicting it most strongly;
        at the rule's P or more (and with `clause_second` read so a second time), the point is contradicted there."""
        parts = clauses(m.spans[r.ent_span].text)
        read = self._probabilities([m.claims[i]] * len(parts), parts)
        con, part = max(((c, x) for (e, c), x in zip(read, parts, strict=True) if c > e), default=(0.0, ""))
        if con < self.rule.clause_at:
            return
        second = self.rule.clause_second
        if second == "examples" and not (examples and contradicts_most(
                self._probabilities(examples, [part] * len(examples)), self.thresholds)):
            return
        if second == "flags":
            (ent, again), = self._probabilities([m.claims[i]], [part], self.flag_checker)
            if again < self.rule.clause_at or again <= ent:
                return
        r.con, r.con_span, r.ent = con, r.ent_span, 0.0

    def _about_in_context(self, points, readings: list[_PointReading], rubric: dict, m: Measure) -> None:
        """`Rule.about_in_context`: in an answer that covers most of the rest of the rubric, a point the checker finds
        missing (not contradicted, no red flag) that the rubric grader finds the answer about earns partial or full."""
        (share, credit), t = self.rule.about_in_context, self.thresholds
        lifted = []
        for i, (point, r, (others, rest)) in enumerate(zip(points, readings, others_covered(points, readings, t),
                                                          strict=True)):
            seen = rubric.get(point.id)
            if r.cued is not None or r.ent >= t.covered or seen is None or seen.verdict is Verdict.missing or rest <= 0:
                continue
            if (r.con >= t.contradicts and r.con > r.ent) or (r.red_flag is not None and r.flag >= t.flag):
                continue
            if others / rest >= share:
                lifted.append(i)
        for i in lifted:
            r = readings[i]
            near = [p.span for p in m.pairs if p.flag is None and p.point == i]
            r.ent = max(r.ent, t.covered if credit == "full" else t.partial)
            r.ent_span = r.ent_span if r.ent_span or not near else near[0]

    def untrusted_by_rule(self, points, m: Measure, readings: list[_PointReading], question=None) -> frozenset[int]:
        """The points whose contradiction is not believed under `self.rule` (ClaimGrader.untrusted's own
        steps, each pair read through the rules' cache)."""
        rule, t = self.rule, self.thresholds
        if rule.self_check != "contradicts":
            return frozenset()
        doubtful = self.doubtful(points, m.claims, readings, question)
        limits, self.limits = self.limits, self.shipped_limits
        own = set(self.doubtful(points, m.claims, m.readings, question))  # the app's, whose second reading m kept
        self.limits = limits
        if not rule.untrusted_examples:
            return frozenset(doubtful)
        kept = []
        for i in doubtful:
            if rule.untrusted_examples == "majority" and i in own and readings[i].con_span == m.readings[i].con_span:
                kept += [i] if i in m.untrusted else []  # the app's own reading, with the answer (shipped)
                continue
            examples = list(points[i].examples)
            read = self._probabilities(examples, [m.spans[readings[i].con_span].text] * len(examples))
            stands = contradicts_most(read, t) if rule.untrusted_examples == "majority" else any(
                c >= t.contradicts and c > e for e, c in read)
            kept += [] if stands else [i]
        return frozenset(kept)

    def _window_stands(self, m: Measure, p: PairRead) -> bool:
        if p.con < self.rule.window_at:
            return False
        if not self.rule.window_needs_sentence:
            return True
        t, span = self.thresholds, m.spans[p.span]
        held = _sentences(m.spans)[span.first:span.last + 1]
        read = self._probabilities([m.claims[p.point]] * len(held), [s.text for s in held])
        return any(con >= t.contradicts and con > ent for ent, con in read)

    def _contradiction_stands(self, read: list[tuple[float, float]], con: float) -> bool:
        mode, t = self.rule.examples, self.thresholds
        if mode in ("entails", "entails-or-none"):
            if any(e >= t.covered and e > c for e, c in read):
                return False
            return mode == "entails" or any(c >= t.contradicts and c > e for e, c in read)
        votes = [c >= t.contradicts and c > e for e, c in read]
        if mode == "all":
            return all(votes)
        if mode == "majority":
            return contradicts_most(read, t)
        if mode == "any":
            return any(votes)
        return float(np.mean([c for _, c in read] + [con])) >= t.contradicts  # "mean"


def run_rules(settings: Settings, dataset: Path | Sequence[Path], names: list[str], limit: int | None = None,
              predictions: bool = False) -> dict:
    """Each decision rule's figures on DATASET (one JSONL file or more, as one set) or the held-out answer sheets: the
    app's path, with the claim grader deciding by that rule (each answer read by the checker once for all of them). On
    records, the figures on each half of the questions too (`halves`: question_folds k=2, seed 0, as
    devtools/limits_grid.py halves them). With `predictions` (records only), each rule's scores and which answers had
    a point graded incorrect too."""
    from bot.grading.rubric import RubricGrader
    from bot.services import build_assessor, build_embedder

    paths = dataset_paths(dataset)
    sheets = is_answer_sheets(paths[0])
    answers = load_answer_sheets(paths[0])[:limit or None] if sheets else None
    records = None if sheets else load_all(paths, limit)
    halves = question_folds(records, 2) if records and len({r.question_id for r in records}) >= 2 else []
    embedder = build_embedder(settings)
    assessor = build_assessor(settings, embedder=embedder, llm=False)
    if not isinstance(assessor.grader, ClaimGrader):
        raise DatasetError("--rule needs the claim grader (BOT_OFFLINE_GRADER=claims) and its weights.")
    grader, fallback = RuleGrader(assessor.grader), RubricGrader(embedder)
    grader.precision = settings.precision
    assessor = dataclasses.replace(assessor, grader=grader, index=KeptRetrieval(assessor.index))
    out: dict = {}
    for name in names:
        grader.rule, grader.extra_pairs = rule_for(name), 0
        if records is None:
            figures = held_out_figures(assessor, answers)
            figures.pop("per_question")
            n = figures["answers"]
        else:
            predicted, marked, verdicts = predict_app(assessor, fallback, records)
            figures = record_figures(records, predicted, marked, verdicts)
            if halves:
                figures["halves"] = [record_figures([records[i] for i in h], predicted[h], marked[h]) for h in halves]
            if predictions:
                figures |= {"predicted": predicted.tolist(), "marked": marked.tolist()}
            n = len(records)
        out[name] = {"rule": grader.rule.text, "extra_pairs_per_answer": round(grader.extra_pairs / max(1, n), 2),
                     **figures}
    reworded = reworded_questions(assessor.corpus, records) if records else []
    return {"grader": "claims", "dataset": " ".join(map(str, paths)), "rules": out,
            **({"reworded_questions": reworded} if reworded else {})}


class KeptRetrieval:
    """The rubric index, each answer's retrieval kept: every rule grades the same answers, and
    retrieval embeds the answer again each time (the embedding's own cache is bounded)."""

    def __init__(self, index) -> None:
        self.index, self._kept = index, {}

    def __getattr__(self, name: str):
        return getattr(self.index, name)

    def retrieve(self, question, points, answer_sentences, hints: int = 3):
        key = (question.id, tuple(p.id for p in points), tuple(answer_sentences), hints)
        if key not in self._kept:
            self._kept[key] = self.index.retrieve(question, points, answer_sentences, hints)
        return self._kept[key]
