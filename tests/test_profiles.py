"""Where an answer sits among the bank's questions (bot/profiles.py): one vector per question, and the margin by
which an answer is nearer another question than its own."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bot.profiles import QuestionProfiles
from bot.text import sentences


def hashed(texts: list[str]) -> np.ndarray:
    """Made-up unit vectors, one per text (a hash of it)."""
    vecs = np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], np.uint8) for t in texts],
                    dtype=np.float32) - 127.5
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_a_profile_is_the_mean_of_its_questions_text_points_and_model_answer(corpus) -> None:
    profiles = QuestionProfiles.build(corpus, hashed)
    assert profiles.ids == sorted(q for q in corpus.rubrics if q in corpus.questions)
    assert profiles.matrix.shape == (len(profiles.ids), 16)
    assert np.allclose(np.linalg.norm(profiles.matrix, axis=1), 1.0, atol=1e-5)
    qid = profiles.ids[0]
    rubric = corpus.rubrics[qid]
    texts = [corpus.questions[qid].text, *(p.text for p in rubric.points), *sentences(rubric.model_answer)]
    mean = hashed(texts).mean(axis=0)
    assert np.allclose(profiles.matrix[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_the_margin_is_the_own_question_less_the_nearest_other() -> None:
    profiles = QuestionProfiles(["a", "b", "c"], np.eye(3, dtype=np.float32))
    answer = np.array([[0.6, 0.8, 0.0], [0.6, 0.8, 0.0]])  # its sentences, nearer b than a
    margin, other = profiles.nearest_other("a", answer)
    assert other == "b" and margin == pytest.approx(0.6 - 0.8)
    margin, other = profiles.nearest_other("b", answer)
    assert other == "a" and margin == pytest.approx(0.2)
    assert profiles.nearest_other("z", answer) is None  # a question without a profile
    assert profiles.nearest_other("a", np.zeros((0, 3))) is None


def test_profiles_without_model_answers_and_one_row_swapped(corpus) -> None:
    full = QuestionProfiles.build(corpus, hashed)
    bare = QuestionProfiles.build(corpus, hashed, model_answers=False)
    qid = full.ids[1]
    texts = [corpus.questions[qid].text, *(p.text for p in corpus.rubrics[qid].points)]
    mean = hashed(texts).mean(axis=0)
    assert np.allclose(bare.matrix[1], mean / np.linalg.norm(mean), atol=1e-5)
    swapped = full.with_row(qid, bare)
    assert np.array_equal(swapped.matrix[1], bare.matrix[1])
    assert np.array_equal(np.delete(swapped.matrix, 1, axis=0), np.delete(full.matrix, 1, axis=0))
    assert not np.array_equal(full.matrix[1], bare.matrix[1])  # the original is left as it was


def test_first_person_tells_a_story_from_an_explanation() -> None:
    from bot.text import first_person

    assert first_person("I built the index") and first_person("Our team\u2019s model") and first_person("we shipped.")
    assert not first_person("The model uses word2vec.") and not first_person("It runs in the US and the EU.")
