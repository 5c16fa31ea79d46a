"""`python -m bot eval --rule`: the decision rules tried over the claim checker's readings
(devtools/rules.py) fold the same readings as the app when told to, and each changes what it says."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from bot.__main__ import cli
from bot.grading.claim_grader import Measure, PairRead, _PointReading, _Span
from devtools.rule_table import RULES, grid_rule, rule_for, rule_names
from devtools.rules import RuleGrader
from tests.helpers import ScriptedChecker

CHOOSING = Path(__file__).resolve().parent.parent / "devtools" / "data" / "choosing_answers.jsonl"

# the scale and partial threshold of sessions 16-29 (10 at 80% of the marks, partial at P(entails) 0.25), which the hand
# computations of the scripted tests below use; the app's since session 30 are Limits()'s
SCALE_16_29 = {"full_at": 0.8, "partial_at": None}


def grader_for(table: dict[str, tuple[float, float]]) -> RuleGrader:
    base = SimpleNamespace(embedder=None, corpus=None, checker=ScriptedChecker(table), fallback=None, limits=None)
    return RuleGrader(base)


POINT = SimpleNamespace(id="p", examples=["example one", "example two", "example three"])


def contradicted_in(span: int, con: float, n_sentences: int = 2) -> Measure:
    """One point, `n_sentences` sentences and their windows; the checker read the point against `span`."""
    spans = [_Span(f"sentence {k}", None, k, k) for k in range(n_sentences)]
    spans += [_Span(f"window {k}", None, k, k + 1) for k in range(n_sentences - 1)]
    return Measure(claims=["the point"], spans=spans, readings=[_PointReading()], rubric=None, bare_list=False,
                   pairs=[PairRead(0, span, 0.1, con)])


@pytest.mark.parametrize(("rule", "span", "con", "stands"), [
    ("shipped", 2, 0.85, True),
    ("window-never", 2, 0.99, False),
    ("window-never", 0, 0.85, True),  # a sentence alone still contradicts
    ("window-0.8", 2, 0.85, True),
    ("window-0.9", 2, 0.85, False),
])
def test_window_rules_keep_or_drop_a_contradiction_read_in_a_window(rule: str, span: int, con: float,
                                                                    stands: bool) -> None:
    grader = grader_for({})
    grader.rule = RULES[rule]
    r = grader.refold([POINT], contradicted_in(span, con))[0]
    assert (r.con >= 0.5) is stands


@pytest.mark.parametrize(("rule", "examples", "stands"), [
    ("examples-all", [(0.1, 0.8), (0.1, 0.8), (0.1, 0.8)], True),
    ("examples-all", [(0.1, 0.8), (0.1, 0.8), (0.3, 0.2)], False),
    ("examples-majority", [(0.1, 0.8), (0.1, 0.8), (0.3, 0.2)], True),
    ("examples-any", [(0.3, 0.2), (0.3, 0.2), (0.1, 0.6)], True),
    ("examples-any", [(0.3, 0.2), (0.3, 0.2), (0.3, 0.2)], False),
    ("examples-entails", [(0.1, 0.8), (0.1, 0.8), (0.7, 0.1)], False),  # the span states an example
    ("examples-entails", [(0.3, 0.2), (0.3, 0.2), (0.3, 0.2)], True),
    ("examples-entails-or-none", [(0.3, 0.2), (0.3, 0.2), (0.3, 0.2)], False),  # contradicts none of them
])
def test_example_rules_confirm_or_drop_a_contradiction(rule: str, examples: list, stands: bool) -> None:
    table = {f"{e}|sentence 0": p for e, p in zip(POINT.examples, examples, strict=True)}
    grader = grader_for(table)
    grader.rule = RULES[rule]
    r = grader.refold([POINT], contradicted_in(0, 0.9))[0]
    assert (r.con >= 0.5) is stands
    assert grader.extra_pairs == 3  # the span against each example


def test_widen_credits_a_point_whose_example_the_span_states() -> None:
    grader = grader_for({"example two|sentence 1": (0.8, 0.05)})
    grader.rule = RULES["widen-1"]
    m = Measure(claims=["the point"], spans=[_Span(f"sentence {k}", None, k, k) for k in range(2)],
                readings=[_PointReading()], rubric=None, bare_list=False, pairs=[PairRead(0, 1, 0.2, 0.1)])
    r = grader.refold([POINT], m)[0]
    assert (r.ent, r.ent_span) == (pytest.approx(0.8), 1)
    grader.rule = RULES["shipped"]
    assert grader.refold([POINT], m)[0].ent == pytest.approx(0.2)


STATING = "the first clause says it right, and the second clause says something false"


@pytest.mark.parametrize(("rule", "example_con", "stands"), [
    ("shipped", 0.9, False),  # the span states the point (P 0.8): covered
    ("clauses-0.9", 0.1, True),  # its second clause contradicts the point at 0.95
    ("clauses-0.96", 0.1, False),
    ("clausesex-0.9", 0.1, False),  # ... but contradicts none of the point's examples
    ("clausesex-0.9", 0.9, True),  # ... contradicts all three
    ("clausesagree-0.9", 0.1, True),  # the second reader (here the same scripted checker) reads it so too
])
def test_clause_rules_read_a_stating_spans_clauses_against_the_point(rule: str, example_con: float,
                                                                     stands: bool) -> None:
    false = "and the second clause says something false"
    table = {"the point|" + false: (0.03, 0.95), **{f"{e}|{false}": (0.05, example_con) for e in POINT.examples}}
    grader = grader_for(table)
    grader.rule = rule_for(rule)
    m = Measure(claims=["the point"], spans=[_Span(STATING, None, 0, 0)], readings=[_PointReading()], rubric=None,
                bare_list=False, pairs=[PairRead(0, 0, 0.8, 0.05)])
    r = grader.refold([POINT], m)[0]
    assert (r.con >= 0.5 and r.ent == 0.0) is stands, (r.con, r.ent)
    assert ("the point", "the first clause says it right") in grader.checker.read or rule == "shipped"


@pytest.mark.parametrize(("second", "stands"), [
    ((0.1, 0.8), True),  # the red flags' checker reads it as contradicting the point too
    ((0.1, 0.4), False),  # ... below the threshold
    ((0.6, 0.55), False),  # ... but more entailing than contradicting
])
def test_the_confirmed_rule_believes_a_contradiction_the_red_flags_checker_reads_too(second, stands: bool) -> None:
    grader = grader_for({})
    grader.flag_checker = ScriptedChecker({"the point|sentence 0": second})
    m = contradicted_in(0, 0.9)
    grader.rule = RULES["shipped"]
    assert grader.refold([POINT], m)[0].con == pytest.approx(0.9)
    grader.rule = RULES["confirmed"]
    assert (grader.refold([POINT], m)[0].con >= 0.5) is stands


@pytest.mark.parametrize(("flags", "shipped", "rule", "stands"), [
    ((0.1, 0.8), (0.1, 0.8), "confirmed-both", True),  # both other checkers read it as contradicting the point
    ((0.1, 0.8), (0.6, 0.3), "confirmed-both", False),  # ... the shipped one does not
    ((0.1, 0.8), (0.6, 0.3), "confirmed", True),  # the red flags' checker alone is asked
    ((0.6, 0.3), (0.1, 0.8), "confirmed-shipped", True),  # the shipped checker alone is asked
    ((0.1, 0.8), (0.1, 0.4), "confirmed-shipped", False),
])
def test_confirmed_rules_ask_the_checkers_they_name(flags, shipped, rule: str, stands: bool) -> None:
    grader = grader_for({})
    grader.flag_checker = ScriptedChecker({"the point|sentence 0": flags})
    grader._shipped = ScriptedChecker({"the point|sentence 0": shipped})  # as if loaded: nothing is read from disk
    grader.rule = RULES[rule]
    assert (grader.refold([POINT], contradicted_in(0, 0.9))[0].con >= 0.5) is stands


@pytest.mark.parametrize(("rule", "stands"), [
    ("session-13", True),  # every contradiction believed
    ("self-check", False),  # the point's example "example two" reads as contradicting it: not believed
    ("self-check-then-examples-any", True),  # ... unless the span contradicts one of its examples too
    ("self-check-margin", True),  # 0.9 is above the 0.7 with which the example reads as contradicting it
])
def test_self_check_rules_doubt_a_point_whose_own_example_reads_as_contradicting_it(rule: str, stands: bool) -> None:
    grader = grader_for({"the point|example two": (0.2, 0.7), "example three|sentence 0": (0.1, 0.8)})
    grader.rule = RULES[rule]
    m = contradicted_in(0, 0.9)
    readings = grader.refold([POINT], m)
    stood = readings[0].con >= 0.5 and 0 not in grader.untrusted_by_rule([POINT], m, readings)
    assert stood is stands


def test_unknown_rule_names_are_refused_with_the_list() -> None:
    assert rule_names("all") == list(RULES)
    with pytest.raises(ValueError, match="unknown rule widen-9; the rules are: shipped"):
        rule_names("shipped,widen-9")
    result = CliRunner().invoke(cli, ["eval", str(CHOOSING), "--rule", "nope"])
    assert result.exit_code != 0 and "unknown rule nope" in result.output


def test_the_shipped_rule_gives_the_apps_own_figures(shared_cache: Path) -> None:
    env = {"BOT_CACHE_DIR": str(shared_cache)}
    app = CliRunner().invoke(cli, ["eval", str(CHOOSING), "--limit", "14", "--json"], env=env, catch_exceptions=False)
    ruled = CliRunner().invoke(cli, ["eval", str(CHOOSING), "--limit", "14", "--json", "--rule",
                                     "grid-0.5-0-1-0.25,shipped,window-never"], env=env, catch_exceptions=False)
    app_figures, rules = json.loads(app.stdout), json.loads(ruled.stdout)["rules"]
    for key in ("pearson", "mae", "rmse", "by_style"):
        assert rules["shipped"][key] == app_figures[key]
    assert rules["window-never"]["rule"] == RULES["window-never"].text
    # a rule read first without the rubric grader's share (blend 0) does not take it from the rules after it
    assert rules["grid-0.5-0-1-0.25"]["mae"] != rules["shipped"]["mae"]
    # and its figures on each half of the questions (two questions here: one each)
    halves = rules["shipped"]["halves"]
    assert [h["n"] for h in halves] == [7, 7] and {h["mae"] for h in halves} != {rules["shipped"]["mae"]}


@pytest.mark.parametrize(("rule", "score"), [
    # since session 21 the rubric's 8.0 is halved, as one of the two points is incorrect, before it is a fifth
    ("shipped", 4.8),  # (0.8 x 3.75 (a quarter of the incorrect point's weight lost) + 0.2 x 4.0) / 0.8
    ("session-20", 5.8),  # the rubric's 8.0 whole: (0.8 x 3.75 + 0.2 x 8.0) / 0.8
    ("no-blend-if-incorrect", 4.75),  # the verdicts alone
    ("blend-by-correct-share", 4.8),  # session 15's name for what the app does since session 21
    ("penalty-0.5", 3.5),  # (0.8 x 2.5 + 0.2 x 4.0) / 0.8
    ("penalty-1.0", 1.0),
    ("no-blend-penalty-0.5", 3.1),
    ("grid-0.5-0.2-0.8-0.25", 4.8),  # the app's own constants, named as a grid rule
    ("grid-0.5-0-1-0.25", 3.8),  # the verdicts alone, 100% of the marks a 10
    ("grid-0.5-0.3-0.9-0.5", 3.3),  # (0.7 x 2.5 + 0.3 x 4.0) / 0.9
    ("floor-0.1-0.8", 4.1),  # session 21: the blend 0.8 x 3.8 + 0.2 x 4.0 on a scale from 1.0 to 8.0: 2.84 / 0.7
    ("floor-0-0.8", 4.8),  # no floor: the app's own
])
def test_score_rules_change_what_an_answer_with_a_false_claim_keeps(rule: str, score: float) -> None:
    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=[]) for p in ("p", "q")]
    question = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    # two points, one contradicted: session 20's context rule would disbelieve it (its own test is in test_claim_grader)
    base = SimpleNamespace(embedder=None, corpus=None, checker=ScriptedChecker({}), fallback=None,
                           limits=Limits(context_share=2.0, **SCALE_16_29))
    grader = RuleGrader(base)
    grader.rule = rule_for(rule)

    def graded(con: float):
        m = Measure(claims=["p", "q"], spans=[_Span("They said a thing.", None, 0, 0), _Span("And another.", None, 1, 1)],
                    readings=[_PointReading(), _PointReading()], rubric=SimpleNamespace(score=8.0, points=[]),
                    bare_list=False, pairs=[PairRead(0, 0, 0.1, con), PairRead(1, 1, 0.9, 0.05)])
        return grader.decide(question, points, m)

    wrong = graded(0.9)
    assert [g.verdict.value for g in wrong.points] == ["incorrect", "covered"]
    assert wrong.score == pytest.approx(score, abs=0.051)
    if not rule.startswith(("grid-", "floor-")):
        assert graded(0.3).score == pytest.approx(7.0)  # nothing incorrect: every rule scores as the app does


# what the rules made from the app as it read until session 25 share: three spans a point, no floor under a story
BEFORE_35 = {"spans_share": 0.0, "story_floor": 0.0, "story_gate_rubric": False}


def test_a_grid_rule_moves_the_contradiction_threshold_and_names_are_checked() -> None:
    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=[]) for p in ("p", "q")]
    m = Measure(claims=["p", "q"], spans=[_Span("They said a thing.", None, 0, 0), _Span("And another.", None, 1, 1)],
                readings=[_PointReading(), _PointReading()], rubric=SimpleNamespace(score=8.0, points=[]),
                bare_list=False, pairs=[PairRead(0, 0, 0.1, 0.75), PairRead(1, 1, 0.9, 0.05)])
    from bot.grading.claim_grader import Limits

    grader = RuleGrader(SimpleNamespace(embedder=None, corpus=None, checker=ScriptedChecker({}), fallback=None,
                                        limits=Limits(context_share=2.0)))  # as above: the context rule apart
    question = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    for name, verdict in (("grid-0.7-0.2-0.8-0.25", "incorrect"), ("grid-0.8-0.2-0.8-0.25", "missing")):
        grader.rule = rule_for(name)
        assert grader.decide(question, points, m).points[0].verdict.value == verdict
    assert len(rule_names("grid")) == len(set(rule_names("grid"))) == 160
    # grid and floor rules read as they were measured: without session 22's cap on answers to another question
    # (and as every rule before session 25: three spans per point whatever the answer's length)
    assert grid_rule("grid-0.5-0.2-0.8-0.25").limits(Limits()) == replace(Limits(), incorrect_at=0.5, full_at=0.8,
                                                                           elsewhere_margin=None, **BEFORE_35)
    assert rule_for("session-17").limits(Limits()).context_share > 1  # every contradiction counts there
    assert rule_for("shipped").limits(Limits()) == Limits()
    assert rule_for("session-34").limits(Limits()) == replace(Limits(), story_floor=0.0, story_gate_rubric=False)
    assert rule_for("session-24").limits(Limits()) == replace(Limits(), **BEFORE_35)
    assert rule_for("session-21").limits(Limits()) == replace(Limits(), elsewhere_margin=None, **BEFORE_35)
    # session 23's exemption of stories from that cap: the app's now; `session-22` and the rules tried read without it
    assert rule_for("stories-0.5-first-person-0.5").limits(Limits()) == replace(Limits(), **BEFORE_35)
    assert rule_for("session-22").limits(Limits()) == replace(Limits(), elsewhere_stories=None,
                                                              elsewhere_story_voice=None, **BEFORE_35)
    assert rule_for("stories-0").limits(Limits()) == replace(Limits(), elsewhere_stories=0.0, elsewhere_story_voice=None,
                                                             **BEFORE_35)
    assert len(rule_names("floor")) == len(set(rule_names("floor"))) == 20
    assert rule_for("floor-0-0.8").limits(Limits()) == replace(Limits(), elsewhere_margin=None,  # sessions 16-29's scale
                                                               full_at=0.8, **BEFORE_35)
    assert rule_for("floor-0.1-0.75").limits(Limits()) == replace(Limits(), floor=0.1, full_at=0.75,
                                                                  elsewhere_margin=None, **BEFORE_35)
    # session 25's widen rules: the app's decision (its cap included) with the examples read and another scale
    assert rule_names("widen") == ["widen-1-0.8", "widen-1-0.85", "widen-1-0.9", "widen-1-0.95", "widen-1-1"]
    assert rule_names("shipped,widen") == ["shipped", *rule_names("widen")]
    assert rule_for("widen-1-0.9").limits(Limits()) == replace(Limits(), full_at=0.9, **BEFORE_35)
    assert rule_for("widen-1-0.9").widen == 1 and rule_for("widen-1").widen == 1  # session 12's keeps its name
    # session 26's cover rules: the app's decision and reading with other P(entails) thresholds for covered and partial
    assert rule_for("cover-0.4-0.2-0.85").limits(Limits()) == replace(Limits(), covered_at=0.4, partial_at=0.2,
                                                                      full_at=0.85)
    assert len(rule_names("cover")) == len(set(rule_names("cover"))) == 56  # partial under covered
    assert rule_for("falsecap-0.5-1").limits(Limits()) == replace(Limits(), false_cap_share=0.5, false_cap=1.0)
    assert len(rule_names("falsecap")) == 9
    assert rule_for("untainted-reread").limits(Limits()) == replace(Limits(), untainted="reread")
    assert rule_for("context-one-0.8").limits(Limits()) == replace(Limits(), context_most=0.8)
    assert rule_for("flags-said").limits(Limits()) == replace(Limits(), flag_statements=True)
    assert rule_for("flag-at-0.8").limits(Limits()) == replace(Limits(), flag_at=0.8)
    # session 29's: a point's own contradiction at a higher bar, red flags at the checker's; the said flags, minus those
    # misread in the model answer
    assert rule_for("point-con-at-0.7").limits(Limits()) == replace(Limits(), incorrect_at=0.7, flag_at=0.5)
    assert rule_for("point-con-never").limits(Limits()).incorrect_at > 1
    assert rule_for("flags-said-model-examples").limits(Limits()) == replace(Limits(), flag_statements=True,
                                                                             flag_check="model-examples")
    assert rule_for("flags-model-examples-now").limits(Limits()) == replace(Limits(), flag_check="model-examples")
    assert rule_for("flag-fact-clears-now").flag_fact_clears and rule_for("flag-fact-clears-now").limits(Limits()) == Limits()
    m = Measure(claims=["p", "q"], spans=[_Span("They said a thing.", None, 0, 0), _Span("And another.", None, 1, 1)],
                readings=[_PointReading(), _PointReading()], rubric=None, bare_list=False,
                pairs=[PairRead(0, 0, 0.45, 0.05), PairRead(1, 1, 0.2, 0.05)])
    for name, verdicts in (("shipped", ["partial", "missing"]), ("cover-0.4-0.15-0.8", ["covered", "partial"]),
                           ("cover-0.6-0.5-0.8", ["missing", "missing"])):
        grader.rule = rule_for(name)
        assert [g.verdict.value for g in grader.decide(question, points, m).points] == verdicts, name
    for bad in ("grid-2-0.2-0.8-0.25", "grid-0.5-0.2-0.8", "grid-a-b-c-d", "floor-0.8-0.8", "floor-0.1", "widen-4-0.9",
                "widen-1-0", "cover-0.3-0.35-0.8"):
        with pytest.raises(ValueError, match=f"unknown rule {bad}"):
            rule_names(bad)


def test_the_grid_choice_takes_the_lowest_mae_that_keeps_excellent_and_wrong_answers_apart() -> None:
    from devtools import limits_grid

    def figures(pearson: float, mae: float, excellent: float, below_7: int, wrong: float) -> dict:
        return {"pearson": pearson, "mae": mae, "by_style": {
            "excellent": {"predicted_mean": excellent, "below_7": below_7}, "wrong": {"predicted_mean": wrong}}}

    app = figures(0.85, 1.55, 8.77, 2, 2.66)
    grid = {limits_grid.APP: app,
            "lower-mae-but-excellent-low": figures(0.86, 1.30, 8.40, 2, 2.0),
            "lower-mae-but-wrong-high": figures(0.86, 1.35, 9.0, 1, 2.9),
            "lower-mae-but-pearson-low": figures(0.84, 1.40, 8.9, 1, 2.5),
            "kept": figures(0.848, 1.48, 8.7, 3, 2.7)}
    assert limits_grid.choose(grid) == "kept"
    del grid["kept"]
    assert limits_grid.choose(grid) == limits_grid.APP
    grid[limits_grid.APP] = figures(0.85, 1.55, 8.0, 9, 3.0)  # not even the app's constants pass
    assert limits_grid.choose(grid) is None


@pytest.mark.parametrize(("rule", "stands"), [
    ("session-16", True),  # the app until session 17: the point's examples read right, so it is trusted
    ("model-check", False),  # the checker misreads the model answer, and the span contradicts no example
    ("shipped", False),  # the app since session 17
])
def test_a_point_misread_in_its_model_answer_needs_its_examples_contradicted_too(rule: str, stands: bool) -> None:
    grader = grader_for({})
    grader.misreads_model_answer = lambda question, point, claim: True  # as if read in the model answer
    grader.rule = RULES[rule]
    grader.limits = grader.rule.limits(grader.shipped_limits)  # as decide() sets them
    m = contradicted_in(0, 0.9)
    readings = grader.refold([POINT], m)
    question = SimpleNamespace(id="t-001")
    assert (0 not in grader.untrusted_by_rule([POINT], m, readings, question)) is stands
    grader.rule = RULES["examples-any"]  # not a self-check rule: model answers are not read either
    assert grader.untrusted_by_rule([POINT], m, readings, question) == frozenset()


def test_a_span_stating_a_red_flags_fact_states_no_red_flag() -> None:
    from bot.corpus import RedFlag

    flag = RedFlag(point="p", claim="the model runs the tool", fact="the application runs the tool")
    m = Measure(claims=["the point"], spans=[_Span("the model doesn't actually run it", None, 0, 0)],
                readings=[_PointReading()], rubric=None, bare_list=False, pairs=[PairRead(0, 0, 0.8, 0.1, flag)])
    for fact_read, stated in (((0.9, 0.05), False), ((0.3, 0.1), True)):
        grader = grader_for({"the application runs the tool|the model doesn't actually run it": fact_read})
        grader.rule = RULES["flag-fact-clears"]
        r = grader.refold([POINT], m)[0]
        assert (r.red_flag is not None) is stated
        grader.rule = RULES["shipped"]
        assert grader.refold([POINT], m)[0].red_flag is flag  # the app reads no fact


def test_a_span_contradicts_at_most_one_point_under_one_claim_per_span() -> None:
    other = SimpleNamespace(id="q", examples=[])
    m = Measure(claims=["the point", "another"], spans=[_Span("sentence 0", None, 0, 0), _Span("sentence 1", None, 1, 1)],
                readings=[_PointReading(), _PointReading()], rubric=None, bare_list=False,
                pairs=[PairRead(0, 0, 0.1, 0.7), PairRead(1, 0, 0.1, 0.9), PairRead(1, 1, 0.1, 0.6)])
    grader = grader_for({})
    grader.rule = RULES["one-claim-per-span"]
    first, second = grader.refold([POINT, other], m)
    assert first.con == 0.0  # sentence 0 contradicts "another" more strongly
    assert (second.con, second.con_span) == (pytest.approx(0.9), 0)
    grader.rule = RULES["shipped"]
    assert grader.refold([POINT, other], m)[0].con == pytest.approx(0.7)


@pytest.mark.parametrize(("rule", "score"), [
    ("shipped", 9.5),  # covered 1 + partial 1/2 of 2 points = 7.5; (0.8 x 7.5 + 0.2 x 8.0) / 0.8
    ("soft-0.25-0.5", 8.0),  # P(entails) 0.3 earns 0.2 of its point: 6.0 -> (4.8 + 1.6) / 0.8
    ("soft-0.15-0.6", 8.7),  # ... 1/3 of it
])
def test_soft_credit_rules_score_a_ramp_of_the_reading_and_keep_the_verdicts(rule: str, score: float) -> None:
    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=[]) for p in ("p", "q")]
    question = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    base = SimpleNamespace(embedder=None, corpus=None, checker=ScriptedChecker({}), fallback=None,
                           limits=Limits(**SCALE_16_29))
    grader = RuleGrader(base)
    grader.rule = rule_for(rule)
    m = Measure(claims=["p", "q"], spans=[_Span("They said a thing.", None, 0, 0), _Span("And another one.", None, 1, 1)],
                readings=[_PointReading(), _PointReading()], rubric=SimpleNamespace(score=8.0, points=[]),
                bare_list=False, pairs=[PairRead(0, 0, 0.9, 0.05), PairRead(1, 1, 0.3, 0.05)])
    grade = grader.decide(question, points, m)
    assert [g.verdict.value for g in grade.points] == ["covered", "partial"]
    assert grade.score == pytest.approx(score, abs=0.051)


@pytest.mark.parametrize(("rule", "ents"), [
    ("shipped", [0.9, 0.9, 0.9, 0.1]),
    ("about-context-0.75-partial", [0.9, 0.9, 0.9, 0.25]),  # three of three others covered: the fourth lifted
    ("about-context-0.75-full", [0.9, 0.9, 0.9, 0.5]),
])
def test_about_context_rules_credit_a_point_the_rubric_grader_finds_in_an_answer_that_states_the_rest(
        rule: str, ents: list[float]) -> None:
    from bot.grading import Verdict

    points = [SimpleNamespace(id=p, weight=1, examples=[]) for p in "abcd"]
    seen = [SimpleNamespace(point_id=p, verdict=Verdict.partial) for p in "abcd"]
    m = Measure(claims=list("abcd"), spans=[_Span(f"sentence {k}", None, k, k) for k in range(4)],
                readings=[_PointReading() for _ in range(4)], rubric=SimpleNamespace(score=8.0, points=seen),
                bare_list=False, pairs=[PairRead(k, k, 0.9 if k < 3 else 0.1, 0.05) for k in range(4)])
    grader = grader_for({})
    grader.rule = rule_for(rule)
    assert [r.ent for r in grader.refold(points, m)] == pytest.approx(ents)
    # with only two of the other three covered (2/3 < 0.75), nothing is lifted
    thin = replace(m, pairs=[*m.pairs[:2], PairRead(2, 2, 0.1, 0.05), m.pairs[3]])
    assert grader.refold(points, thin)[3].ent == pytest.approx(0.1)
    # nor is a point the checker reads as contradicted
    contra = replace(m, pairs=[*m.pairs[:3], PairRead(3, 3, 0.1, 0.8)])
    assert grader.refold(points, contra)[3].ent == pytest.approx(0.1)


@pytest.mark.parametrize(("rule", "score"), [
    ("session-34", 5.3),  # the cued point covered: 1/3 of the marks, 3.3; (0.8 x 3.3 + 0.2 x 8.0) / 0.8
    ("shipped", 0.0),  # since session 35 a story earning under 0.4 of its other points keeps no marks for its shape
    ("storyfloor-0.4-0", 2.0),  # ... but for the rubric grader's fifth: 1.6 / 0.8
    ("story-gate-0.5", 2.0),  # the other points earn nothing, so the story's structure keeps nothing: 1.6 / 0.8
    ("story-gate-0.5-all", 0.0),  # ... and the rubric grader's fifth neither
])
def test_story_gate_rules_keep_a_storys_structure_only_as_far_as_it_answers_the_question(rule: str,
                                                                                          score: float) -> None:
    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=cues)
              for p, cues in (("star", ["as a result"]), ("p", []), ("q", []))]
    question = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    base = SimpleNamespace(embedder=None, corpus=None, checker=ScriptedChecker({}), fallback=None,
                           limits=Limits(**SCALE_16_29))
    grader = RuleGrader(base)
    grader.rule = rule_for(rule)
    m = Measure(claims=["star", "p", "q"], spans=[_Span("As a result we shipped it.", None, 0, 0),
                                                  _Span("And another one.", None, 1, 1)],
                readings=[_PointReading(cued="As a result we shipped it."), _PointReading(), _PointReading()],
                rubric=SimpleNamespace(score=8.0, points=[]), bare_list=False,
                pairs=[PairRead(1, 1, 0.05, 0.05), PairRead(2, 1, 0.05, 0.05)])
    grade = grader.decide(question, points, m)
    assert [g.verdict.value for g in grade.points] == ["covered", "missing", "missing"]  # the verdicts stay
    assert grade.score == pytest.approx(score, abs=0.051)


def test_limits_grid_answers_bad_arguments_with_a_sentence(tmp_path: Path, capsys) -> None:
    from devtools import limits_grid

    limits_grid.main(["--help"])
    assert "python -m devtools.limits_grid [CHOOSING.jsonl]" in capsys.readouterr().out
    for argv, said in ((["--bogus"], "Unknown arguments --bogus; usage:"),
                       ([str(tmp_path / "none.jsonl")], "cannot be read"),
                       (["--check"], "--check needs a file")):
        with pytest.raises(SystemExit, match=said):
            limits_grid.main(argv)


@pytest.mark.parametrize(("rule", "table", "verdict"), [
    ("expartial-0.8", {"example two|sentence 1": (0.9, 0.05)}, "partial"),  # the span nearest example two states it
    ("expartial-0.8", {"example two|sentence 1": (0.7, 0.05)}, "missing"),  # ... not surely enough
    ("expartial-0.8", {"example two|sentence 0": (0.9, 0.05)}, "missing"),  # only the span nearest it is read
    ("shipped", {"example two|sentence 1": (0.9, 0.05)}, "missing"),
])
def test_expartial_reads_each_example_against_its_nearest_span_for_partial_credit(rule: str, table: dict,
                                                                                  verdict: str) -> None:
    from bot.grading.claim_reading import Limits

    near = {"example one": [1.0, 0.0], "example two": [0.0, 1.0], "example three": [1.0, 0.0]}
    grader = grader_for(table)
    grader.embedder = SimpleNamespace(embed_tokens=lambda texts: [SimpleNamespace(sentence=np.array(near[t]))
                                                                  for t in texts])
    grader.rule, grader.limits = rule_for(rule), Limits()
    spans = [_Span(f"sentence {k}", SimpleNamespace(sentence=np.eye(2)[k]), k, k) for k in range(2)]
    m = Measure(claims=["the point"], spans=spans, readings=[_PointReading()], rubric=None, bare_list=False,
                pairs=[PairRead(0, 0, 0.1, 0.1)])
    r = grader.refold([POINT], m)[0]
    assert ("partial" if r.ent >= Limits().partial_at else "missing") == verdict
    assert r.ent_span == 1 or verdict == "missing"


@pytest.mark.parametrize(("category", "thresholds"), [("behavioral", (0.7, 0.5)), ("concept", (None, 0.35))])
def test_storycover_reads_only_a_behavioral_questions_points_more_strictly(monkeypatch, category: str,
                                                                           thresholds: tuple) -> None:
    # session 34's `storycover-C-P-G`: the verdict's thresholds change for answers to behavioral questions only
    from bot.corpus import Category
    from bot.grading.claim_grader import ClaimGrader
    from bot.grading.claim_reading import Limits

    grader = grader_for({})
    grader.shipped_limits = Limits()
    seen = []
    monkeypatch.setattr(ClaimGrader, "decide", lambda self, question, points, m: seen.append(self.limits))
    grader.rule = rule_for("storycover-0.7-0.5-0.75")
    empty = Measure(claims=[], spans=[], readings=[], rubric=None, bare_list=False, empty=True)
    grader.decide(SimpleNamespace(category=Category(category)), [], empty)
    assert (seen[0].covered_at, seen[0].partial_at) == thresholds and seen[0].story_gate == 0.75
    assert rule_for("storycover-0.5-0.35-0").story_gate is None
    with pytest.raises(KeyError):
        rule_for("storycover-0.5-0.5-0")  # partial must be below covered


def test_the_story_floor_and_exemption_families_change_only_their_own_limits() -> None:
    # session 35: `storyfloor-T-W` (adopted as storyfloor-0.4-1) and `exempt-S` / `exempt-none` (tried, not adopted)
    from bot.grading.claim_reading import Limits

    app = Limits()
    assert rule_for("storyfloor-0.4-1").limits(app) == app  # the app's own since session 35
    assert rule_for("storyfloor-0.3-0").limits(app) == replace(app, story_floor=0.3, story_gate_rubric=False)
    assert rule_for("story-now-0.75").limits(app).story_floor == 0.0  # session 34's rules read as measured then
    assert rule_for("exempt-0.5").limits(app) == app
    assert rule_for("exempt-0.9").limits(app) == replace(app, elsewhere_stories=0.9)
    assert rule_for("exempt-none").limits(app) == replace(app, elsewhere_stories=None, elsewhere_story_voice=None)
    assert rule_names("exempt") == ["exempt-0.6", "exempt-0.75", "exempt-0.9"]
    for bad in ("storyfloor-0-1", "storyfloor-0.3-2", "exempt-1.5"):
        with pytest.raises(KeyError):
            rule_for(bad)


def test_session_36s_rules_change_only_their_own_limits() -> None:
    # session 36: `reads-S` (Limits.spans_share) and `ctx-S` (Limits.context_share), both tried, neither adopted
    from bot.grading.claim_reading import Limits

    app = Limits()
    assert rule_for("reads-0.2").limits(app) == app and rule_for("ctx-0.75").limits(app) == app  # the app's own
    assert rule_for("reads-0.5").limits(app) == replace(app, spans_share=0.5)
    assert rule_for("ctx-0.6").limits(app) == replace(app, context_share=0.6)
    assert rule_names("reads") == ["reads-0.25", "reads-0.33", "reads-0.5", "reads-1"]
    assert rule_names("ctx") == ["ctx-0.5", "ctx-0.6", "ctx-0.67"]
    # and the points' written false statements read as red flags (Limits.point_false), tried, not adopted (speed)
    assert rule_for("pointfalse").limits(app) == replace(app, point_false="all")
    assert rule_for("pointfalse-own-model-at-0.9").limits(app) == replace(app, point_false="model", point_false_at=0.9)
    for bad in ("reads-0", "reads-1.5", "ctx-0", "ctx-2"):
        with pytest.raises(KeyError):
            rule_for(bad)
    # session 39: a red flag read against more of its nearest spans, and with a higher bar (Limits.spans_per_flag,
    # flag_at), tried, not adopted
    assert rule_for("flag-spans-3").limits(app) == replace(app, spans_per_flag=3)
    assert rule_for("flag-spans-2-at-0.8").limits(app) == replace(app, spans_per_flag=2, flag_at=0.8)


@pytest.mark.parametrize(("rule", "incorrect", "margin", "shares"), [
    ("shipped", False, 0.1, [0.2]),                 # the app reads once
    ("cleanreads-0.33", False, -0.1, [0.2, 0.33]),  # nothing false: graded again, reading more
    ("cleanreads-0.33", True, 0.1, [0.2]),          # a point incorrect: the app's grade stands
    ("ownreads-0.33", False, 0.1, [0.2, 0.33]),
    ("ownreads-0.33", False, -0.1, [0.2]),          # nearer another question: the app's grade stands
    ("ownreads-0.33", False, None, [0.2, 0.33]),    # too short to place: read again
])
def test_clean_reads_rules_read_again_only_an_answer_with_nothing_false(rule: str, incorrect: bool,
                                                                        margin: float | None, shares: list) -> None:
    # session 42: `cleanreads-S` and `ownreads-S`, tried, neither adopted
    from bot.grading import Grade, PointGrade, Verdict

    grader = grader_for({})
    grader.rule = rule_for(rule)
    read: list[float] = []

    def measure(question, points, flags, answer) -> Measure:  # kept per reading, as RuleGrader.measure keeps them
        share = grader.rule.limits(grader.shipped_limits).spans_share
        read.extend([share] if share not in read else [])
        return Measure(claims=["the point"], spans=[_Span("a sentence", None, 0, 0)], readings=[_PointReading()], rubric=None,
                       bare_list=False, elsewhere=None if margin is None else (margin, "other"))

    def decide(question, points, m: Measure) -> Grade:
        verdict = Verdict.incorrect if incorrect else Verdict.partial
        return Grade(score=len(read), grader="rubric", points=[
            PointGrade(point_id="p", text="the point", weight=1.0, verdict=verdict)])

    grader.measure, grader.decide = measure, decide
    grade = grader._grade(SimpleNamespace(id="q"), [POINT], [], "an answer")
    assert read == shares and grade.score == len(shares)  # the last grade is the one kept
    assert grader.rule == rule_for(rule)  # and the rule is the same after
