"""devtools/misses.py: the app's point verdicts against the raters', and the points it misses read against every span."""

from __future__ import annotations

import pytest

from bot.embeddings import VectorCache
from bot.grading.claim_grader import ClaimGrader
from devtools.evaluation import Record
from devtools.misses import best_readings, confusion, consensus, kind, thresholds
from tests.helpers import ScriptedChecker


def record(style: str, rated: dict[str, tuple[str, str]]) -> Record:
    return Record("q", "question", "answer", 5.0, 10.0, None, None, style, tuple(rated.items()))


def test_the_raters_verdict_is_theirs_where_they_agree_and_mixed_where_they_do_not() -> None:
    assert consensus(("covered", "covered")) == "covered"
    assert consensus(("incorrect", "missing")) == "missing"  # incorrect is missing on the raters' scale
    assert consensus(("covered", "partial")) == "partial"
    assert consensus(("covered", "missing")) == "mixed"


def test_confusion_counts_the_cells_where_the_app_and_the_raters_differ_and_what_each_does_to_the_score() -> None:
    records = [record("excellent", {"a": ("covered", "covered"), "b": ("covered", "covered")}),
               record("excellent", {"a": ("covered", "covered"), "b": ("partial", "partial")}),
               record("good", {"a": ("missing", "missing"), "b": ("partial", "covered")})]
    verdicts = [{"a": "missing", "b": "covered"}, {"a": "covered", "b": "covered"}, {"a": "incorrect", "b": "covered"}]
    weights = [{"a": 1.0, "b": 3.0}] * 3
    f = confusion(records, verdicts, weights)
    assert f["excellent"]["answers"] == 2
    # a (a quarter of the weight) missed once: -2.5 on one answer of two; b (three quarters) given half a point more
    assert f["excellent"]["cells"] == {"covered -> missing": {"points": 1, "score": -1.25},
                                       "partial -> covered": {"points": 1, "score": 1.875}}
    # incorrect where the raters found nothing agrees with them; covered where they split covered / partial is a cell
    assert f["good"]["cells"] == {"partial -> covered": {"points": 1, "score": 1.875}}
    assert confusion(records, [{}, {}, {}], weights) == {}  # no verdicts: graded another way, not counted


def test_a_missed_point_is_read_against_every_span_and_the_grader_reads_as_before_afterwards(corpus, embedder) -> None:
    q = corpus.questions["emb-005"]
    points = corpus.rubrics["emb-005"].expected_points(q.level)
    far = "I first met this on a recommender built from session logs."
    answer = ("Word2vec would otherwise normalise over every word it knows at each step, which is hopeless. "
              "So the model just answers whether two words really occurred together or form a random pair. "
              f"For each true pair I draw five noise words, and only those output vectors move. {far} "
              "That is why it trains on billions of tokens on an ordinary machine. "
              "The cost per step stops growing with the vocabulary. Our team shipped it in a week.")
    scripted = ScriptedChecker({far: (0.9, 0.0)})  # only the far sentence states anything
    grader = ClaimGrader(VectorCache(embedder), corpus, scripted, None, readings=None)
    kept = grader.limits
    app = grader.measure(q, points, [], answer)
    unread = {p.id for p, r in zip(points, app.readings, strict=True) if r.cued is None and r.ent < 0.9}
    assert unread, "the far sentence should be outside some point's nearest spans"
    best = best_readings(grader, q, points, answer, unread)
    assert set(best) == unread and all(e == pytest.approx(0.9) for e in best.values())
    assert grader.limits is kept
    covered, partial = thresholds(grader)
    assert [kind(e, covered, partial) for e in (0.9, (covered + partial) / 2, partial / 2)] == [
        "further", "near", "unrecognised"]
