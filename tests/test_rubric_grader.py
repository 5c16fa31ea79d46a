"""The offline grader is sensible on interview questions from the corpus."""

from __future__ import annotations

import pytest

from bot.corpus import Level
from bot.grading import Verdict, score_from_points
from bot.grading.rubric import RubricGrader


@pytest.fixture(scope="module")
def grader(embedder) -> RubricGrader:
    return RubricGrader(embedder)


def open_questions(corpus, n: int = 6):
    """A spread of non-MCQ questions across roles."""
    qs = [q for q in corpus.questions.values() if not q.options]
    return qs[:: max(1, len(qs) // n)][:n]


def test_the_model_answer_scores_high_with_evidence(corpus, grader) -> None:
    for q in open_questions(corpus):
        rubric = corpus.rubrics[q.id]
        grade = grader.grade(q, rubric.expected_points(q.level), rubric.model_answer)
        assert grade.score >= 7, (q.id, grade.score)
        for p in grade.points:
            if p.verdict is not Verdict.missing:
                assert p.evidence and p.evidence in rubric.model_answer  # evidence is the candidate's own words
        earned, n = score_from_points(grade.points), len(grade.points)
        assert grade.score <= earned + (10 / n**2 if earned else 0) + 0.05  # never beyond the evidence (0.05: rounding)


@pytest.mark.parametrize("answer", ["", "   \n ", "I don't know", "No idea, sorry."])
def test_empty_or_clueless_answers_score_near_zero(corpus, grader, answer: str) -> None:
    for q in open_questions(corpus, 3):
        grade = grader.grade(q, corpus.rubrics[q.id].expected_points(q.level), answer)
        assert grade.score <= 1, (q.id, answer, grade.score)


def test_restating_the_question_earns_nothing(corpus, grader) -> None:
    for q in open_questions(corpus):
        grade = grader.grade(q, corpus.rubrics[q.id].expected_points(q.level), f"{q.text} {q.text}")
        assert grade.score <= 1, (q.id, grade.score)


def unrelated_pairs(corpus, n: int = 16):
    """Questions paired with one from another role that shares none of their topics."""
    import random

    rng = random.Random(7)
    qs = [q for q in corpus.questions.values() if not q.options]
    pairs = []
    for q in rng.sample(qs, n):
        others = [o for o in qs if o.role != q.role and not set(o.topics) & set(q.topics)]
        pairs.append((q, rng.choice(others)))
    return pairs


def test_an_off_topic_fluent_answer_scores_low(corpus, grader) -> None:
    for q, other in unrelated_pairs(corpus):
        grade = grader.grade(q, corpus.rubrics[q.id].expected_points(q.level), corpus.rubrics[other.id].model_answer)
        assert grade.score <= 2, (q.id, other.id, grade.score)


def test_a_vague_answer_is_not_inflated(corpus, grader) -> None:
    for q in open_questions(corpus):
        points = corpus.rubrics[q.id].expected_points(q.level)
        for vague in ("It depends on the data and the model.",
                      "There are many factors to consider, and the best approach depends on the situation."):
            assert grader.grade(q, points, vague).score <= 2, (q.id, vague)


def test_a_bare_keyword_list_scores_below_the_model_answer(corpus, grader) -> None:
    from bot.text import content_stems, point_claim, tokens

    for q in open_questions(corpus):
        rubric = corpus.rubrics[q.id]
        points = rubric.expected_points(q.level)
        keywords = {w for p in points for w in tokens(point_claim(p.text)) if content_stems(w)}
        grade = grader.grade(q, points, ", ".join(sorted(keywords)))
        full = grader.grade(q, points, rubric.model_answer)
        assert grade.score <= 5 and grade.score < full.score, (q.id, grade.score, full.score)


def test_a_junior_is_not_punished_for_missing_senior_only_points(corpus, grader) -> None:
    from bot.text import point_claim

    qid = next(qid for qid, r in corpus.rubrics.items() if any(p.min_level for p in r.points))
    q, rubric = corpus.questions[qid], corpus.rubrics[qid]
    basic = [p for p in rubric.points if p.min_level is None]
    answer = " ".join(f"In my view, {point_claim(p.text)}." for p in basic)
    junior = grader.grade(q, rubric.expected_points(Level.junior), answer)
    expert = grader.grade(q, rubric.expected_points(Level.expert), answer)
    assert len(junior.points) < len(expert.points)
    assert junior.score > expert.score
    assert junior.score >= 7, junior


def test_shuffled_sentences_score_within_one_point(corpus, grader) -> None:
    import random

    from bot.text import sentences

    for q in open_questions(corpus):
        rubric = corpus.rubrics[q.id]
        parts = sentences(rubric.model_answer)
        random.Random(q.id).shuffle(parts)
        points = rubric.expected_points(q.level)
        assert abs(grader.grade(q, points, " ".join(parts)).score
                   - grader.grade(q, points, rubric.model_answer).score) <= 1


PARAPHRASE = {"because": "since", "important": "key", "large": "big", "small": "little", "use": "employ",
              "uses": "employs", "helps": "aids", "often": "frequently", "quickly": "fast", "method": "technique",
              "however": "but", "therefore": "so", "different": "distinct", "problem": "issue"}


def test_a_light_paraphrase_scores_within_one_point(corpus, grader) -> None:
    import re

    for q in open_questions(corpus):
        rubric = corpus.rubrics[q.id]
        points = rubric.expected_points(q.level)
        reworded = re.sub(r"\b(" + "|".join(PARAPHRASE) + r")\b", lambda m: PARAPHRASE[m.group(1)], rubric.model_answer)
        reworded = "In short, " + reworded[0].lower() + reworded[1:]
        assert reworded != rubric.model_answer
        assert abs(grader.grade(q, points, reworded).score - grader.grade(q, points, rubric.model_answer).score) <= 1
