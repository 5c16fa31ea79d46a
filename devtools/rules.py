"""`python -m bot eval FILE --rule NAME`: decision rules tried over the claim checker's readings.

Sessions 11 and 12 tried other ways of turning the checker's readings into verdicts, each judged
by a rule written down before it was measured (docs/grading.md). This module makes those tables
reproducible: every answer is read once (the shipped `ClaimGrader.measure`, which keeps every pair
the checker read), then each named rule folds the same readings its own way, reading a few more
pairs where the rule needs them (a contradicting window's sentences, a point's `examples`), and
the shipped `decide` gives the grade. The rule `shipped` folds them as the app does, so its figures
are `eval`'s own. None of these rules is in the app.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.grading import Grade, Verdict
from bot.grading.claim_grader import (
    ClaimGrader,
    Limits,
    Measure,
    PairRead,
    _PointReading,
    contradicts_most,
    fold,
)
from bot.settings import Settings
from devtools.evaluation import (
    DatasetError,
    held_out_figures,
    is_answer_sheets,
    load_answer_sheets,
    load_records,
    predict_app,
    record_figures,
)


@dataclass(frozen=True)
class Rule:
    text: str  # what the rule does, as docs/grading.md's table says it
    # a contradiction read in a two-sentence window counts only at this P(contradicts) (above 1: never)
    window_at: float = 0.0
    window_needs_sentence: bool = False  # ... only if one of its two sentences contradicts the point too
    flag_span_wins: bool = False  # a red flag stated by the span that entails the point makes it incorrect
    flag_span_covers_nothing: bool = False  # a span that states any red flag entails no point
    rubric_covered_veto: float | None = None  # no contradiction where the rubric grader covers the point this well
    # when a span contradicts a point, read it against the point's examples: the contradiction stands if
    # it contradicts "all" / a "majority" / "any" of them, or the "mean" P(contradicts) over the point and
    # them is at the threshold; it falls if the span entails one of them ("entails"), or also if it
    # contradicts none ("entails-or-none")
    examples: str | None = None
    widen: int = 0  # a point not covered: its examples against its nearest spans read for it (this many)
    # a point whose own examples the checker misreads (read as the span, the point's claim as the hypothesis)
    # is not trusted to be contradicted (its red flags still count): "contradicts" when one of them reads as
    # contradicting it (the app's own check since session 14, ClaimGrader.trusted), "not-entailed" when one
    # of them does not read as stating it, "margin": a contradiction must be stronger than the strongest such
    # reading of an example; None: every contradiction is trusted (the app until session 13)
    self_check: str | None = None
    # a point one of whose own examples does not read as stating it: the rubric grader's evidence for it
    # (the answer is about it) earns partial credit where the checker finds nothing
    about_unread: bool = False
    # a point not trusted (self_check "contradicts"): its contradiction stands after all if the span also
    # contradicts "majority" (the app's own since session 14, ClaimGrader.untrusted) / "any" of its examples
    untrusted_examples: str | None = None
    # a point whose best-read own example (as the span) reads below the covered threshold is covered by a span
    # the checker reads at least as strongly (and at the partial threshold or more)
    own_examples_cover: bool = False
    # the score, not the verdicts (session 15): what an incorrect point costs (None: the app's quarter of its
    # weight), and the rubric grader's share when some point is incorrect (Limits.rubric_if_incorrect)
    penalty: float | None = None
    rubric_if_incorrect: str = "all"
    # a red flag's statement makes no false claim where the span reads as stating the flag's fact at least as
    # strongly (one more pair per red flag stated)
    flag_fact_clears: bool = False
    one_claim_per_span: bool = False  # a span contradicts at most one point: the one it contradicts most
    # the score's constants (session 16, `grid-...` rules; None: the app's Limits): P(contradicts), and P(entails)
    # of a red flag, at which a point is incorrect; the rubric grader's share; the share of the marks that is a 10
    incorrect_at: float | None = None
    blend: float | None = None
    full_at: float | None = None
    # session 17: a point is not trusted either (self_check "contradicts") where the checker reads the bank's own
    # model answer as contradicting it (Limits.model_check; None: the app's, since session 17)
    model_check: bool | None = None
    # session 18: a point whose claim is not a proposition (its meta verb takes no that/why/how clause, so it names
    # a topic rather than saying something true or false): "never" contradicted, or only where the span also
    # contradicts most of its "examples" (red flags count as always)
    noun_points: str | None = None
    nearest_contradicts: bool = False  # only the span nearest a point (read first) can contradict it
    soft_credit: tuple[float, float] | None = None  # session 20: Limits.soft_credit (score only)

    def limits(self, shipped: Limits) -> Limits:
        """The app's Limits with this rule's changes to the score."""
        change = {"incorrect_at": self.incorrect_at, "blend": self.blend, "full_at": self.full_at,
                  "incorrect_penalty": self.penalty, "model_check": self.model_check,
                  "soft_credit": self.soft_credit}
        return dataclasses.replace(shipped, rubric_if_incorrect=self.rubric_if_incorrect,
                                   **{k: v for k, v in change.items() if v is not None})


SHIPPED = Rule("shipped (the app's own decision)", self_check="contradicts", untrusted_examples="majority")


def on_shipped(text: str, **change) -> Rule:
    """The app's own decision with one change (the rules of sessions 14-15 read against it)."""
    return dataclasses.replace(SHIPPED, text=text, **change)


RULES: dict[str, Rule] = {
    "shipped": SHIPPED,
    # the rules below are read against this one: what the app decided until session 13
    "session-13": Rule("the app's decision until session 13 (every contradiction trusted)"),
    # session 11
    "window-never": Rule("a window's contradiction never counts (sentences alone do)", window_at=1.01),
    "window-0.7": Rule("a window's contradiction counts at P >= 0.7", window_at=0.7),
    "window-0.8": Rule("a window's contradiction counts at P >= 0.8", window_at=0.8),
    "window-0.9": Rule("a window's contradiction counts at P >= 0.9", window_at=0.9),
    "window-0.95": Rule("a window's contradiction counts at P >= 0.95", window_at=0.95),
    "window-sentence": Rule("a window's contradiction counts only if one of its sentences contradicts too",
                            window_needs_sentence=True),
    "flag-span-wins": Rule("a red flag stated by the span that entails the point wins", flag_span_wins=True),
    "flag-span-covers-nothing": Rule("a span that states any red flag covers nothing", flag_span_covers_nothing=True),
    "rubric-veto-0.5": Rule("no contradiction where the rubric grader finds the point covered (coverage >= 0.5)",
                            rubric_covered_veto=0.5),
    "rubric-veto-0.7": Rule("no contradiction where the rubric grader finds the point covered (coverage >= 0.7)",
                            rubric_covered_veto=0.7),
    # session 12
    "examples-all": Rule("contradiction stands only if the span contradicts every example", examples="all"),
    "examples-majority": Rule("... a majority of the examples", examples="majority"),
    "examples-any": Rule("... any example", examples="any"),
    "examples-mean": Rule("... the mean P(contradicts) over point and examples >= the threshold", examples="mean"),
    "examples-entails": Rule("no contradiction where the span entails an example", examples="entails"),
    "examples-entails-or-none": Rule("... or contradicts none of them", examples="entails-or-none"),
    "widen-1": Rule("widen: the examples against a point's nearest span", widen=1),
    "widen-3": Rule("widen with three spans", widen=3),
    # session 14
    "self-check": Rule("no contradiction of a point one of whose own examples reads as contradicting it",
                       self_check="contradicts"),
    "self-check-ent": Rule("no contradiction of a point one of whose own examples does not read as stating it",
                           self_check="not-entailed"),
    "self-check-margin": Rule("a contradiction stands only above the P(contradicts) with which the checker reads "
                              "one of the point's own examples", self_check="margin"),
    "own-examples-cover": on_shipped("shipped, and a point is covered by a span read as strongly as its best-read "
                                     "example", own_examples_cover=True),
    "self-check-then-examples-any": Rule(
        "self-check, but a point not trusted is still contradicted where the span contradicts one of its examples",
        self_check="contradicts", untrusted_examples="any"),
    "self-check-about": Rule("self-check, and the rubric grader's evidence earns partial for a point one of whose own "
                             "examples does not read as stating it", self_check="contradicts", about_unread=True),
    "self-check-examples-entails": Rule("self-check, and no contradiction where the span entails an example",
                                        self_check="contradicts", examples="entails"),
    # session 15: the score of an answer the checker finds saying something false
    "no-blend-if-incorrect": on_shipped("shipped, and an answer with an incorrect point gets no rubric share "
                                        "(verdicts alone)", rubric_if_incorrect="none"),
    "blend-by-correct-share": on_shipped("shipped, and the rubric share times the weight share of points not "
                                         "incorrect", rubric_if_incorrect="correct"),
    "penalty-0.5": on_shipped("shipped, and an incorrect point costs half its weight", penalty=0.5),
    "penalty-1.0": on_shipped("shipped, and an incorrect point costs its whole weight", penalty=1.0),
    "flag-fact-clears": on_shipped("shipped, and a span read as stating a red flag's fact as strongly as its claim "
                                   "states no red flag", flag_fact_clears=True),
    "one-claim-per-span": on_shipped("shipped, and a span contradicts at most one point (the one it contradicts "
                                     "most)", one_claim_per_span=True),
    "no-blend-penalty-0.5": on_shipped("no-blend-if-incorrect and penalty-0.5 together", rubric_if_incorrect="none",
                                       penalty=0.5),
    # session 17: the app until then, and the change it made (now the app's own)
    "session-16": on_shipped("the app's decision until session 17 (its model answer not read)", model_check=False),
    "model-check": on_shipped("session-16, and a point the checker reads the model answer as contradicting is not "
                              "trusted either", model_check=True),
    # session 18
    "noun-points-never": on_shipped("shipped, and a point whose claim is not a proposition is never contradicted",
                                    noun_points="never"),
    "noun-points-examples": on_shipped("shipped, and a point whose claim is not a proposition is contradicted only "
                                       "where the span contradicts most of its examples too", noun_points="examples"),
    "nearest-contradicts": on_shipped("shipped, and only the span nearest a point can contradict it (the next spans "
                                      "can cover it)", nearest_contradicts=True),
    **{f"soft-{lo:g}-{hi:g}": on_shipped(f"shipped, and a point's credit a ramp of P(entails) from {lo:g} to {hi:g} "
                                         "(score only)", soft_credit=(lo, hi))
       for lo, hi in ((0.25, 0.5), (0.15, 0.6), (0.1, 0.5))},
}

_PROPOSITION = re.compile(r"^\s*(?:\w+ly\s+)?\w+\s+(?:that|why|how)\s", re.IGNORECASE)


def is_proposition(point_text: str) -> bool:
    """Does the rubric point ask for something true or false ("explains that / why / how ...") rather than name a
    topic ("describes fast tests of the pipeline's code", "names fairness metrics")?"""
    return _PROPOSITION.match(point_text) is not None


class RuleGrader(ClaimGrader):
    """The shipped claim grader with another decision rule. Each answer is measured once and kept, so
    every rule after the first costs only its extra pairs (counted in `extra_pairs`)."""

    def __init__(self, base: ClaimGrader) -> None:
        super().__init__(base.embedder, base.corpus, base.checker, base.fallback, base.limits, readings=None)
        # the base grader's readings (the shipped table's among them), rather than reading the table again
        self._trust, self._model = dict(getattr(base, "_trust", {})), dict(getattr(base, "_model", {}))
        self.shipped_limits = self.limits
        self.rule = RULES["shipped"]
        self.extra_pairs = 0
        self._measures: dict[tuple, Measure] = {}
        self._read_pairs: dict[tuple[str, str], tuple[float, float]] = {}

    def measure(self, question, points, flags, answer) -> Measure:
        key = (question.id, tuple(p.id for p in points), answer)
        if key not in self._measures:  # read as the app reads it, whichever rule asks first
            self.limits = self.shipped_limits
            self._measures[key] = super().measure(question, points, flags, answer)
        return self._measures[key]

    def decide(self, question, points, m: Measure) -> Grade:
        self.limits = self.rule.limits(self.shipped_limits)
        if not m.empty:
            readings = self.refold(points, m)
            m = dataclasses.replace(m, readings=readings,
                                    untrusted=self.untrusted_by_rule(points, m, readings, question))
        return super().decide(question, points, m)

    def _probabilities(self, hyps: list[str], prems: list[str]) -> list[tuple[float, float]]:
        """(P(entails), P(contradicts)) of extra pairs; each distinct pair read once over all rules."""
        self.extra_pairs += len(hyps)
        need = list(dict.fromkeys(k for k in zip(hyps, prems, strict=True) if k not in self._read_pairs))
        if need:
            probs = self.checker.probabilities([h for h, _ in need], [p for _, p in need])
            self._read_pairs.update({k: (float(e), float(c)) for k, (_, e, c) in zip(need, probs, strict=True)})
        return [self._read_pairs[k] for k in zip(hyps, prems, strict=True)]

    def refold(self, points, m: Measure) -> list[_PointReading]:
        """Each point's readings under `self.rule`, from the pairs the checker read."""
        rule, t = self.rule, self.checker.thresholds
        spans, n_units = m.spans, (len(m.spans) + 1) // 2  # sentences first, then each with the next
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
                if p.span >= n_units and p.con > p.ent and p.con >= t.contradicts and not self._window_stands(
                        m, p, n_units):
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
        return readings

    def untrusted_by_rule(self, points, m: Measure, readings: list[_PointReading], question=None) -> frozenset[int]:
        """The points whose contradiction is not believed under `self.rule` (ClaimGrader.untrusted's own
        steps, each pair read through the rules' cache)."""
        rule, t = self.rule, self.checker.thresholds
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

    def _window_stands(self, m: Measure, p: PairRead, n_units: int) -> bool:
        if p.con < self.rule.window_at:
            return False
        if not self.rule.window_needs_sentence:
            return True
        t, u = self.checker.thresholds, p.span - n_units  # the window of sentences u and u + 1
        read = self._probabilities([m.claims[p.point]] * 2, [m.spans[u].text, m.spans[u + 1].text])
        return any(con >= t.contradicts and con > ent for ent, con in read)

    def _contradiction_stands(self, read: list[tuple[float, float]], con: float) -> bool:
        mode, t = self.rule.examples, self.checker.thresholds
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


# Session 16: the score's constants chosen again for today's checker and decision (devtools/limits_grid.py).
# A rule `grid-AT-BLEND-FULL-PENALTY` is the shipped decision with those four constants, e.g. the app's own
# grid-0.5-0.2-0.8-0.25; "grid" names every combination of these values.
GRID = {"incorrect_at": (0.5, 0.6, 0.7, 0.8), "blend": (0.0, 0.1, 0.2, 0.3),
        "full_at": (0.7, 0.75, 0.8, 0.85, 0.9), "penalty": (0.25, 0.5)}


def grid_name(incorrect_at: float, blend: float, full_at: float, penalty: float) -> str:
    return f"grid-{incorrect_at:g}-{blend:g}-{full_at:g}-{penalty:g}"


def grid_names() -> list[str]:
    return [grid_name(*values) for values in itertools.product(*GRID.values())]


def grid_rule(name: str) -> Rule | None:
    """The rule a `grid-AT-BLEND-FULL-PENALTY` name stands for (any values, not only the grid's), or None."""
    parts = name.split("-")
    if len(parts) != 5 or parts[0] != "grid":
        return None
    try:
        at, blend, full_at, penalty = map(float, parts[1:])
    except ValueError:
        return None
    if not (0 < at <= 1 and 0 <= blend <= 1 and 0 < full_at <= 1 and 0 <= penalty <= 1):
        return None
    return on_shipped(f"shipped, with incorrect at P >= {at:g}, the rubric grader's share {blend:g}, "
                      f"{full_at:.0%} of the marks a 10, an incorrect point costing {penalty:g} of its weight",
                      incorrect_at=at, blend=blend, full_at=full_at, penalty=penalty)


def rule_for(name: str) -> Rule:
    """A named rule (RULES) or a grid rule; a KeyError for neither."""
    rule = RULES.get(name) or grid_rule(name)
    if rule is None:
        raise KeyError(name)
    return rule


def rule_names(value: str) -> list[str]:
    """The rules named in a comma-separated list ("all": every one of RULES, "grid": every grid combination),
    or a ValueError naming the unknown."""
    names = list(RULES) if value == "all" else grid_names() if value == "grid" else [
        v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in RULES and grid_rule(n) is None]
    if unknown or not names:
        shown = ", ".join(unknown) if unknown else repr(value)
        raise ValueError(f"unknown rule {shown}; the rules are: {', '.join(RULES)}, and grid-AT-BLEND-FULL-PENALTY "
                         "(e.g. grid-0.5-0.2-0.8-0.25) or 'grid' for all of the grid")
    return names


def run_rules(settings: Settings, dataset: Path, names: list[str], limit: int | None = None,
              predictions: bool = False) -> dict:
    """Each decision rule's figures on DATASET or the held-out answer sheets: the app's path, with the
    claim grader deciding by that rule (each answer read by the checker once for all of them). With
    `predictions` (records only), each rule's scores and which answers had a point graded incorrect too."""
    from bot.grading.rubric import RubricGrader
    from bot.services import build_assessor, build_embedder

    sheets = is_answer_sheets(dataset)
    answers = load_answer_sheets(dataset)[:limit or None] if sheets else None
    records = None if sheets else load_records(dataset, limit)
    embedder = build_embedder(settings)
    assessor = build_assessor(settings, embedder=embedder, llm=False)
    if not isinstance(assessor.grader, ClaimGrader):
        raise DatasetError("--rule needs the claim grader (BOT_OFFLINE_GRADER=claims) and its weights.")
    grader, fallback = RuleGrader(assessor.grader), RubricGrader(embedder)
    assessor = dataclasses.replace(assessor, grader=grader, index=KeptRetrieval(assessor.index))
    out: dict = {}
    for name in names:
        grader.rule, grader.extra_pairs = rule_for(name), 0
        if records is None:
            figures = held_out_figures(assessor, answers)
            figures.pop("per_question")
            n = figures["answers"]
        else:
            predicted, marked = predict_app(assessor, fallback, records)
            figures = record_figures(records, predicted, marked)
            if predictions:
                figures |= {"predicted": predicted.tolist(), "marked": marked.tolist()}
            n = len(records)
        out[name] = {"rule": grader.rule.text, "extra_pairs_per_answer": round(grader.extra_pairs / max(1, n), 2),
                     **figures}
    return {"grader": "claims", "dataset": str(dataset), "rules": out}


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
