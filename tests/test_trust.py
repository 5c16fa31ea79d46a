"""The shipped table of the checker's second-reading flags (bot/grading/trust.py): it covers the bank,
holds what the grader would read itself, and is used only where it was made with the same setup."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bot.embeddings import SentenceTransformerEmbedder, VectorCache
from bot.grading.claim_grader import ClaimGrader
from bot.grading.claims import ClaimChecker
from bot.grading.rubric import RubricGrader
from bot.grading.trust import TRUST_PATH, examples_key, load_readings, model_key, setup_key, setup_name
from bot.precision import resolve
from bot.settings import Settings
from bot.text import point_claim

REBUILD = "rebuild it: python -m bot grader untrusted --write, once per BOT_PRECISION (float32, bfloat16)"


def _points(corpus):
    return [(qid, p, point_claim(p.text)) for qid, r in sorted(corpus.rubrics.items()) for p in r.points if p.examples]


@pytest.fixture(scope="module")
def grader_here(corpus) -> ClaimGrader:
    """A grader as the app builds it on this machine, with the shipped table."""
    precision = resolve("auto")
    embedder = VectorCache(SentenceTransformerEmbedder(Settings.from_env({}).embedding_model, precision))
    checker = ClaimChecker.load(precision=precision)
    return ClaimGrader(embedder, corpus, checker, RubricGrader(embedder))


def test_the_table_covers_every_point_of_the_bank_in_both_precisions(corpus) -> None:
    """An edited rubric without a rebuilt table fails here (the app would still grade it right, only slower
    on the first answers that meet the edited points)."""
    sha = json.loads(Path(TRUST_PATH.with_name("claim_checker.json")).read_text())["weights_sha256"]
    model = Settings.from_env({}).embedding_model
    for precision in ("float32", "bfloat16"):
        known = load_readings(setup_name(sha, precision, model, precision))
        missing = [f"{qid}/{p.id}" for qid, p, claim in _points(corpus)
                   if examples_key(claim, p.examples) not in known
                   or model_key(corpus.questions[qid], corpus.rubrics[qid], claim) not in known]
        assert not missing, f"{precision}: {len(missing)} points not in the table, e.g. {missing[:3]}; {REBUILD}"


def test_the_table_holds_what_the_grader_reads_itself(corpus, grader_here: ClaimGrader) -> None:
    """For a sample of points (every kind of answer among them), a grader that reads afresh gets the
    table's flags, at this machine's precision."""
    fresh = ClaimGrader(grader_here.embedder, corpus, grader_here.checker, grader_here.fallback, readings=None)
    known = load_readings(setup_key(grader_here.checker, grader_here.embedder))
    points = _points(corpus)
    doubted = [x for x in points if not known[examples_key(x[2], x[1].examples)]]
    misread = [x for x in points if known[model_key(corpus.questions[x[0]], corpus.rubrics[x[0]], x[2])]]
    rng = random.Random(0)
    sample = rng.sample(doubted, 8) + rng.sample(misread, 8) + rng.sample(points, 14)
    for qid, p, claim in sample:
        assert fresh.trusted(claim, p) == known[examples_key(claim, p.examples)], f"{qid}/{p.id}; {REBUILD}"
        assert fresh.misreads_model_answer(corpus.questions[qid], p, claim) == known[
            model_key(corpus.questions[qid], corpus.rubrics[qid], claim)], f"{qid}/{p.id}; {REBUILD}"


def test_a_grader_starts_with_the_table_made_with_its_own_setup_only(corpus, grader_here: ClaimGrader,
                                                                     tmp_path: Path) -> None:
    points = _points(corpus)
    assert len(grader_here._model) == len(points)  # every point's model-answer reading, before any answer
    assert {(claim, tuple(p.examples)) for _, p, claim in points} <= set(grader_here._trust)

    other = tmp_path / "trust.json"  # the same readings made with other weights: not used
    table = json.loads(TRUST_PATH.read_text())
    table["setups"] = {"0" * 64 + "|" + k.split("|", 1)[1]: v for k, v in table["setups"].items()}
    other.write_text(json.dumps(table))
    g = grader_here
    assert not ClaimGrader(g.embedder, corpus, g.checker, g.fallback, readings=other)._model

    other.write_text("{not json")  # a damaged table: the grader reads points as answers need them
    assert load_readings(setup_key(g.checker, g.embedder), other) == {}
    assert not ClaimGrader(g.embedder, corpus, g.checker, g.fallback, readings=other)._trust
