"""Corpus loading: the real corpus validates; broken files give one sentence naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus import Category, CorpusError, Level, load_corpus
from tests.helpers import QUESTION, RUBRIC, write


def load(tmp: Path):
    return load_corpus(tmp / "corpus", tmp / "rubrics")


def test_the_real_corpus_loads(corpus) -> None:
    assert len(corpus.questions) >= 4
    assert set(corpus.questions) == set(corpus.rubrics)


def test_a_valid_file_loads_with_level_aware_points(tmp_path: Path) -> None:
    c = load(write(tmp_path))
    rubric = c.rubrics["t-001"]
    assert [p.id for p in rubric.expected_points(Level.mid)] == ["a", "b"]
    assert [p.id for p in rubric.expected_points(Level.senior)] == ["a", "b", "c"]


@pytest.mark.parametrize(("question", "rubric", "expected"), [
    (QUESTION.format(level="guru"), RUBRIC.format(weight=2), "embedding-engineer.yaml: questions[t-001].level"),
    (QUESTION.format(level="mid"), RUBRIC.format(weight=0), "embedding-engineer.yaml: rubrics.t-001.points[b].weight"),
    (QUESTION.format(level="mid"), "rubrics: {}\n", "question 't-001' has no rubric"),
    (QUESTION.format(level="mid"), "rubrics:\n  t-001: [unclosed\n", "not valid YAML at line"),
    (QUESTION.format(level="mid") + QUESTION.format(level="mid").replace("questions:\n", ""),
     RUBRIC.format(weight=2), "'t-001' is used twice"),
])
def test_a_broken_file_names_the_file_and_field(tmp_path: Path, question: str, rubric: str, expected: str) -> None:
    with pytest.raises(CorpusError) as err:
        load(write(tmp_path, question, rubric))
    assert expected in str(err.value)
    assert "Traceback" not in str(err.value)


def test_a_multiple_choice_question_needs_exactly_one_correct_option(tmp_path: Path) -> None:
    mcq = QUESTION.format(level="mid").replace("category: concept", "category: mcq") + (
        "    options:\n      - {text: one, correct: true}\n      - {text: two, correct: true}\n")
    with pytest.raises(CorpusError, match="exactly one option marked correct"):
        load(write(tmp_path, mcq))


def test_common_points_are_added_to_their_category(tmp_path: Path) -> None:
    write(tmp_path, QUESTION.format(level="mid").replace("category: concept", "category: behavioral"))
    (tmp_path / "rubrics" / "common.yaml").write_text(
        "by_category:\n  behavioral:\n    - {id: star-result, text: gives the result, weight: 1, probe: 'And then?'}\n")
    c = load(tmp_path)
    assert c.questions["t-001"].category is Category.behavioral
    assert [p.id for p in c.rubrics["t-001"].points][-1] == "star-result"


def test_content_hash_changes_with_the_content(tmp_path: Path) -> None:
    before = load(write(tmp_path)).content_hash
    after = load(write(tmp_path, rubric=RUBRIC.format(weight=3))).content_hash
    assert before != after
