"""The claim-checking offline grader: false claims caught, paraphrases credited, evidence verbatim,
weights checked, training data free of the measuring data, and a slice of the measured agreement."""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from bot.assessor import Assessor
from bot.corpus import Category, RedFlag
from bot.embeddings import VectorCache
from bot.grading import Verdict
from bot.grading.claim_grader import (
    ClaimGrader,
    Measure,
    PairRead,
    _PointReading,
    _Span,
    _verbatim,
    fold,
)
from bot.grading.claimdata import (
    _VAGUE_STORY,
    CONTRADICTS,
    ENTAILS,
    FLAG_STATEMENTS_PATH,
    GRADED_PAIRS_PATH,
    NEUTRAL,
    SOFT_TARGETS,
    Pair,
    Statements,
    _align,
    _hypothesis,
    _questions,
    build_pairs,
    clause_pairs,
    context_pairs,
    cross_pairs,
    falsify,
    flag_pairs,
    load_flag_statements,
    load_pairs,
    load_reversals,
    load_statements,
    reversal_pairs,
    split_by_question,
    spoken,
    story_pairs,
    with_more_statements,
)
from bot.grading.claims import (
    FLAG_RECORD_PATH,
    FLAG_WEIGHTS_PATH,
    RECORD_PATH,
    WEIGHTS_PATH,
    ClaimChecker,
    ClaimCheckerError,
    Thresholds,
    sha256_file,
)
from bot.grading.rubric import RubricGrader
from bot.index import RubricIndex
from bot.text import clean_answer, point_claim, sentences
from devtools.choosing import SETS as CHOOSING_SETS  # every choosing set, oldest first
from devtools.evaluation import load_records
from tests.helpers import ScriptedChecker
from tests.seed_overlap import ngrams

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "interview" / "dev.jsonl"
ANSWERS = ROOT / "tests" / "data" / "answers"


@pytest.fixture(scope="module")
def checker() -> ClaimChecker:
    return ClaimChecker.load()


@pytest.fixture(scope="module")
def assessor(corpus, embedder, checker, tmp_path_factory) -> Assessor:
    vectors = VectorCache(embedder)  # the index pins the corpus's word vectors here; the graders read them
    index = RubricIndex.open(corpus, vectors, tmp_path_factory.mktemp("cache"))
    return Assessor(corpus, index, ClaimGrader(vectors, corpus, checker, RubricGrader(vectors),
                                               flag_checker=ClaimChecker.flags_in()))  # as the app (services.py)


def grade(assessor: Assessor, qid: str, answer: str):
    q = assessor.corpus.questions[qid]
    return assessor.grade_answer(q, assessor.corpus.rubrics[qid].expected_points(q.level), answer)[0]


def test_false_claim_is_flagged_incorrect_with_the_fact(assessor: Assessor) -> None:
    answer = ("Computing the full softmax over the whole vocabulary is far too slow for every training pair. "
              "Negative sampling updates every word in the vocabulary at each step, it just does so faster.")
    g = grade(assessor, "emb-005", answer)
    by_id = {p.point_id: p for p in g.points}
    few = next(pid for pid in by_id if "negative" in by_id[pid].text.lower() or "few" in by_id[pid].text.lower())
    assert by_id[few].verdict is Verdict.incorrect, g.points
    claim = next(c for c in g.false_claims if c.point_id == few)
    assert "every word in the vocabulary" in claim.quote and claim.quote in answer
    assert claim.fact and claim.fact != claim.quote
    right = grade(assessor, "emb-005", answer.replace(
        "updates every word in the vocabulary at each step, it just does so faster",
        "touches only the true context word and a handful of randomly drawn noise words per update"))
    assert right.score > g.score


@pytest.mark.xfail(strict=True, reason="the claim grader does not yet tell this case apart; issue 15 stays "
                   "open (docs/grading.md)")
def test_paraphrase_in_other_words_is_credited(assessor: Assessor) -> None:
    answer = ("A softmax would have to score all few hundred thousand words for each single example, which is "
              "hopeless. So per example we only adjust the output vectors of the real neighbour and something "
              "like five to twenty random noise words, treating it as a few yes-or-no classifications. "
              "That cuts the per-step cost from the size of the vocabulary to a small constant.")
    g = grade(assessor, "emb-005", answer)
    assert sum(p.verdict is Verdict.covered for p in g.points) >= 2, g.points
    assert not g.false_claims
    assert g.score >= 5


def test_a_contradiction_of_a_point_the_checker_misreads_needs_its_examples_contradicted_too() -> None:
    # the checker reads "the point" against each of its examples once; where it contradicts one of them, a
    # contradiction of that point in an answer is believed only if the span contradicts most of the examples
    # too (its red flags still count)
    from types import SimpleNamespace

    point = SimpleNamespace(id="p", text="the point", weight=1, probe="Why?", examples=["ex one", "ex two"], cues=[])
    fine = SimpleNamespace(id="q", text="other point", weight=1, probe="How?", examples=["ex three"], cues=[])
    checker = ScriptedChecker({"the point|ex two": (0.2, 0.7)})
    grader = ClaimGrader(None, None, checker, None)
    assert not grader.trusted("the point", point) and grader.trusted("other point", fine)
    assert grader.trusted("the point", point) is False and len(checker.read) == 3  # read once per point

    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    flag = RedFlag(point="p", claim="a false claim", fact="the fact")

    def decided(untrusted: frozenset[int], with_flag: bool = False):
        readings = [_PointReading(), _PointReading()]
        pairs = [PairRead(0, 0, 0.1, 0.8), PairRead(1, 0, 0.1, 0.8)]
        pairs += [PairRead(0, 0, 0.9, 0.05, flag)] if with_flag else []
        fold(pairs, readings)
        m = Measure(["the point", "other point"], [_Span("They said a thing.", None, 0, 0)], readings, None, False,
                    pairs=pairs, untrusted=untrusted)
        return [g.verdict for g in grader.decide(q, [point, fine], m).points]

    # the contradicting span against the point's examples: a span that contradicts most of them is believed
    spans = [_Span("They said a thing.", None, 0, 0)]
    contradicted = [_PointReading(con=0.8, ent=0.1), _PointReading(con=0.8, ent=0.1)]
    assert grader.untrusted([point, fine], ["the point", "other point"], spans, contradicted) == {0}
    checker.table.update({"ex one|They said a thing.": (0.1, 0.9), "ex two|They said a thing.": (0.1, 0.9)})
    assert grader.untrusted([point, fine], ["the point", "other point"], spans, contradicted) == frozenset()

    assert decided(frozenset()) == [Verdict.incorrect, Verdict.incorrect]
    assert decided(frozenset({0})) == [Verdict.missing, Verdict.incorrect]
    assert decided(frozenset({0}), with_flag=True)[0] is Verdict.incorrect  # a red flag still counts


def test_a_contradiction_in_an_answer_that_states_the_rest_of_the_rubric_is_not_believed() -> None:
    # since session 20 (Limits.context_share): where the answer covers three quarters of the weight of the question's
    # other points, a contradiction of the last one is more likely a misreading than a false claim (red flags count)
    from types import SimpleNamespace

    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=f"p{k}", text=f"point {k}", weight=w, probe="Why?", examples=[], cues=[])
              for k, w in enumerate((1, 2, 1, 1))]
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    flag = RedFlag(point="p0", claim="a false claim", fact="the fact")
    spans = [_Span(f"They said thing {k}.", None, k, k) for k in range(4)]

    def verdicts(covered: list[int], share: float = Limits().context_share, with_flag: bool = False):
        pairs = [PairRead(0, 0, 0.1, 0.8)] + [PairRead(k, k, 0.9 if k in covered else 0.1, 0.05) for k in (1, 2, 3)]
        pairs += [PairRead(0, 0, 0.9, 0.05, flag)] if with_flag else []
        readings = [_PointReading() for _ in points]
        fold(pairs, readings)
        grader = ClaimGrader(None, None, ScriptedChecker({}), None, Limits(blend=0, context_share=share))
        m = Measure([p.text for p in points], spans, readings, None, False, pairs=pairs)
        grade = grader.decide(q, points, m)
        return [g.verdict.value for g in grade.points], grade.false_claims

    assert verdicts([1, 2, 3])[0][0] == "missing"  # all of the others' weight: misread
    assert verdicts([1, 2])[0][0] == "missing"  # 3 of their 4: still
    assert verdicts([1, 2], share=2.0)[0][0] == "incorrect"  # every contradiction counts (the app until session 20)
    assert verdicts([2, 3])[0][0] == "incorrect"  # half of it: the contradiction stands
    assert verdicts([1])[0] == ["incorrect", "covered", "missing", "missing"]
    shown, false_claims = verdicts([1, 2, 3], with_flag=True)
    assert shown[0] == "incorrect" and false_claims[0].fact == "the fact"  # a red flag stated still counts


def test_a_red_flag_counts_at_limits_flag_at_when_set() -> None:
    # session 28 (Limits.flag_at, rule `flag-at-T`): a stricter P(entails) for a red flag than the checker's threshold
    from types import SimpleNamespace

    from bot.grading.claim_grader import Limits

    point = SimpleNamespace(id="p0", text="point", weight=1, probe="Why?", examples=[], cues=[])
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    flag = RedFlag(point="p0", claim="a false claim", fact="the fact")

    def verdict(p_flag: float, flag_checker=None, **limits) -> str:
        pairs = [PairRead(0, 0, 0.1, 0.05), PairRead(0, 0, p_flag, 0.05, flag)]
        readings = [_PointReading()]
        fold(pairs, readings)
        m = Measure(["point"], [_Span("They said a thing.", None, 0, 0)], readings, None, False, pairs=pairs)
        return ClaimGrader(None, None, ScriptedChecker({}), None, Limits(blend=0, **limits),
                           flag_checker=flag_checker).decide(q, [point], m).points[0].verdict.value

    assert verdict(0.75) == "incorrect" and verdict(0.75, flag_at=0.7) == "incorrect"
    assert verdict(0.75, flag_at=0.8) == "missing"
    assert verdict(0.75, incorrect_at=0.8, flag_at=0.7) == "incorrect"  # flag_at wins for red flags
    # the red flags' own checker says at what P(entails) a flag counts (session 29: it was the points checker's)
    strict = ScriptedChecker({})
    strict.thresholds = Thresholds(flag=0.8)
    assert verdict(0.75, flag_checker=strict) == "missing" and verdict(0.85, flag_checker=strict) == "incorrect"


def test_a_false_reading_is_read_again_without_articles_when_the_limits_say() -> None:
    """Session 45 (`Limits.plain_reread`, tried): a pair read as saying something false, a point's contradiction or a
    red flag stated, is read again with the span's articles removed and keeps the lower reading; other pairs are read
    once, and with the app's limits nothing is read twice."""
    from bot.grading.claim_grader import Limits, _without_articles

    assert _without_articles("The model updates a few of the weights, an epoch at a time.") == (
        "model updates few of weights, epoch at time.")
    assert _without_articles("Then theory, another, anthem.") == "Then theory, another, anthem."
    spans = [_Span("The index is rebuilt every night.", None, 0, 0), _Span("Queries hit the cache.", None, 1, 1),
             _Span("An epoch is one pass.", None, 2, 2)]
    flag = RedFlag(point="p0", claim="a false claim", fact="the fact")
    table = {"point|The index is rebuilt every night.": (0.1, 0.8),  # misread: gone without articles
             "point|index is rebuilt every night.": (0.2, 0.3),
             "point|Queries hit the cache.": (0.1, 0.9),  # contradicted either way
             "point|Queries hit cache.": (0.1, 0.7),
             "a false claim|An epoch is one pass.": (0.7, 0.1),  # a red flag stated, not without articles
             "a false claim|epoch is one pass.": (0.4, 0.1)}
    jobs = [("point", 0, 0), ("point", 0, 1), ("flag", 0, 2)]

    def read(**limits) -> tuple[list[tuple[float, float]], int]:
        checker = ScriptedChecker(table)
        grader = ClaimGrader(None, None, checker, None, Limits(**limits))
        pairs = grader._read(jobs, ["point", "a false claim"], spans, [0], [flag])
        return [(round(p.ent, 2), round(p.con, 2)) for p in pairs], len(checker.read)

    assert read() == ([(0.1, 0.8), (0.1, 0.9), (0.7, 0.1)], 3)
    assert read(plain_reread=True) == ([(0.1, 0.3), (0.1, 0.7), (0.4, 0.1)], 6)


def test_a_points_spans_can_be_ranked_by_its_examples_too_when_the_limits_say(embedder) -> None:
    """Session 45 (`Limits.near_examples`, tried): a point said in the candidate's own words is far from the claim's
    wording; ranked by its likeness to the claim or to any of the point's examples, that span comes first."""
    from bot.grading.claim_grader import Limits

    claim = "Negative sampling updates only a few output vectors per training step."
    point = SimpleNamespace(examples=["Each step only nudges the true context word and the k noise words drawn for it."])
    spans = ["We only nudge the true context word plus a handful of drawn noise words each step.",
             "Negative sampling is a training trick for output vectors.", "I used it on a recommender last year."]
    span_vecs = np.vstack([t.sentence for t in embedder.embed_tokens(spans)])
    claim_vec = np.vstack([t.sentence for t in embedder.embed_tokens([claim])])

    def nearness(**limits) -> np.ndarray:
        return ClaimGrader(embedder, None, ScriptedChecker({}), None, Limits(**limits))._nearness([point], span_vecs,
                                                                                                  claim_vec)[0][0]

    by_claim, by_either = nearness(), nearness(near_examples="all")
    assert int(np.argmax(by_claim)) == 1 and int(np.argmax(by_either)) == 0
    assert np.all(by_either >= by_claim - 1e-6) and by_either[1] == pytest.approx(by_claim[1])
    no_examples = SimpleNamespace(examples=[])
    grader = ClaimGrader(embedder, None, ScriptedChecker({}), None, Limits(near_examples="more"))
    assert np.allclose(grader._nearness([no_examples], span_vecs, claim_vec)[0][0], by_claim)
    # "union" (session 46) ranks by the claim alone and keeps the examples' likeness apart
    union = ClaimGrader(embedder, None, ScriptedChecker({}), None, Limits(near_examples="union"))
    near, by_examples = union._nearness([point], span_vecs, claim_vec)
    assert np.allclose(near[0], by_claim) and int(np.argmax(by_examples[0])) == 0
    assert union._example_span(by_examples[0], [1, 2]) == [0] and union._example_span(by_examples[0], [1, 0]) == []


def test_star_cues_count_in_the_context_rule_unless_limits_say_otherwise() -> None:
    # session 26 tried leaving a story's structural points (covered by regex cues, whatever the story says) out of the
    # context rule (Limits.context_cues False, rule `context-topical`; rejected, the app keeps them in)
    from types import SimpleNamespace

    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=f"p{k}", text=f"point {k}", weight=1, probe="Why?", examples=[], cues=[])
              for k in range(3)]
    points += [SimpleNamespace(id=f"star-{k}", text=f"star {k}", weight=1, probe="Why?", examples=[], cues=["x"])
               for k in range(4)]
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    spans = [_Span(f"They said thing {k}.", None, k, k) for k in range(3)]

    def verdict(cues: bool) -> str:
        pairs = [PairRead(0, 0, 0.1, 0.8), PairRead(1, 1, 0.9, 0.05), PairRead(2, 2, 0.1, 0.05)]
        readings = [_PointReading() for _ in points]
        fold(pairs, readings)
        for r in readings[3:]:
            r.cued = "I led it."  # four STAR points found by their cues
        grader = ClaimGrader(None, None, ScriptedChecker({}), None, Limits(blend=0, context_cues=cues))
        m = Measure([p.text for p in points], spans, readings, None, False, pairs=pairs)
        return grader.decide(q, points, m).points[0].verdict.value

    assert Limits().context_cues is True
    assert verdict(cues=True) == "missing"  # 5 of the others' 6: the cues make it "context", so not believed
    assert verdict(cues=False) == "incorrect"  # 1 of the 2 topical others: the contradiction stands


def test_a_point_read_as_contradicted_can_be_left_out_of_the_context_rule() -> None:
    # session 26 tried counting only points not read as contradicted as "covered" in the context rule
    # (Limits.context_contradicted False, rule `context-uncontradicted`; rejected, the app counts them)
    from types import SimpleNamespace

    from bot.grading.claim_reading import others_covered, read_false
    from bot.grading.claims import Thresholds

    points = [SimpleNamespace(weight=1, cues=[]) for _ in range(3)]
    readings = [_PointReading(ent=0.1, con=0.8), _PointReading(ent=0.84, con=0.93), _PointReading(ent=0.9, con=0.05)]
    t = Thresholds()
    assert [read_false(r, t) for r in readings] == [True, True, False]
    assert others_covered(points, readings, t)[0] == (2, 2)  # the app: ent 0.84 covers, whatever else is read
    assert others_covered(points, readings, t, contradicted=False)[0] == (1, 2)


def test_an_answer_stating_a_share_of_its_rubric_falsely_can_be_capped() -> None:
    # session 26 tried capping the score of an answer whose incorrect points carry a share of the weight
    # (Limits.false_cap_share, rules falsecap-T-C; rejected, the app has no such cap)
    from types import SimpleNamespace

    from bot.grading.claim_grader import FALSE_CAP, Limits

    points = [SimpleNamespace(id=f"p{k}", text=f"point {k}", weight=w, probe="Why?", examples=[], cues=[])
              for k, w in enumerate((2, 1, 1))]
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    spans = [_Span(f"They said thing {k}.", None, k, k) for k in range(3)]

    def graded(limits: Limits, false: tuple[int, ...]):
        pairs = [PairRead(k, k, 0.1, 0.9) if k in false else PairRead(k, k, 0.9, 0.05) for k in range(3)]
        readings = [_PointReading() for _ in points]
        fold(pairs, readings)
        m = Measure([p.text for p in points], spans, readings, None, False, pairs=pairs)
        return ClaimGrader(None, None, ScriptedChecker({}), None, replace(limits, blend=0, context_share=2.0)).decide(
            q, points, m)

    assert Limits().false_cap_share is None
    plain, capped = graded(Limits(), (1, 2)), graded(Limits(false_cap_share=0.5, false_cap=1.0), (1, 2))
    assert plain.score > 1 and capped.score == 1.0  # half the weight false: at most 1
    assert capped.notices == [FALSE_CAP.format(n=2, cap=1.0)] and not plain.notices
    assert graded(Limits(false_cap_share=0.5, false_cap=1.0), (1,)).score == graded(Limits(), (1,)).score > 1


def test_evidence_from_a_sentence_read_as_false_can_be_read_again() -> None:
    # session 27 tried deciding again a point whose evidence shares a sentence with an incorrect point's quote
    # (Limits.untainted, rules untainted-reread / untainted-partial; rejected, the app keeps the verdict)
    from types import SimpleNamespace

    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=f"p{k}", text=f"point {k}", weight=1, probe="Why?", examples=[], cues=[])
              for k in range(3)]
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    said = ["They said a false thing about it all.", "They said another thing entirely here.",
            "They said a third thing in the end."]
    spans = [_Span(s, None, k, k) for k, s in enumerate(said)] + [_Span(f"{said[0]} {said[1]}", None, 0, 1),
                                                               _Span(f"{said[1]} {said[2]}", None, 1, 2)]

    def verdicts(how: str) -> list[str]:
        # point 0 contradicted by sentence 0; point 1 stated by sentence 0 (0.9) and by sentence 2 (0.4); point 2 by
        # the window of sentences 1 and 2 only
        pairs = [PairRead(0, 0, 0.05, 0.9), PairRead(1, 0, 0.9, 0.05), PairRead(1, 2, 0.4, 0.05),
                 PairRead(2, 4, 0.8, 0.05)]
        readings = [_PointReading() for _ in points]
        fold(pairs, readings)
        m = Measure([p.text for p in points], spans, readings, None, False, pairs=pairs)
        grader = ClaimGrader(None, None, ScriptedChecker({}), None,
                             Limits(blend=0, context_share=2.0, untainted=how))
        return [g.verdict.value for g in grader.decide(q, points, m).points]

    assert Limits().untainted == "none"
    assert verdicts("none") == ["incorrect", "covered", "covered"]
    assert verdicts("partial") == ["incorrect", "partial", "covered"]  # its evidence is the false sentence
    assert verdicts("reread") == ["incorrect", "partial", "covered"]  # read again: sentence 2, at 0.4
    with pytest.raises(ValueError, match="untainted"):
        Limits(untainted="some")


def test_the_context_rule_can_be_kept_to_answers_with_one_contradiction() -> None:
    # session 27 tried believing every contradiction of an answer with two or more (Limits.context_most, rules
    # context-one / context-one-0.8; rejected, the app's context rule shields however many)
    from types import SimpleNamespace

    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=f"p{k}", text=f"point {k}", weight=1, probe="Why?", examples=[], cues=[])
              for k in range(6)]
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    spans = [_Span(f"They said thing {k}.", None, k, k) for k in range(6)]

    def verdicts(most, second: float = 0.9) -> list[str]:
        pairs = [PairRead(0, 0, 0.1, 0.95), PairRead(1, 1, 0.1, second)] + [
            PairRead(k, k, 0.9, 0.05) for k in range(2, 6)]
        readings = [_PointReading() for _ in points]
        fold(pairs, readings)
        m = Measure([p.text for p in points], spans, readings, None, False, pairs=pairs)
        grader = ClaimGrader(None, None, ScriptedChecker({}), None, Limits(blend=0, context_share=0.6, context_most=most))
        return [g.verdict.value for g in grader.decide(q, points, m).points][:2]

    assert Limits().context_most is None
    assert verdicts(None) == ["missing", "missing"]  # 4 of the others' 5 covered: both shielded
    assert verdicts(0.0) == ["incorrect", "incorrect"]  # two contradictions: neither shielded
    assert verdicts(0.8, second=0.6) == ["missing", "missing"]  # only one at 0.8 or more: shielded as before


def test_the_rubric_graders_share_shrinks_with_the_points_an_answer_gets_wrong() -> None:
    # since session 21 (Limits.rubric_if_incorrect "correct"): the rubric grader reads whether an answer is about the
    # points, which a fluent false answer is; its fifth counts only for the weight of the points not incorrect
    from types import SimpleNamespace

    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=f"p{k}", text=f"point {k}", weight=w, probe="Why?", examples=[], cues=[])
              for k, w in enumerate((3, 1))]
    q = SimpleNamespace(id="t-001", text="Why?", follow_ups=[])
    spans = [_Span(f"They said thing {k}.", None, k, k) for k in range(2)]

    def score(con: float, limits: Limits) -> float:
        pairs = [PairRead(0, 0, 0.1, con), PairRead(1, 1, 0.9, 0.05)]
        readings = [_PointReading() for _ in points]
        fold(pairs, readings)
        m = Measure([p.text for p in points], spans, readings, SimpleNamespace(score=8.0, points=[]), False,
                    pairs=pairs)
        return ClaimGrader(None, None, ScriptedChecker({}), None, limits).decide(q, points, m).score

    app = Limits(context_share=2.0)  # the context rule apart: one point of two covered is no context
    assert app.rubric_if_incorrect == Limits().rubric_if_incorrect == "correct"
    full = app.full_at  # the share of the marks that is a 10
    # verdicts: 1 covered of 4 weight, 3 x 0.25 lost: 0.25 - 0.1875 -> 0.625, 0.6 to one decimal; the rubric's 8.0 x 1/4
    # -> 2.0
    assert score(0.9, app) == pytest.approx((0.8 * 0.6 + 0.2 * 2.0) / full, abs=0.051)
    assert score(0.9, replace(app, rubric_if_incorrect="all")) == pytest.approx((0.8 * 0.6 + 0.2 * 8.0) / full,
                                                                                 abs=0.051)
    # nothing incorrect: the rubric's score whole, as before
    assert score(0.1, app) == score(0.1, replace(app, rubric_if_incorrect="all")) == pytest.approx(
        (0.8 * 2.5 + 0.2 * 8.0) / full, abs=0.051)


def test_a_point_the_checker_misreads_in_the_model_answer_needs_a_second_reading(assessor: Assessor) -> None:
    # the checker reads these model answers as contradicting one of their own points (amd-094 "limits", amd-010
    # "fine-tune"); since session 17 such a point's contradiction is believed only where the span contradicts
    # most of its examples too (Limits.model_check): the bank's own answer is no longer told it said something
    # false, and fluent wrong answers on those points still are (since session 30's checker amd-010's model answer
    # scores 8.2: the point on the new head is not found stated, nothing is read as false)
    for qid in ("amd-094", "amd-010"):
        g = grade(assessor, qid, assessor.corpus.rubrics[qid].model_answer)
        assert not g.false_claims and g.score >= 8, (qid, g.score, g.points)
    g = grade(assessor, "amd-010", AMD_010_WRONG)
    assert g.score <= 3, (g.score, g.points)


AMD_010_WRONG = ("For the product photos I used a ResNet50 from torchvision. Fine-tuning needs no care: I unfroze "
                 "everything from the start and trained with the same large learning rate as from scratch, for as many "
                 "epochs as it took.")


@pytest.mark.xfail(strict=True, reason="since session 30 the points' checker reads this answer as partly stating the "
                   "fine-tune point (P(entails) 0.43) and no longer as contradicting it: it scores 2.5, but is not told "
                   "what was false (docs/grading.md, session 30)")
def test_a_wrong_answer_on_a_point_misread_in_its_model_answer_is_told_what_was_false(assessor: Assessor) -> None:
    g = grade(assessor, "amd-010", AMD_010_WRONG)
    assert "fine-tune" in {c.point_id for c in g.false_claims}, g.points


AMD_094_WRONG = ("Transfer learning has never helped less than expected for me: a pre-trained backbone always beats "
                 "training from scratch, whatever the domain, so I never compare against a from-scratch baseline.")


def test_a_wrong_answer_on_a_point_misread_in_its_model_answer_scores_low(assessor: Assessor) -> None:
    g = grade(assessor, "amd-094", AMD_094_WRONG)
    assert g.score <= 3, (g.score, g.points)


# an expected failure in sessions 28-29 (the points' checker misread the answer as stating the point, more strongly than
# the red flags' checker read the flag); told again since session 30's points checker
def test_a_wrong_answer_on_a_point_misread_in_its_model_answer_is_told(assessor: Assessor) -> None:
    g = grade(assessor, "amd-094", AMD_094_WRONG)
    assert "limits" in {c.point_id for c in g.false_claims}, g.points


def test_grader_untrusted_lists_the_points_the_app_checks_twice(corpus, checker) -> None:
    from click.testing import CliRunner

    from bot.__main__ import cli
    from bot.text import point_claim

    result = CliRunner().invoke(cli, ["grader", "untrusted", "--model-answers", "--flags", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    # red flags read as stated in their own model answer (session 23): a few, the emb-005 one among them
    assert 0 < len(listed["flags_read_in_model_answer"]) < listed["red_flags"] / 5
    assert any(f.startswith("emb-005/few-negatives: ") for f in listed["flags_read_in_model_answer"])
    # the points whose model answer the checker misreads (the test above): listed, and not all of them also
    # misread in their examples
    misread = set(listed["model_answer_misread"])
    assert {"amd-094/limits", "amd-010/fine-tune"} <= misread and misread - set(listed["untrusted"])
    with_examples = [(qid, p) for qid, r in corpus.rubrics.items() for p in r.points if p.examples]
    assert listed["points_with_examples"] == len(with_examples)
    assert 0 < len(listed["untrusted"]) < len(with_examples)
    grader = ClaimGrader(None, corpus, checker, None)
    untrusted = set(listed["untrusted"])
    for qid, p in with_examples[::40]:  # the app's own check agrees with the list
        assert grader.trusted(point_claim(p.text), p) is (f"{qid}/{p.id}" not in untrusted), (qid, p.id)


def test_an_answer_to_another_bank_question_is_capped_and_told_which(assessor: Assessor) -> None:
    corpus = assessor.corpus
    regularization = corpus.rubrics["amd-019"].model_answer  # a right answer, to another question
    elsewhere = grade(assessor, "emb-005", regularization)
    assert elsewhere.score <= 0.5
    notice = next(n for n in elsewhere.notices if "reads more like an answer to another question" in n)
    assert corpus.questions["amd-019"].text in notice
    at_home = grade(assessor, "amd-019", regularization)
    assert at_home.score >= 7 and not any("another question" in n for n in at_home.notices)
    short = " ".join(regularization.split()[:30])  # too short to place among the bank's questions
    assert not any("another question" in n for n in grade(assessor, "emb-005", short).notices)
    # a follow-up (the question's text and its prompt, one point) is about that point, and never placed
    question = corpus.questions["emb-005"]
    follow_up = question.model_copy(update={"text": f"{question.text}\nFollow-up: What does it save?"})
    point = corpus.rubrics["emb-005"].points[:1]
    graded, _ = assessor.grade_answer(follow_up, point, regularization, follow_up=True)
    assert not any("another question" in n for n in graded.notices)


def test_the_cap_on_an_answer_to_another_question_needs_the_margin() -> None:
    from bot.grading.claim_grader import ELSEWHERE, Limits

    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=[]) for p in ("p", "q")]
    question = SimpleNamespace(id="t-001", text="Why?", follow_ups=[], category="concept")
    grader = ClaimGrader(None, None, ScriptedChecker({}), None, Limits())
    m = Measure(claims=["p", "q"], spans=[_Span("They said a thing.", None, 0, 0), _Span("And another one.", None, 1, 1)],
                readings=[_PointReading(ent=0.9, ent_span=0), _PointReading(ent=0.9, ent_span=1)], rubric=None,
                bare_list=False)
    assert grader.decide(question, points, m).score == 10.0
    near = grader.decide(question, points, replace(m, elsewhere=(-0.15, "t-002")))
    assert near.score == 10.0 and not near.notices
    far = grader.decide(question, points, replace(m, elsewhere=(-0.25, "t-002")))
    assert far.score == 0.5 and far.notices == [ELSEWHERE.format(question="t-002", cap=0.5)]
    assert [g.verdict for g in far.points] == [Verdict.covered, Verdict.covered]  # what it says still shows
    off = ClaimGrader(None, None, ScriptedChecker({}), None, Limits(elsewhere_margin=None))
    assert off.decide(question, points, replace(m, elsewhere=(-0.5, "t-002"))).score == 10.0


def test_a_story_that_states_the_points_escapes_the_cap_on_a_behavioral_question() -> None:
    from bot.grading.claim_grader import Limits

    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=[]) for p in ("p", "q")]
    story = SimpleNamespace(id="t-001", text="Tell me about a time...", follow_ups=[], category="behavioral")
    told = Measure(claims=["p", "q"], spans=[_Span("I built the index.", None, 0, 0), _Span("We cut latency by half.", None, 1, 1),
                                             _Span("I built the index. We cut latency by half.", None, 0, 1)],
                   readings=[_PointReading(ent=0.9, ent_span=0), _PointReading(ent=0.9, ent_span=1)], rubric=None,
                   bare_list=False, elsewhere=(-0.3, "t-002"))
    grader = ClaimGrader(None, None, ScriptedChecker({}), None, Limits())
    assert grader.decide(story, points, told).score == 10.0  # a story of one's own that states the points
    explained = replace(told, spans=[_Span("The index is built.", None, 0, 0), _Span("Latency is halved.", None, 1, 1),
                                     _Span("The index is built. Latency is halved.", None, 0, 1)])
    assert grader.decide(story, points, explained).score == 0.5  # an explanation of another topic, not a story
    unsaid = replace(told, readings=[_PointReading(ent=0.4, ent_span=0), _PointReading()])  # a quarter of the marks
    assert grader.decide(story, points, unsaid).score == 0.5  # a story that earns under half of this question's points
    concept = SimpleNamespace(id="t-001", text="Why?", follow_ups=[], category="concept")
    assert grader.decide(concept, points, told).score == 0.5  # only a behavioral question asks for a story
    as_any = ClaimGrader(None, None, ScriptedChecker({}), None,
                         Limits(elsewhere_stories=None, elsewhere_story_voice=None))  # the app until session 23
    assert as_any.decide(story, points, told).score == 0.5


def test_a_story_that_hardly_answers_the_question_earns_nothing_for_its_shape_and_is_told_why() -> None:
    from bot.grading.claim_grader import STORY_FLOOR, Limits

    points = [SimpleNamespace(id=p, text=p, weight=1, probe="Why?", examples=[], cues=cues)
              for p, cues in (("star", ["as a result"]), ("p", []), ("q", []))]
    story = SimpleNamespace(id="t-001", text="Tell me about a time...", follow_ups=[], category="behavioral")
    half = Measure(claims=["star", "p", "q"], spans=[_Span("As a result we shipped it.", None, 0, 0),
                                                     _Span("I built the index first.", None, 1, 1)],
                   readings=[_PointReading(cued="As a result we shipped it."), _PointReading(ent=0.9, ent_span=1),
                             _PointReading()], rubric=None, bare_list=False)
    grader = ClaimGrader(None, None, ScriptedChecker({}), None, Limits())
    kept = grader.decide(story, points, half)  # half of the other points' weight: the shape keeps its marks
    assert kept.score == pytest.approx(6.7 / 0.85, abs=0.051) and STORY_FLOOR not in kept.notices  # 2/3, to 0.1
    none = replace(half, readings=[half.readings[0], _PointReading(ent=0.3, ent_span=1), _PointReading()])
    floored = grader.decide(story, points, none)
    assert floored.score == 0.0 and floored.notices == [STORY_FLOOR]
    assert floored.points[0].verdict is Verdict.covered  # the shape is still shown, with its words
    before = ClaimGrader(None, None, ScriptedChecker({}), None, Limits(story_floor=None))  # until session 35
    assert before.decide(story, points, none).score == pytest.approx(3.3 / 0.85, abs=0.051)
    assert not before.decide(story, points, none).notices


def test_right_stories_of_ones_own_are_not_capped(assessor: Assessor) -> None:
    """The bank's model answers to behavioral questions, each placed as a candidate's own story would be (against
    profiles without it): the cap caught most of them until session 23 (devtools/placement.py)."""
    from devtools.placement import placements

    ids = ["amd-014", "amd-021", "emb-001", "emb-029", "ner-068", "nlp-027"]
    before = placements(assessor, ids, elsewhere_stories=None, elsewhere_story_voice=None)["behavioral"]
    assert before["capped"] >= 4
    now = placements(assessor, ids)["behavioral"]
    assert now["n"] == len(ids) and now["capped"] <= 1 and now["mean_score"] >= 8.0


def test_evidence_and_quotes_are_verbatim(assessor: Assessor) -> None:
    answer = ("Well, the full softmax is costly: it normalises over every word!\n"
              "negative sampling instead updates only the true context word plus k sampled negatives.  "
              "Frequent words get sampled more often, using the unigram distribution to the 3/4 power.")
    g = grade(assessor, "emb-005", answer)
    for p in g.points:
        assert p.evidence is None or p.evidence in answer
    for c in g.false_claims:
        assert c.quote in answer


def test_a_run_on_spoken_answer_is_quoted_once_not_repeated() -> None:
    # text.sentences cuts a transcript without punctuation into overlapping 40-word windows; the
    # checker reads two neighbouring windows together, and the quote must not say the shared words twice
    words = [f"w{i}" for i in range(70)]
    answer = "um " + " ".join(words)
    units = sentences(answer)
    assert len(units) >= 2 and units[0].split()[-1] in units[1].split()
    window = _verbatim(answer, units[:2])
    assert window in answer
    assert len(window.split()) == len(set(window.split()))
    # whitespace the sentence splitter normalised: still once, in the answer's order
    spaced = answer.replace(" w30 ", "  w30\n")
    window = _verbatim(spaced, sentences(spaced)[:2])
    assert window.split() == answer.split()[:len(window.split())]
    # and three windows together (the wider runs `Limits.wide_words` tries): each shared word once
    longer = "um " + " ".join(f"w{i}" for i in range(110))
    run = _verbatim(longer, sentences(longer)[:3])
    assert run in longer and len(run.split()) == len(set(run.split())) > 70
    # units the answer does not hold in order are joined, not quoted from the wrong place
    assert _verbatim("A b. C d. E f.", ["A b.", "E f.", "C d."]) == "A b. E f. C d."


def test_non_answers_score_near_zero(assessor: Assessor) -> None:
    q = assessor.corpus.questions["emb-005"]
    for answer in ["I don't know.", q.text, "softmax vocabulary negative sampling word2vec gradient negatives update",
                   "Kubernetes pods are scheduled onto nodes by the scheduler based on resource requests."]:
        assert grade(assessor, "emb-005", answer).score <= 2.0, answer


# A bank's own model answer told it said something false is the error a user trusts least. With the
# shipped checker 51 of the 275 model answers have a point graded incorrect (18.5%; this slice of every
# fourth question: 12 of 69), docs/grading.md. Model-answer sentences are part of the checker's training
# data, so this is a guard against a regression, not an agreement figure; the bar is above today's share.
MODEL_ANSWERS_MARKED_AT_MOST = 0.25


def test_model_answers_are_seldom_marked_incorrect(assessor: Assessor) -> None:
    from bot.corpus import Level

    corpus = assessor.corpus
    qids = sorted(q.id for q in corpus.questions.values() if not q.options and q.id in corpus.rubrics)[::4]
    marked = []
    for qid in qids:
        q, rubric = corpus.questions[qid], corpus.rubrics[qid]
        g = assessor.grade_answer(q, rubric.expected_points(Level.expert), rubric.model_answer)[0]
        marked += [qid] if g.has_incorrect else []
    assert len(qids) >= 60
    assert len(marked) / len(qids) <= MODEL_ANSWERS_MARKED_AT_MOST, marked


def test_checksum_mismatch_is_refused_with_a_sentence(tmp_path: Path) -> None:
    weights, record = tmp_path / WEIGHTS_PATH.name, tmp_path / RECORD_PATH.name
    shutil.copyfile(WEIGHTS_PATH, weights)
    shutil.copyfile(RECORD_PATH, record)
    with open(weights, "r+b") as f:
        f.seek(-8, 2)
        byte = f.read(1)
        f.seek(-8, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ClaimCheckerError, match=r"do not match their training record.*python -m bot grader train"):
        ClaimChecker.load(weights, record)
    # the red flags' checker (session 28) is checked the same way, and names the command that rebuilds it
    shutil.copyfile(FLAG_RECORD_PATH, tmp_path / FLAG_RECORD_PATH.name)
    shutil.copyfile(weights, tmp_path / FLAG_WEIGHTS_PATH.name)
    with pytest.raises(ClaimCheckerError, match=r"do not match their training record.*grader train --flags"):
        ClaimChecker.flags_in(tmp_path)
    (tmp_path / FLAG_WEIGHTS_PATH.name).unlink()
    with pytest.raises(ClaimCheckerError, match=r"needs both flag_checker.safetensors and flag_checker.json"):
        ClaimChecker.flags_in(tmp_path)


def test_bot_claim_checker_names_a_retrained_checker_or_stops_with_a_sentence(tmp_path: Path, corpus, embedder,
                                                                            caplog) -> None:
    # a folder as `grader train --out FOLDER` writes it: the app, eval and bench grade with that checker
    from bot.services import build_offline_grader
    from bot.settings import Settings

    folder = tmp_path / "retrained"
    folder.mkdir()
    shutil.copyfile(WEIGHTS_PATH, folder / WEIGHTS_PATH.name)
    shutil.copyfile(RECORD_PATH, folder / RECORD_PATH.name)
    settings = Settings.from_env({"BOT_CLAIM_CHECKER": str(folder)})
    assert settings.claim_checker == folder
    with caplog.at_level("WARNING", logger="bot.services"):
        grader = build_offline_grader(embedder, corpus, "claims", "auto", settings.claim_checker)
    assert isinstance(grader, ClaimGrader) and grader.checker.record == json.loads(RECORD_PATH.read_text())
    assert grader.flag_checker is grader.checker  # a folder without a flag checker reads its own red flags, and says so
    assert "holds no red-flag checker" in caplog.text
    caplog.clear()
    shutil.copyfile(FLAG_WEIGHTS_PATH, folder / FLAG_WEIGHTS_PATH.name)
    shutil.copyfile(FLAG_RECORD_PATH, folder / FLAG_RECORD_PATH.name)
    with caplog.at_level("WARNING", logger="bot.services"):
        both = build_offline_grader(embedder, corpus, "claims", "auto", settings.claim_checker)
    assert both.flag_checker.record == json.loads(FLAG_RECORD_PATH.read_text())
    assert "red-flag checker" not in caplog.text

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ClaimCheckerError, match=rf"BOT_CLAIM_CHECKER={re.escape(str(empty))} holds no claim checker"):
        build_offline_grader(embedder, corpus, "claims", "auto", empty)
    from click.testing import CliRunner

    from bot.__main__ import cli

    result = CliRunner().invoke(cli, ["grader", "untrusted"], env={"BOT_CLAIM_CHECKER": str(empty)})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a sentence, not a traceback
    assert "holds no claim checker" in result.stderr


def test_record_describes_the_weights() -> None:
    record = json.loads(RECORD_PATH.read_text())
    assert WEIGHTS_PATH.stat().st_size <= 50_000_000
    for key in ("weights_sha256", "training_data_sha256", "base_model", "settings", "counts", "trained_at"):
        assert key in record
    assert record["settings"]["seed"] is not None
    # the points' checker since session 40: session 30's (the first training refined once, `grader refine --cross`)
    # refined on the choosing sets' graded answers and mixed half-way with it (`--graded --interpolate 0.5`)
    assert record["settings"]["graded"] and record["settings"]["interpolate"] == 0.5
    assert record["settings"]["refined_from"] != record["weights_sha256"] and record["refined_from_settings"]["cross"]
    # the red flags' checker (session 28): refined from that previous checker in two `grader refine` passes, the
    # second over the shipped flag statements; the two files together within the issue's 50 MB
    flags = json.loads(FLAG_RECORD_PATH.read_text())
    assert WEIGHTS_PATH.stat().st_size + FLAG_WEIGHTS_PATH.stat().st_size <= 50_000_000
    assert flags["refined_from_settings"]["refined_from"] == record["refined_from_settings"]["refined_from"]
    assert flags["settings"]["rights"] and flags["settings"]["refined_from"] != record["weights_sha256"]
    assert flags["settings"]["flag_statements_sha256"] == sha256_file(FLAG_STATEMENTS_PATH)
    assert len(flags["made_by"]) == 2 and all("grader refine" in step for step in flags["made_by"])


def test_the_app_reads_red_flags_with_the_flag_checker(assessor: Assessor) -> None:
    grader = assessor.grader
    assert isinstance(grader, ClaimGrader) and grader.flag_checker is not grader.checker
    assert grader.flag_checker.record["weights_sha256"] == json.loads(FLAG_RECORD_PATH.read_text())["weights_sha256"]
    assert "+flags:" in grader.model


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _measured_sentences() -> set[str]:
    """Every sentence of eight words or more of the measuring answers (dev split, held-out answers), as _words."""
    from bot.text import sentences

    measured: set[str] = set()
    texts = [json.loads(line)["answer"] for line in DEV.read_text().splitlines() if line.strip()] if DEV.is_file() else []
    for f in sorted(ANSWERS.glob("*.yaml")) if ANSWERS.is_dir() else []:
        texts += [a["text"] for a in (yaml.safe_load(f.read_text()) or {}).get("answers") or []]
    for text in texts:
        measured |= {w for s in sentences(text) if len((w := _words(s)).split()) >= 8}
    assert len(measured) > 2000, "no measuring data found to check against"
    return measured


def test_training_pairs_never_contain_measuring_text(corpus) -> None:
    """No sentence of a measuring answer (dev split, held-out answers) appears in any training pair.
    Whole sentences, not short runs: standard phrases ("oversampling the minority class or
    undersampling the majority class") recur in texts written apart on one topic, and the held-out
    answers keep their distance from their own question's rubric (tests/test_held_out_answers.py)."""
    measured = _measured_sentences()
    pairs = build_pairs(corpus)
    assert len(pairs) > 1000
    pair_texts = {_words(t) for p in pairs for t in (p.premise, p.hypothesis)}
    leaked = [m for m in measured if any(m in t for t in pair_texts if len(t) >= len(m))]
    assert not leaked, leaked[:3]


def test_rule_made_false_versions_and_spoken_variants() -> None:
    rng = random.Random(0)
    assert falsify("each step updates only a few sampled negatives", rng) != "each step updates only a few sampled negatives"
    assert falsify("the model is trained with 5 negatives", rng) is not None
    said = spoken("Each step updates only a few negatives.", random.Random(1))
    assert said == said.lower() and "." not in said


def test_synthetic_answers_are_for_held_out_questions_with_their_scores(corpus, tmp_path: Path) -> None:
    """`python -m bot grader synthetic`: the set the decision rules were chosen on. Only questions the
    checker never trained on, every style once per question, the scores the styles should get."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    out = tmp_path / "synthetic.jsonl"
    result = CliRunner().invoke(cli, ["grader", "synthetic", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    train, held = split_by_question(build_pairs(corpus))
    held_ids, train_ids = {p.question_id for p in held}, {p.question_id for p in train}
    assert {r["question_id"] for r in rows} == held_ids and not held_ids & train_ids
    by_style: dict[str, list[dict]] = {}
    for r in rows:
        by_style.setdefault(r["style"], []).append(r)
    assert set(by_style) == {"full", "full-spoken", "model", "half", "one", "flags", "falsified", "offtopic", "vague"}
    assert all(r["score"] == 10 for s in ("full", "full-spoken", "model") for r in by_style[s])
    assert all(r["score"] == 0 for s in ("flags", "falsified", "offtopic", "vague") for r in by_style[s])
    assert all(0 < r["score"] <= 10 for r in by_style["half"])
    model = {r["question_id"]: r["answer"] for r in by_style["model"]}
    assert all(model[q] == corpus.rubrics[q].model_answer for q in model)
    assert all(r["answer"] != corpus.rubrics[r["question_id"]].model_answer for r in by_style["offtopic"])


def test_bfloat16_only_where_the_cpu_multiplies_it(tmp_path: Path) -> None:
    from bot.precision import native_bfloat16
    from bot.settings import Settings

    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n")
    assert native_bfloat16(info)
    info.write_text("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_vnni\n")
    assert not native_bfloat16(info)
    assert not native_bfloat16(tmp_path / "absent")  # not Linux: float32
    assert Settings.from_env({"BOT_PRECISION": "bfloat16"}).precision == "bfloat16"
    assert Settings.from_env({"BOT_CHECKER_PRECISION": "float32"}).precision == "float32"  # its earlier name
    with pytest.raises(ValueError, match="BOT_PRECISION='half' is not a precision"):
        Settings.from_env({"BOT_PRECISION": "half"})


def test_bfloat16_checker_reads_pairs_as_float32_does(corpus) -> None:
    """The faster precision gives the same most-probable label on (nearly) every pair of the checker's
    held-out questions, and probabilities within a few hundredths."""
    import numpy as np

    _, held = split_by_question(build_pairs(corpus))
    pairs = random.Random(0).sample(held, 120)
    hyps, prems = [p.hypothesis for p in pairs], [p.premise for p in pairs]
    full = ClaimChecker.load(precision="float32").probabilities(hyps, prems)
    half = ClaimChecker.load(precision="bfloat16").probabilities(hyps, prems)
    assert np.mean(full.argmax(axis=1) == half.argmax(axis=1)) >= 0.97
    assert np.abs(full - half).max() <= 0.08


def test_the_traced_checker_reads_pairs_as_the_model_does(corpus, checker: ClaimChecker) -> None:
    """The loaded checker runs as a frozen TorchScript graph (faster); in batches that mix short and long
    pairs (padded) it gives the model's own probabilities."""
    import numpy as np

    assert checker.graph is not None  # tracing failed: the app would run the slower untraced model
    _, held = split_by_question(build_pairs(corpus))
    pairs = random.Random(1).sample(held, 80)
    hyps, prems = [p.hypothesis for p in pairs], [p.premise for p in pairs]
    untraced = ClaimChecker(checker.model, checker.tokenizer, checker.thresholds)
    assert np.abs(checker.probabilities(hyps, prems) - untraced.probabilities(hyps, prems)).max() <= 1e-3


def test_written_statements_cover_every_point_of_the_bank(corpus) -> None:
    """claim_statements.jsonl says something true, something false and something beside the point for
    every checked point; a point renamed or removed in a rubric leaves no orphan behind."""

    statements = load_statements()
    points = {(q.id, p.id) for q in _questions(corpus) for p in corpus.rubrics[q.id].points if not p.cues}
    assert set(statements) == points, sorted(set(statements) ^ points)[:5]
    assert all(len(s.says) >= 2 and s.false and s.near for s in statements.values())
    sources = {p.source.removesuffix("+spoken") for p in build_pairs(corpus)}
    assert {"written-says", "written-false", "written-near", "written-other-point"} <= sources


# new answers to questions of earlier sets the checker never learnt from (session 41: none was left unused; session 45's
# in session 43's personas)
REASKED = ("choosing_answers_s41.jsonl", "choosing_answers_s45.jsonl")
RETRAINED = ("choosing_answers_s43.jsonl",)  # ... of the sets the checker learns from, by writers in personas (session 43)
STORIES = ("choosing_answers_s44.jsonl",)  # ... and new stories to behavioral questions of those sets (session 44)


def asked_in(names) -> set[str]:
    """The questions the given choosing sets ask (`names` under devtools/data), and with "dev" the dev split's (none when
    ../shared is not beside the project)."""
    rows = [line for n in names if n != "dev" for line in (ROOT / "devtools" / "data" / n).read_text().splitlines()]
    dev = ROOT.parent / "shared" / "data" / "interview" / "dev.jsonl"
    if "dev" in names and dev.exists():
        rows += dev.read_text().splitlines()
    return {json.loads(line)["question_id"] for line in rows}


@pytest.mark.parametrize(("name", "least", "held_out"), [("choosing_answers.jsonl", 190, True),
                                                         ("choosing_answers_s25.jsonl", 70, True),
                                                         ("choosing_answers_s26.jsonl", 84, False),
                                                         ("choosing_answers_s26b.jsonl", 112, False),
                                                         ("choosing_answers_s29.jsonl", 112, False),
                                                         ("choosing_answers_s32.jsonl", 112, False),
                                                         ("choosing_answers_s33.jsonl", 112, False),
                                                         ("choosing_answers_s34.jsonl", 112, False),
                                                         ("choosing_answers_s34b.jsonl", 112, False),
                                                         ("choosing_answers_s36.jsonl", 128, None),
                                                         ("choosing_answers_s38.jsonl", 128, False),
                                                         ("choosing_answers_s38b.jsonl", 128, False),
                                                         ("choosing_answers_s39.jsonl", 128, None),
                                                         ("choosing_answers_s39b.jsonl", 128, None),
                                                         ("choosing_answers_s40.jsonl", 128, False),
                                                         ("choosing_answers_s41.jsonl", 128, None),
                                                         ("choosing_answers_s43.jsonl", 256, False),
                                                         ("choosing_answers_s44.jsonl", 128, False),
                                                         ("choosing_answers_s45.jsonl", 128, None)])
def test_choosing_answers_are_written_for_the_project_on_questions_of_no_other_set(corpus, name: str, least: int,
                                                                                  held_out: bool | None) -> None:
    """devtools/data/choosing_answers*.jsonl choose between graders (docs/grading.md): written for the
    project, graded twice, seven styles per question (sessions 36's and later ones an eighth, `reversed`). The first two
    are on the checker's held-out questions, session 26's two, session 29's and later ones on questions it trained on
    (as most of the bank's), sessions 36's, 39's, 41's and 45's drawn from both (None); each after the first on questions of no
    earlier set and not of the dev split, but sessions 41's and 45's (REASKED): new answers to questions of the sets the checker
    never learnt from, none asked by a set it did learn from (devtools/graded_pairs.py, TRAINED_SETS), and session 43's
    (RETRAINED): new answers to questions of the sets it learns from, none asked by another set or the dev split, and
    session 44's (STORIES): new answers to behavioral questions of those sets, none asked by the dev split or a set
    the checker never learnt from."""

    rows = [json.loads(line) for line in (ROOT / "devtools" / "data" / name).read_text().splitlines()]
    train, _ = split_by_question(build_pairs(corpus))
    trained = {p.question_id for p in train}
    asked = {r["question_id"] for r in rows}
    assert len(rows) >= least and (held_out is None or (not asked & trained if held_out else asked <= trained))
    if name != CHOOSING_SETS[0]:
        from devtools.graded_pairs import TRAINED_SETS

        taken = asked_in(["dev"])
        earlier = CHOOSING_SETS[:CHOOSING_SETS.index(name)]
        if name in REASKED:
            assert asked <= asked_in(set(earlier) - set(TRAINED_SETS)) and not asked & (asked_in(TRAINED_SETS) | taken)
        elif name in RETRAINED:
            learnt = set(TRAINED_SETS) - {name}
            assert asked <= asked_in(learnt) and not asked & (asked_in(set(earlier) - learnt) | taken)
        elif name in STORIES:
            learnt = set(TRAINED_SETS)
            assert asked <= asked_in(learnt) and not asked & (asked_in(set(earlier) - learnt - set(RETRAINED)) | taken)
            assert all(corpus.questions[q].category is Category.behavioral for q in asked)
        else:
            assert not asked & (taken | asked_in(earlier))
    # a checker trained with another seed (`grader train --seed 1`) holds out the same questions
    other, _ = split_by_question(build_pairs(corpus, seed=1))
    assert {p.question_id for p in other} == trained
    styles = {"excellent", "spoken", "good", "partial", "vague", "wrong", "offtopic"}
    styles |= {"reversed"} if CHOOSING_SETS.index(name) >= CHOOSING_SETS.index("choosing_answers_s36.jsonl") else set()
    by_q: dict[str, set] = {}
    for r in rows:
        by_q.setdefault(r["question_id"], set()).add(r["style"])
        assert 0 <= r["score"] <= 10 and r["question"] == corpus.questions[r["question_id"]].text
        assert abs(r["score"] - sum(r["rater_scores"]) / 2) < 0.01  # the mean of two raters
    assert all(s == styles for s in by_q.values())

    def runs(text: str) -> set[tuple[str, ...]]:  # "I'd" is one word here ("then I'd" is not "then I")
        return ngrams(re.findall(r"[a-z0-9']+", text.lower()), 5)

    for r in rows:  # written in other words: no run of five words from the question's points or model answer
        rubric = corpus.rubrics[r["question_id"]]
        source = set().union(runs(rubric.model_answer), *(runs(p.text) for p in rubric.points))
        copied = runs(r["answer"]) & source
        assert not copied, (r["question_id"], r["style"], sorted(copied)[:3])


def test_graded_pairs_label_the_apps_own_spans_by_the_raters_agreed_verdicts(assessor: Assessor) -> None:
    """`grader graded-pairs` (session 40): each pair is a point's claim against a span the app read in a choosing-set
    answer, entailing where both raters call the point covered, neutral where both call it missing in a bad answer
    or where a right answer's covered point was read as contradicted; never from a split verdict, and from a partial
    one only with `partial` (session 47): the one span read as most entailing, with a soft target."""
    from devtools.graded_pairs import BAD_STYLES, RIGHT_STYLES, TRAINED_SETS, graded_pairs

    records = [r for r in load_records(ROOT / "devtools" / "data" / TRAINED_SETS[0])
               if r.question_id in {"amd-036", "nlp-044"}]
    pairs = graded_pairs(assessor, records)
    by_claim = by_claim_of(assessor, records)
    with_partial = graded_pairs(assessor, records, partial=True)
    half = [p for p in with_partial if p.source == "graded-partial"]
    assert half and [p for p in with_partial if p.source != "graded-partial"] == pairs
    assert "graded-partial" not in {p.source for p in pairs} and "graded-partial" in SOFT_TARGETS
    for pair in half:  # one span per (answer, point), of an answer whose raters both call the point partial
        assert pair.label == NEUTRAL and any(set(v) == {"partial"} and pair.premise in clean_answer(r.answer)
                                             for r, v in by_claim[pair.question_id, pair.hypothesis])
    assert {p.source for p in pairs} >= {"graded-stated", "graded-unstated"} and len(pairs) == len(
        {(p.hypothesis, p.premise) for p in pairs})
    for pair in pairs:
        said = [(r, set(v)) for r, v in by_claim[pair.question_id, pair.hypothesis]
                if pair.premise in clean_answer(r.answer)]
        assert said, pair  # a span of an answer to that point's question, verbatim
        if pair.source == "graded-stated":
            assert pair.label == ENTAILS and any(v == {"covered"} for _, v in said)
        elif pair.source == "graded-not-false":
            assert pair.label == NEUTRAL and any(v == {"covered"} and r.style in RIGHT_STYLES for r, v in said)
        else:
            assert pair.label == NEUTRAL and any(v <= {"missing", "incorrect"} and r.style in BAD_STYLES for r, v in said)


def by_claim_of(assessor: Assessor, records) -> dict:
    """(question id, point claim) -> [(record, the raters' verdicts of that point)]."""
    by_claim = {}
    for r in records:
        q = assessor.corpus.questions[r.question_id]
        for p in assessor.corpus.rubrics[q.id].expected_points(q.level):
            by_claim.setdefault((q.id, _hypothesis(p)), []).append((r, dict(r.rater_points)[p.id]))
    return by_claim


def test_a_soft_target_trains_a_pair_towards_shares_of_its_labels() -> None:
    """`_fit`'s targets: a batch of sure pairs keeps its class indices (the recipe as before); one with a pair whose
    source has a soft target gets every pair's shares, the soft one inside the app's partial band."""
    from bot.grading.train import _targets

    sure = [Pair("h", "p", ENTAILS, "q", "graded-stated"), Pair("h", "p", NEUTRAL, "q", "graded-unstated")]
    assert _targets(sure).tolist() == [ENTAILS, NEUTRAL]
    mixed = _targets([*sure, Pair("h", "p", NEUTRAL, "q", "graded-partial")]).tolist()
    assert mixed[:2] == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert 0.35 < mixed[2][ENTAILS] < 0.5 and abs(sum(mixed[2]) - 1) < 1e-6 and mixed[2][CONTRADICTS] == 0


def test_the_shipped_graded_pairs_come_from_trained_sets_only(corpus) -> None:
    """The pairs `grader refine --graded` trained on: the trained-on choosing sets' questions only (the tenth set's
    stories reuse four behavioral questions of the first two sets), none asked only by the sets kept for choosing and
    confirming, none of the dev split's, and the file the points' checker's record names."""
    from devtools.graded_pairs import TRAINED_SETS

    pairs = load_pairs(GRADED_PAIRS_PATH)
    asked = asked_in(TRAINED_SETS)
    # the sets kept for choosing and confirming (sessions 43's and 44's re-ask the trained sets' questions)
    kept = asked_in([name for name in CHOOSING_SETS if name not in TRAINED_SETS + RETRAINED + STORIES] + ["dev"])
    assert pairs and {p.question_id for p in pairs} <= asked and not {p.question_id for p in pairs} & (kept - asked)
    assert len(asked & kept) <= 4  # amd-021, amd-049, ner-049, emb-029: sets 1 and 2, and the tenth
    assert json.loads(RECORD_PATH.read_text())["settings"]["graded_pairs_sha256"] == sha256_file(GRADED_PAIRS_PATH)


def test_the_banks_model_answers_are_written_for_eval_scored_10(corpus, tmp_path: Path) -> None:
    """`grader synthetic --model-answers`: every open question's own model answer, at its level's points."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    out = tmp_path / "model.jsonl"
    result = CliRunner().invoke(cli, ["grader", "synthetic", "--model-answers", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    open_ids = {q.id for q in corpus.questions.values() if not q.options and q.id in corpus.rubrics}
    assert [r["question_id"] for r in rows] == sorted(open_ids)
    for r in rows:
        q = corpus.questions[r["question_id"]]
        assert (r["answer"], r["score"], r["style"]) == (corpus.rubrics[q.id].model_answer, 10.0, "model")
        assert r["rubric"] == [p.text for p in corpus.rubrics[q.id].expected_points(q.level)]


def test_a_batch_of_statements_is_added_to_the_shipped_ones_for_a_try(corpus, tmp_path: Path) -> None:
    """`grader pairs --add-statements FILE`: a batch written but not shipped becomes training pairs beside
    the shipped statements, so a checker trained on it can be rebuilt by a command."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    q = _questions(corpus)[0]
    point = next(p for p in corpus.rubrics[q.id].points if not p.cues)
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"question_id": q.id, "points": {point.id: {
        "says": ["An entirely new way of putting it, written for this test."],
        "false": ["A confidently wrong claim written for this test."]}}}) + "\n")
    shipped = load_statements()[q.id, point.id]
    merged = with_more_statements(batch)[q.id, point.id]
    assert merged.says == (*shipped.says, "An entirely new way of putting it, written for this test.")
    assert merged.false[-1] == "A confidently wrong claim written for this test." and merged.near == shipped.near
    out = tmp_path / "pairs.jsonl"
    result = CliRunner().invoke(cli, ["grader", "pairs", "--add-statements", str(batch), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {"premise": "A confidently wrong claim written for this test.", "label": "contradicts"}.items() <= next(
        r for r in rows if r["premise"] == "A confidently wrong claim written for this test.").items()
    missing = CliRunner().invoke(cli, ["grader", "pairs", "--add-statements", str(tmp_path / "nope.jsonl"),
                                       "--out", str(out)])
    assert missing.exit_code != 0 and "does not exist" in missing.output


# one misconception of session 16's batch is worded as a wrong dev answer words it (eight common words, written
# apart); a checker trained with that batch would have read it (devtools/data/README.md)
KNOWN = {"statements_tried_s16.jsonl": {"encoder decoder models don t use cross attention"}}


@pytest.mark.parametrize("name", ["statements_tried_s16.jsonl", "statements_tried_s21.jsonl"])
def test_batches_tried_name_bank_points_and_hold_no_measuring_text(corpus, name: str) -> None:
    """The batches kept for `grader pairs --add-statements` (devtools/data, its README) are about the bank's own
    points and, like the shipped statements, share no sentence with the measuring answers."""

    batch = load_statements(ROOT / "devtools" / "data" / name)
    points = {(qid, p.id) for qid, r in corpus.rubrics.items() for p in r.points}
    assert len(batch) >= 1400 and set(batch) <= points
    texts = {_words(t) for st in batch.values() for t in (*st.says, *st.false, *st.near)}
    assert len(texts) >= 2800
    measured = _measured_sentences()
    leaked = {m for m in measured if any(m in t for t in texts if len(t) >= len(m))}
    assert leaked == KNOWN.get(name, set()), sorted(leaked)[:3]


_STOP = set("a an the of to in on for and or is are be it its that this with by as at from so if than then they we i you".split())


def test_flag_statements_name_bank_red_flags_and_hold_no_measuring_text(corpus) -> None:
    """The red flags said in other words (session 27, bot/grading/flag_statements.jsonl): two for every red flag of the
    bank, none of them a sentence of the measuring answers; the pairs `grader refine` makes of them are labelled as the
    flag (entails) and its point (contradicts)."""

    said = load_flag_statements()
    flags = {(qid, f.claim) for qid, r in corpus.rubrics.items() for f in r.red_flags}
    assert set(said) == flags and all(len(texts) == 2 for texts in said.values())
    texts = {_words(t) for ts in said.values() for t in ts}
    measured = _measured_sentences()
    assert not {m for m in measured if any(m in t for t in texts if len(t) >= len(m))}

    def runs(text: str) -> set[tuple[str, ...]]:  # every five words in a row ("model's" one word, as written)
        w = re.findall(r"[a-z0-9']+", text.lower())
        return {tuple(w[i:i + 5]) for i in range(len(w) - 4)}

    for qid, rubric in corpus.rubrics.items():  # in other words: no five words of what the statement was written from
        points = {p.id: p.text for p in rubric.points}
        for f in rubric.red_flags:
            source = runs(f.claim) | runs(points.get(f.point, "")) | runs(f.fact or "") | runs(corpus.questions[qid].text)
            assert not any(runs(t) & source for t in said[qid, f.claim]), (qid, f.claim)
    pairs = flag_pairs(corpus, said, balance=load_statements())
    claims = {claim for _, claim in flags}
    assert {p.label for p in pairs if p.source == "flag-written"} == {ENTAILS}
    assert all(p.hypothesis not in claims for p in pairs if p.source == "flag-written-vs-point")
    assert {p.label for p in pairs if p.source == "flag-vs-says"} == {CONTRADICTS}
    assert {p.label for p in pairs if p.source == "flag-vs-other-says"} == {NEUTRAL}
    assert not any(p.source.startswith("flag-vs-fact-examples") for p in pairs)
    more = flag_pairs(corpus, said, balance=load_statements(), facts=True)
    facts = {f.fact for r in corpus.rubrics.values() for f in r.red_flags if f.fact}
    extra = [p for p in more if p.source == "flag-vs-fact-examples"]
    assert extra and {p.label for p in extra} == {CONTRADICTS} and facts & {p.premise for p in extra}

    # session 28: two right statements per red flag in the flag's own words (negated or corrected), none a measuring
    # sentence, each sharing at least 30% of the flag's content words; each contradicts its flag
    rights = load_flag_statements(field="rights")
    assert set(rights) == flags and all(len(texts) == 2 for texts in rights.values())
    assert not {m for m in measured if any(m in _words(t) for ts in rights.values() for t in ts)}

    def content(text: str) -> set[str]:
        return set(re.findall(r"[a-z0-9']+", text.lower())) - _STOP

    assert all(len(content(claim) & content(t)) >= 0.3 * len(content(claim))
               for (_, claim), ts in rights.items() for t in ts)
    righted = [p for p in flag_pairs(corpus, said, balance=load_statements(), rights=rights) if p.source.startswith(
        "flag-vs-right")]
    assert {p.label for p in righted} == {CONTRADICTS} and {p.hypothesis for p in righted} <= claims
    assert len({p.hypothesis for p in righted}) > 0.95 * len(claims)  # all but a flag whose point has STAR cues
    # session 29 (`grader refine --said`): each written statement also as the hypothesis, as flags-said reads it
    said_pairs = flag_pairs(corpus, said, balance=load_statements(), rights=rights, said=True)
    written = {t for ts in said.values() for t in ts}
    labels = {src: {p.label for p in said_pairs if p.source.split("+")[0] == src} for src in (
        "said-vs-flag", "said-vs-said", "said-vs-right", "said-vs-other-says")}
    assert labels == {"said-vs-flag": {ENTAILS}, "said-vs-said": {ENTAILS}, "said-vs-right": {CONTRADICTS},
                      "said-vs-other-says": {NEUTRAL}}
    assert all(p.hypothesis in written for p in said_pairs if p.source.startswith("said-"))
    assert {p.premise for p in said_pairs if p.source == "said-vs-flag"} <= claims


def test_refine_says_when_its_starting_checker_is_missing_or_its_new_pairs_are_chosen_twice(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.__main__ import cli

    result = CliRunner().invoke(cli, ["grader", "refine", "--init", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "holds no claim checker" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    for both, said in ((["--hard", "--cross"], "--hard and --cross"),
                       (["--cross", "--clauses"], "--cross and --clauses"),
                       (["--clauses", "--context"], "--clauses and --context"),
                       (["--context", "--stories"], "--context and --stories"),
                       (["--no-made-false"], "give --clauses too"),
                       (["--graded-pairs", str(GRADED_PAIRS_PATH)], "give --graded too")):
        result = CliRunner().invoke(cli, ["grader", "refine", *both, "--out", str(tmp_path / "out")])
        assert result.exit_code != 0 and said in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_refining_pass_can_ship_weights_part_way_from_its_starting_checker(tmp_path: Path) -> None:
    # `grader refine --interpolate A` (session 40): (1 - A) x the starting weights + A x the refined ones, in the
    # refined file's precision; at 0.5 the same as `grader average` of the two
    import torch
    from safetensors.torch import load_file, save_file

    from bot.grading.train import interpolate

    start, refined = tmp_path / "start.safetensors", tmp_path / "refined.safetensors"
    save_file({"w": torch.tensor([0.0, 1.0, -2.0], dtype=torch.float16)}, str(start))
    save_file({"w": torch.tensor([4.0, 1.0, 2.0], dtype=torch.float16)}, str(refined))
    mixed = interpolate(start, refined, 0.25)
    assert torch.equal(load_file(str(refined))["w"], mixed["w"]) and mixed["w"].dtype == torch.float16
    assert mixed["w"].tolist() == [1.0, 1.0, -1.0]


def test_grader_average_writes_the_mean_of_checkers_that_loads_and_names_its_members(tmp_path: Path) -> None:
    # `grader average` (session 38): a "model soup" of checkers refined from one; here the shipped points' checker and
    # the shipped red flags' checker (both from the same first training) put in a folder as a points' checker
    import torch
    from click.testing import CliRunner
    from safetensors.torch import load_file

    from bot.__main__ import cli
    from bot.grading.claims import (
        FLAG_RECORD_PATH,
        FLAG_WEIGHTS_PATH,
        RECORD_PATH,
        WEIGHTS_PATH,
        ClaimChecker,
    )

    other = tmp_path / "flags-as-points"
    other.mkdir()
    shutil.copy(FLAG_WEIGHTS_PATH, other / WEIGHTS_PATH.name)
    shutil.copy(FLAG_RECORD_PATH, other / RECORD_PATH.name)
    out = tmp_path / "mean"
    result = CliRunner().invoke(cli, ["grader", "average", str(WEIGHTS_PATH.parent), str(other), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    a, b, mean = (load_file(str(f / WEIGHTS_PATH.name)) for f in (WEIGHTS_PATH.parent, other, out))
    assert set(mean) == set(a) and any(not torch.equal(a[k], b[k]) for k in a)
    for k in a:
        assert torch.allclose(mean[k].float(), (a[k].float() + b[k].float()) / 2, atol=1e-3)
    record = json.loads((out / RECORD_PATH.name).read_text())
    members = json.loads(RECORD_PATH.read_text()), json.loads(FLAG_RECORD_PATH.read_text())
    assert [m["weights_sha256"] for m in record["averaged_from"]] == [m["weights_sha256"] for m in members]
    checker = ClaimChecker.from_folder(out)  # the sha256 of its record checked at load
    (_, ent, con), = checker.probabilities(["a point"], ["a sentence"])
    assert 0 <= ent <= 1 and 0 <= con <= 1
    assert (out / FLAG_WEIGHTS_PATH.name).read_bytes() == FLAG_WEIGHTS_PATH.read_bytes()
    for args, said in (([str(WEIGHTS_PATH.parent)], "two checkers or more"),
                       ([str(WEIGHTS_PATH.parent), str(tmp_path / "nope")], "holds no claim checker")):
        result = CliRunner().invoke(cli, ["grader", "average", *args, "--out", str(tmp_path / "no")])
        assert result.exit_code != 0 and said in result.output and "Traceback" not in result.output
    assert not (tmp_path / "no").exists()
    shipped = WEIGHTS_PATH.read_bytes()  # the shipped folder is never written over
    result = CliRunner().invoke(cli, ["grader", "average", str(WEIGHTS_PATH.parent), str(other), "--out",
                                      str(WEIGHTS_PATH.parent)])
    assert result.exit_code != 0 and "shipped checkers live" in result.output and WEIGHTS_PATH.read_bytes() == shipped


def test_grader_train_rebuilds_the_shipped_checkers_in_the_passes_that_made_them(tmp_path: Path, monkeypatch) -> None:
    # `grader train` (session 31): the first training, then each refining pass from the weights before it; with --flags
    # the red flags' checker from the same first training. The training itself is replaced by a recorder here.
    from click.testing import CliRunner

    from bot.__main__ import cli
    from bot.grading import train as training

    calls, records = [], []

    def fake(kind):
        def run(corpus, *, weights_path, record_path, init=None, progress=print, **settings):
            calls.append((kind, init and init.read_text(), settings.get("cross"), settings.get("rights"),
                          settings.get("graded")))
            records.append(record_path.parent)
            weights_path.write_text(f"{kind}-{len(calls)}")
            record = {"weights_sha256": f"w{len(calls)}", "training_data_sha256": "d", "settings": settings,
                      "held_out": {"accuracy": 0.5}, "training_seconds": 1.0, "weights_bytes": 10}
            record_path.write_text(json.dumps(record))
            return record
        return run

    monkeypatch.setattr(training, "train", fake("first"))
    monkeypatch.setattr(training, "refine", fake("pass"))
    result = CliRunner().invoke(cli, ["grader", "train", "--out", str(tmp_path), "--flags"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [c[:2] for c in calls] == [("first", None), ("pass", "first-1"), ("pass", "pass-2"), ("pass", "first-1"),
                                      ("pass", "pass-4")]
    # POINTS_PASSES (cross, then graded), FLAG_PASSES
    assert [c[2:] for c in calls[1:]] == [(True, None, None), (None, None, True), (None, None, None), (None, True, None)]
    points, flags = (json.loads((tmp_path / name).read_text()) for name in ("claim_checker.json", "flag_checker.json"))
    assert (tmp_path / "claim_checker.safetensors").read_text() == "pass-3"
    assert (tmp_path / "flag_checker.safetensors").read_text() == "pass-5"
    assert [s["weights_sha256"] for s in points["steps"]] == ["w1", "w2", "w3"]
    assert [s["weights_sha256"] for s in flags["steps"]] == ["w1", "w4", "w5"]
    assert points["made_by"] == ["python -m bot grader train --first-only --out A",
                                 "python -m bot grader refine --init A --cross --out B",
                                 "python -m bot grader refine --init B --graded --interpolate 0.5 --out C"]
    assert flags["made_by"][1:] == ["python -m bot grader refine --init A --out B",
                                    "python -m bot grader refine --init B --rights --out C"]
    assert tmp_path not in records  # each step's record is written apart, the final one once, with its steps
    assert training._made_by(({"clauses": True, "made_false": False},))[1] == (
        "python -m bot grader refine --init A --clauses --no-made-false --out B")  # as click spells the options
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["claim_checker.json", "claim_checker.safetensors", "flag_checker.json", "flag_checker.safetensors"])

    calls.clear()  # the first training alone, as `grader train` was until session 31
    result = CliRunner().invoke(cli, ["grader", "train", "--out", str(tmp_path / "first"), "--first-only"])
    assert result.exit_code == 0 and [c[0] for c in calls] == ["first"]
    for args, said in ((["--pairs", str(tmp_path / "claim_checker.json")], "add --first-only"),
                       (["--first-only", "--flags"], "leave out --first-only")):
        result = CliRunner().invoke(cli, ["grader", "train", "--out", str(tmp_path / "no"), *args])
        assert result.exit_code != 0 and said in result.output and "Traceback" not in result.output


def test_refine_hard_takes_the_sure_pairs_the_checker_misreads() -> None:
    # session 29's trial (`grader refine --hard`, rejected): the pairs it misreads, from sources whose labels are sure
    from bot.grading.train import SURE_SOURCES, misread

    checker = ScriptedChecker({"stated": (0.9, 0.05), "false": (0.8, 0.1), "other": (0.1, 0.1)})
    pairs = [Pair("h", "stated", ENTAILS, "q", "example"),  # read right
             Pair("h", "false", CONTRADICTS, "q", "written-false+spoken"),  # misread, spoken: kept
             Pair("h", "other", ENTAILS, "q", "written-says"),  # misread (neutral): kept
             Pair("h", "false", CONTRADICTS, "q", "rule-false"),  # misread, but a rule-made label: left out
             Pair("h", "other", NEUTRAL, "q", "other-question")]  # read right
    assert [p.premise for p in misread(checker, pairs)] == ["false", "other"]
    assert "rule-false" not in SURE_SOURCES and "other-example" not in SURE_SOURCES
    assert len(checker.read) == 4  # the rule-made pair is not even read


def test_refine_cross_pairs_a_point_with_its_siblings_false_statements_as_neutral(corpus) -> None:
    # session 30's trial (`grader refine --cross`): a false statement of another point of the question does not state
    # this one; balanced by the point's own right statement (entails) and own false statement (contradicts)

    statements, said = load_statements(), load_flag_statements()
    pairs = cross_pairs(corpus, statements, said)
    assert pairs == cross_pairs(corpus, statements, said)  # seeded
    labels = {src: {p.label for p in pairs if p.source.split("+")[0] == src}
              for src in ("cross-other-false", "cross-says", "cross-own-false")}
    assert labels == {"cross-other-false": {NEUTRAL}, "cross-says": {ENTAILS}, "cross-own-false": {CONTRADICTS}}
    for qid, rubric in corpus.rubrics.items():
        if qid not in corpus.questions:
            continue
        points = {_hypothesis(p): p.id for p in rubric.points if not p.cues}
        false_of = {pid: set(statements.get((qid, pid), Statements()).false) for pid in points.values()}
        for f in rubric.red_flags:
            false_of.setdefault(f.point, set()).update({f.claim, *said.get((qid, f.claim), ())})
        for p in (p for p in pairs if p.question_id == qid and p.source == "cross-other-false"):
            mine = points[p.hypothesis]
            assert p.premise not in false_of[mine] and any(p.premise in ts for o, ts in false_of.items() if o != mine)
        for p in (p for p in pairs if p.question_id == qid and p.source == "cross-own-false"):
            assert p.premise in false_of[points[p.hypothesis]]


def test_refine_clause_pairs_read_a_right_statements_clauses_as_never_contradicting(corpus) -> None:
    # session 32's trial (`grader refine --clauses`): a clause of a right statement is entails or neutral, as the
    # refined checker reads it, never contradicts; a clause that carries the point, made false by a rule, contradicts
    # it alone and in its sentence; a clause of a false statement contradicts only where the checker reads it so

    reads = {}

    def reader(hyps: list[str], prems: list[str]) -> np.ndarray:  # a scripted checker: by the premise's length
        rows = [[0.2, 0.7, 0.1] if len(p) % 3 == 0 else [0.6, 0.1, 0.3] if len(p) % 3 == 1 else [0.2, 0.1, 0.7]
                for p in prems]
        reads.update({p: r for p, r in zip(prems, rows, strict=True)})
        return np.array(rows)

    statements, said = load_statements(), load_flag_statements()
    pairs = clause_pairs(corpus, statements, said, reader)
    assert pairs == clause_pairs(corpus, statements, said, reader)  # seeded
    by = {src: [p for p in pairs if p.source == src] for src in
          ("clause-of-right", "clause-made-false", "clause-made-false-in-sentence", "clause-of-false")}
    assert all(by.values())
    assert {p.label for p in by["clause-of-right"]} == {ENTAILS, NEUTRAL}
    assert all(p.label == (ENTAILS if len(p.premise) % 3 == 0 else NEUTRAL) for p in by["clause-of-right"])
    assert {p.label for src in ("clause-made-false", "clause-made-false-in-sentence", "clause-of-false")
            for p in by[src]} == {CONTRADICTS}
    assert all(reads[p.premise][2] == 0.7 for p in by["clause-of-false"])  # read as contradicting already
    for alone, whole in zip(by["clause-made-false"], by["clause-made-false-in-sentence"], strict=True):
        assert alone.premise in whole.premise and alone.premise not in reads  # made, not a statement's own clause


def test_refine_context_pairs_set_each_statement_beside_another_points_sentence(corpus) -> None:
    # session 33's trial (`grader refine --context`): a point's right statement beside a model-answer sentence of
    # another point entails it, its false one contradicts it, another point's right statement is neutral

    statements, said = load_statements(), load_flag_statements()
    pairs = context_pairs(corpus, statements, said)
    assert pairs == context_pairs(corpus, statements, said)  # seeded
    label = {"context-right": ENTAILS, "context-false": CONTRADICTS, "context-other": NEUTRAL}
    assert {p.source.removesuffix("+spoken") for p in pairs} == set(label)
    assert all(p.label == label[p.source.removesuffix("+spoken")] for p in pairs)
    beside = {}  # (question, point's claim) -> the model-answer sentences aligned to the question's other points
    for qid in {p.question_id for p in pairs}:
        rubric = corpus.rubrics[qid]
        points = [x for x in rubric.points if not x.cues]
        sents, aligned = sentences(rubric.model_answer), _align(points, sentences(rubric.model_answer))
        for i, x in enumerate(points):
            beside[qid, point_claim(" ".join(x.text.split()))] = [sents[j] for k, js in enumerate(aligned) if k != i
                                                                  for j in js]
    for p in (p for p in pairs if not p.source.endswith("+spoken")):
        assert any(p.premise.startswith(s) or p.premise.endswith(s) for s in beside[p.question_id, p.hypothesis])


def test_refine_story_pairs_read_buzzword_stories_as_stating_no_point_of_a_behavioral_question(corpus) -> None:
    # session 34's trial (`grader refine --stories`): a behavioral question's points (not its STAR points) against
    # buzzword story sentences are neutral, alone or two together; a right statement beside one still entails
    statements = load_statements()
    pairs = story_pairs(corpus, statements)
    assert pairs and pairs == story_pairs(corpus, statements)  # seeded
    assert all(corpus.questions[p.question_id].category is Category.behavioral for p in pairs)
    claims = {point_claim(" ".join(x.text.split())) for q in {p.question_id for p in pairs}
              for x in corpus.rubrics[q].points if x.cues}
    assert not claims & {p.hypothesis for p in pairs}  # the STAR points are read by their cues
    for p in (p for p in pairs if not p.source.endswith("+spoken")):
        buzz = [s for s in _VAGUE_STORY if s in p.premise]
        if p.source.startswith("story-vague"):
            assert p.label == NEUTRAL and p.premise in (" ".join(buzz), " ".join(reversed(buzz)))
        else:
            assert p.source == "story-right" and p.label == ENTAILS and len(buzz) == 1 and p.premise != buzz[0]


def test_reversal_statements_pair_each_point_with_itself_in_reverse_and_hold_no_measuring_text(corpus) -> None:
    """Session 37's minimal pairs (bot/grading/reversal_statements.jsonl, `grader refine --reversals`): for nearly
    every point of the bank two sentences that state it, each with a reversed twin sharing most of its words; none of
    them a sentence of the measuring answers; the right one entails the point and the twin contradicts it."""

    reversals = load_reversals()
    points = {(q.id, x.id) for q in _questions(corpus) for x in corpus.rubrics[q.id].points if not x.cues}
    assert set(reversals) <= points and len(reversals) >= 0.95 * len(points)
    assert sum(len(v) == 2 for v in reversals.values()) >= 0.9 * len(reversals)

    def words(t: str) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", t.lower()))

    twins = [(right, wrong) for v in reversals.values() for right, wrong in v]
    assert all(right != wrong for right, wrong in twins)
    overlap = sorted(len(words(a) & words(b)) / len(words(a) | words(b)) for a, b in twins)
    assert overlap[len(overlap) // 10] >= 0.5  # nine in ten share at least half their words
    texts = {_words(t) for pair in twins for t in pair}
    measured = _measured_sentences()
    assert not {m for m in measured if any(m in t for t in texts if len(t) >= len(m))}
    pairs = reversal_pairs(corpus, reversals)
    assert pairs == reversal_pairs(corpus, reversals)  # seeded
    label = {"reversal-right": ENTAILS, "reversal": CONTRADICTS, "reversal-right-beside": ENTAILS,
             "reversal-beside": CONTRADICTS}
    assert {p.source.removesuffix("+spoken") for p in pairs} == set(label)
    assert all(p.label == label[p.source.removesuffix("+spoken")] for p in pairs)
    right_of = {(q, point_claim(" ".join(x.text.split()))): reversals.get((q, x.id), ())
                for q in {p.question_id for p in pairs} for x in corpus.rubrics[q].points}
    for p in (p for p in pairs if not p.source.endswith("+spoken")):
        mine = right_of[p.question_id, p.hypothesis]
        said = [wrong if p.label == CONTRADICTS else right for right, wrong in mine]
        assert p.premise in said if "beside" not in p.source else any(s.rstrip(".") in p.premise for s in said)
    # `--rights` (session 38): the same pairs, and each point's right statements in other words entailing it
    statements = load_statements()
    more = reversal_pairs(corpus, reversals, rights=statements)
    other = [p for p in more if p.source.removesuffix("+spoken") == "reversal-other-words"]
    assert {p.source.removesuffix("+spoken") for p in more if p not in other} == set(label)
    assert {p.label for p in other} == {ENTAILS}
    assert len({p.hypothesis for p in other}) >= 0.9 * len({p.hypothesis for p in pairs})
    for p in (p for p in other if not p.source.endswith("+spoken")):
        point = next(x for x in corpus.rubrics[p.question_id].points
                     if point_claim(" ".join(x.text.split())) == p.hypothesis)
        own = [*statements[p.question_id, point.id].says, *point.examples]
        assert any(t.rstrip(".") in p.premise for t in own)


def test_a_checker_ensemble_combines_its_members_readings() -> None:
    # session 20's trial (BOT_CLAIM_ENSEMBLE): the mean of two readings, or their geometric mean, which reads a pair as
    # entailing only where neither member finds that unlikely
    from bot.grading.claims import CheckerEnsemble

    def member(ent: float, con: float) -> ScriptedChecker:
        checker = ScriptedChecker({"span": (ent, con)})
        checker.model, checker.record = None, {"weights_sha256": f"{ent}-{con}"}
        return checker

    sure, doubting = member(0.8, 0.05), member(0.02, 0.03)  # one reads "entails", the other "neutral"
    mean = CheckerEnsemble([sure, doubting], "mean").probabilities(["claim"], ["span"])[0]
    assert mean == pytest.approx([(0.15 + 0.95) / 2, 0.41, 0.04], abs=1e-6)
    geo = CheckerEnsemble([sure, doubting], "geometric").probabilities(["claim"], ["span"])[0]
    assert geo.sum() == pytest.approx(1.0) and geo[1] < 0.5 < geo[0]  # not covered: one member found it unlikely
    tempered = CheckerEnsemble([member(0.3, 0.6), member(0.1, 0.1)], "con-mean").probabilities(["claim"], ["span"])[0]
    assert tempered == pytest.approx([0.35, 0.3, 0.35], abs=1e-6)  # session 33: the first's entails, mean contradicts
    surer = CheckerEnsemble([doubting, sure], "max").probabilities(["claim"], ["span"])[0]  # session 28's flags-max
    assert surer == pytest.approx([0.15, 0.8, 0.05], abs=1e-6)
    agree = CheckerEnsemble([sure, member(0.6, 0.1)], "geometric").probabilities(["claim"], ["span"])[0]
    assert agree[1] > 0.5  # both read it as stated
    assert CheckerEnsemble([sure, doubting]).record["weights_sha256"] != CheckerEnsemble([sure, sure]).record[
        "weights_sha256"]  # another setup: the shipped trust table is not read for it
    with pytest.raises(ClaimCheckerError, match="no way to combine"):
        CheckerEnsemble([sure, doubting], "median")


def test_bot_claim_ensemble_names_a_mode_and_a_folder_or_stops_with_a_sentence(tmp_path: Path, corpus, embedder) -> None:
    from bot.services import build_offline_grader

    with pytest.raises(ClaimCheckerError, match="should read MODE:FOLDER"):
        build_offline_grader(embedder, corpus, "claims", "auto", None, "mean")
    with pytest.raises(ClaimCheckerError, match="holds no claim checker"):
        build_offline_grader(embedder, corpus, "claims", "auto", None, f"mean:{tmp_path}")
    with pytest.raises(ClaimCheckerError, match="flags, flags-max"):
        build_offline_grader(embedder, corpus, "claims", "auto", None, "flags")
    with pytest.raises(ClaimCheckerError, match="holds no claim checker"):
        build_offline_grader(embedder, corpus, "claims", "auto", None, f"flags:{tmp_path}")


def test_points_mean_reads_the_points_by_both_checkers_and_the_red_flags_by_the_flag_checker(monkeypatch) -> None:
    # session 33's trial (BOT_CLAIM_ENSEMBLE=points-mean:FOLDER): only the points' readings are averaged
    from bot import services
    from bot.grading.claims import CheckerEnsemble, ClaimChecker

    shipped, other, flags = (ScriptedChecker({"span": (e, 0.1)}) for e in (0.8, 0.2, 0.6))
    for n, checker in enumerate((shipped, other, flags)):
        checker.model, checker.record = None, {"weights_sha256": str(n)}
    monkeypatch.setattr(ClaimChecker, "load", classmethod(lambda cls, *a, **k: shipped))
    monkeypatch.setattr(ClaimChecker, "from_folder", classmethod(lambda cls, folder, precision="auto": other))
    monkeypatch.setattr(ClaimChecker, "flags_in", classmethod(lambda cls, folder=None, precision="auto": flags))
    reads, flag_reader = services.load_checkers(None, "points-mean:elsewhere")
    assert isinstance(reads, CheckerEnsemble) and reads.members == [shipped, other]
    assert reads.probabilities(["claim"], ["span"])[0][1] == pytest.approx(0.5)
    assert flag_reader is flags
    _, together = services.load_checkers(None, "mean:elsewhere")
    assert together is None  # session 20's ensemble reads the red flags too


def test_a_flag_checker_reads_the_red_flags_and_only_them() -> None:
    # session 28's trial (BOT_CLAIM_ENSEMBLE=flags:FOLDER): a refined checker reads the red flags, the points' own the rest
    flag = RedFlag(point="p", claim="a false claim", fact="the fact")
    said = "They said a thing."
    points, flags = ScriptedChecker({f"the point|{said}": (0.9, 0.05)}), ScriptedChecker({f"a false claim|{said}": (0.8, 0.1)})
    grader = ClaimGrader(None, None, points, None, flag_checker=flags)
    read = grader._read([("flag", 0, 0), ("point", 0, 0)], ["the point", "a false claim"], [_Span(said, None, 0, 0)], [0], [flag])
    assert [(round(r.ent, 2), r.flag) for r in read] == [(0.8, flag), (0.9, None)]  # the jobs' order
    assert points.read == [("the point", said)] and flags.read == [("a false claim", said)]
    alone = ClaimGrader(None, None, points, None)
    assert alone.flag_checker is points and "+flags" not in alone.model and "+flags" in grader.model


def test_a_red_flag_misread_in_the_model_answer_can_be_disbelieved(assessor: Assessor) -> None:
    """Session 23's `Limits.flag_check` (tried, not the app's): the first half of emb-005's own model answer is read as
    stating the red flag "removing rare words from the vocabulary", a flag the checker also reads in the whole model
    answer."""
    corpus, grader = assessor.corpus, assessor.grader
    question, rubric = corpus.questions["emb-005"], corpus.rubrics["emb-005"]
    said = re.split(r"(?<=[.!?])\s+", rubric.model_answer)
    half = " ".join(said[: len(said) // 2])
    points = rubric.expected_points(question.level)
    flag = next(f for f in rubric.red_flags if "rare words" in f.claim)
    assert grader.misreads_flag(question, flag)
    assert not any(grader.misreads_flag(question, f) for f in rubric.red_flags if f is not flag)
    shipped = grader.grade(question, points, half)
    assert {c.point_id for c in shipped.false_claims} == {flag.point}
    kept = grader.limits
    try:
        grader.limits = replace(kept, flag_check="model")
        disbelieved = grader.grade(question, points, half)
    finally:
        grader.limits = kept
    assert not disbelieved.false_claims and disbelieved.score > shipped.score


def test_a_long_answer_lets_a_point_read_more_of_its_spans(assessor: Assessor) -> None:
    """Three of a long answer's spans miss a point stated in other words more often than three of a short one's:
    since session 25 a point not yet covered reads up to a fifth of the spans (Limits.spans_share)."""
    grader = assessor.grader
    assert [grader.spans_to_read(n) for n in (1, 15, 16, 21, 40)] == [3, 3, 4, 5, 8]
    q = assessor.corpus.questions["nlp-022"]
    points = assessor.corpus.rubrics[q.id].expected_points(q.level)
    flags = assessor.corpus.rubrics[q.id].red_flags
    # a long answer on the field that states few of nlp-022's points: they stay uncovered and read further
    long = " ".join(assessor.corpus.rubrics[qid].model_answer for qid in ("nlp-021", "nlp-023", "nlp-024"))

    def most_read(limits) -> tuple[int, int]:
        kept = grader.limits
        try:
            grader.limits = limits
            m = grader.measure(q, points, flags, long)
        finally:
            grader.limits = kept
        return len(m.spans), max(sum(1 for p in m.pairs if p.flag is None and p.point == i) for i in range(len(points)))

    n_spans, read = most_read(kept_limits := grader.limits)
    assert n_spans > 20 and read > 3, (n_spans, read)
    assert most_read(replace(kept_limits, spans_share=0.0))[1] == 3  # as until session 25


def test_a_point_not_covered_reads_its_spans_nearest_its_examples_when_the_limits_say(assessor: Assessor) -> None:
    """Session 45 (`Limits.near_examples`, tried): with "more" a point reads the app's first span (the claim's nearest)
    and, not covered there, as many further spans as the app, ranked by its claim or its examples; with "all" every
    span so ranked; with "union" (session 46) the app's spans and the one nearest its examples. The checker reads each
    against the claim."""
    grader = assessor.grader
    q = assessor.corpus.questions["emb-005"]
    points = assessor.corpus.rubrics["emb-005"].expected_points(q.level)
    answer = ("Word2vec would otherwise normalise over every word it knows at each step, which is hopeless. "
              "So the model just answers whether two words really occurred together or form a random pair. "
              "For each true pair I draw five noise words, and only those output vectors move. "
              "I first met this on a recommender built from session logs. "
              "That is why it trains on billions of tokens on an ordinary machine. "
              "The cost per step stops growing with the vocabulary.")

    def reads(how: str) -> dict[str, list[str]]:
        kept = grader.limits, grader.checker, grader.flag_checker
        scripted = ScriptedChecker({})  # nothing covered: every point reads all the spans it may
        try:
            grader.limits, grader.checker, grader.flag_checker = replace(kept[0], near_examples=how), scripted, scripted
            claims = grader.measure(q, points, [], answer).claims
        finally:
            grader.limits, grader.checker, grader.flag_checker = kept
        return {c: [prem for hyp, prem in scripted.read if hyp == c] for c in claims}

    app, more, every, union = reads("none"), reads("more"), reads("all"), reads("union")
    assert all(len(app[c]) == len(more[c]) == len(every[c]) >= 3 for c in app)
    assert all(more[c][0] == app[c][0] for c in app)  # the first span is the app's
    assert any(more[c] != app[c] for c in app) and any(every[c][0] != app[c][0] for c in app)
    # "union" (session 46): every span the app reads, in its order, and at most one more
    assert all(union[c][:len(app[c])] == app[c] and len(union[c]) - len(app[c]) in (0, 1) for c in app)
    assert any(len(union[c]) > len(app[c]) for c in app)


def test_short_sentences_are_also_read_three_and_four_together_when_the_limits_say(assessor: Assessor) -> None:
    """Session 44 (`Limits.wide_words`): an answer told in short sentences states a point across three or four of them,
    so besides each sentence and each pair the checker can read runs of three and four sentences of at most that many
    words in all; each such span knows the sentences it holds, and a long-sentenced answer gets none."""
    from bot.grading.claim_grader import _sentences, _span_sentences

    grader = assessor.grader
    q = assessor.corpus.questions["emb-017"]
    short = ("We moved the encoder to a batched server. Recall fell from 0.82 to 0.61. Nobody changed the weights. "
             "I compared old and new vectors for 200 queries. Short queries differed most.")
    long = ("We moved the encoder from a notebook to a batched GPU server last spring, and online recall fell from 0.82 "
            "to 0.61 although nobody had touched the weights or the tokenizer. I compared the old and new vectors for "
            "two hundred logged queries one by one and found that the short queries differed far more than long ones.")

    def spans(text: str, words: int) -> list:
        kept = grader.limits
        try:
            grader.limits = replace(kept, wide_words=words)
            return grader._spans(q, text)
        finally:
            grader.limits = kept

    plain, wide = spans(short, 0), spans(short, 45)
    assert len(_sentences(plain)) == 5 and len(plain) == 9  # five sentences and four pairs
    runs = [s for s in wide if s.last - s.first >= 2]
    assert {s.last - s.first + 1 for s in runs} == {3, 4} and len(wide) == 9 + len(runs)
    assert all(len(s.text.split()) <= 45 for s in runs)
    three = next(s for s in runs if (s.first, s.last) == (0, 2))
    assert three.text == "We moved the encoder to a batched server. Recall fell from 0.82 to 0.61. Nobody changed the weights."
    assert _span_sentences(wide, wide.index(three)) == {0, 1, 2}
    held = lambda found: [(s.text, s.first, s.last) for s in found]  # noqa: E731
    assert held(_sentences(wide)) == held(_sentences(plain))
    assert held(spans(long, 45)) == held(spans(long, 0))  # two long sentences: no run of three to make


def test_a_red_flag_reads_as_many_of_its_nearest_spans_as_the_limits_say(assessor: Assessor) -> None:
    """Session 39 (`Limits.spans_per_flag`, tried, the app reads one): each red flag is read against its N nearest
    spans, its strongest reading kept."""
    grader = assessor.grader
    q = assessor.corpus.questions["nlp-022"]
    points, flags = assessor.corpus.rubrics[q.id].expected_points(q.level), assessor.corpus.rubrics[q.id].red_flags
    answer = " ".join(assessor.corpus.rubrics[qid].model_answer for qid in ("nlp-021", "nlp-022"))

    def flag_reads(n: int) -> set[int]:
        kept = grader.limits
        try:
            grader.limits = replace(kept, spans_per_flag=n)
            m = grader.measure(q, points, flags, answer)
        finally:
            grader.limits = kept
        return {sum(1 for p in m.pairs if p.flag is f) for f in {id(p.flag): p.flag for p in m.pairs if p.flag}.values()}

    assert grader.limits.spans_per_flag == 1 and flag_reads(1) == {1}
    assert flag_reads(3) == {3}


@pytest.mark.parametrize("field", ["about_credit", "rubric_if_incorrect", "flag_check"])
def test_a_misspelt_choice_in_the_limits_is_refused_with_the_list(field: str) -> None:
    """A typo in a rule (devtools/rule_table.py) would otherwise act as the branch the code falls through to."""
    from bot.grading.claim_grader import Limits

    with pytest.raises(ValueError, match=f"Limits.{field} is 'Model'; it must be one of "):
        Limits(**{field: "Model"})
    Limits(**{field: getattr(Limits(), field)})  # the app's own choice is fine


def test_a_points_written_false_statements_are_read_as_red_flags_only_when_asked(assessor: Assessor) -> None:
    """Session 36 (`Limits.point_false`, tried, off in the app): each point's written false statements
    (claim_statements.jsonl) read as red flags of that point; none below `point_false_at`."""
    from bot.grading.claim_grader import Limits

    corpus, grader = assessor.corpus, assessor.grader
    question = corpus.questions["amd-001"]
    points = corpus.rubrics["amd-001"].expected_points(question.level)
    said = load_statements()["amd-001", "examples-not-rules"].false[0]
    answer = f"{said} That is all there is to it, and it is how a phone learns to spot your dog in photos."

    def strongest_flag(**change) -> tuple[str | None, float]:
        kept = grader.limits
        try:
            grader.limits = replace(kept, **change)
            m = grader.measure(question, points, corpus.rubrics["amd-001"].red_flags, answer)
        finally:
            grader.limits = kept
        r = m.readings[[p.id for p in points].index("examples-not-rules")]
        return (r.red_flag.claim if r.red_flag else None), r.flag

    assert Limits().point_false == "none" and strongest_flag()[0] != said  # the app reads the rubric's flags only
    claim, p = strongest_flag(point_false="all")
    assert claim == said and p >= 0.5  # the statement itself, read as stated
    # "model" leaves out a statement the red flags' checker reads as stated in the question's own (right) model answer,
    # as it reads this one
    assert grader.misreads_flag(question, RedFlag(claim=said, point="examples-not-rules"))
    assert strongest_flag(point_false="model")[0] != said
    assert strongest_flag(point_false="all", point_false_at=1.0)[0] != said  # below its own bar it states nothing
    with pytest.raises(ValueError, match="point_false"):
        Limits(point_false="some")
