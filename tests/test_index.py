"""The rubric index: cosine retrieval, hints from other questions, a cache that rebuilds itself."""

from __future__ import annotations

from pathlib import Path

from bot.corpus import Level, load_corpus
from bot.index import RubricIndex
from bot.text import sentences
from tests.test_corpus_loading import RUBRIC, write


def test_retrieval_ranks_the_point_the_answer_matches_first(corpus, embedder) -> None:
    index = RubricIndex.build(corpus, embedder)
    assert len(index) == sum(len(r.points) for r in corpus.rubrics.values())
    qid = next(q.id for q in corpus.questions.values() if not q.options)
    points = corpus.rubrics[qid].expected_points(Level.expert)
    target = points[-1]
    result = index.retrieve(corpus.questions[qid], points, sentences(target.text))
    assert result.ranked[0].point.id == target.id
    assert [r.similarity for r in result.ranked] == sorted((r.similarity for r in result.ranked), reverse=True)
    assert result.hints and all(h.question_id != qid for h in result.hints)


def test_cache_is_reused_then_rebuilt_when_content_changes(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    cache = tmp_path / "cache"
    first = RubricIndex.open(load_corpus(tmp_path / "corpus", tmp_path / "rubrics"), embedder, cache)
    files = sorted(cache.glob("rubric-index-*.faiss"))
    assert len(files) == 1 and len(first) == 3

    again = RubricIndex.open(load_corpus(tmp_path / "corpus", tmp_path / "rubrics"), embedder, cache)
    assert len(again) == 3 and sorted(cache.glob("*.faiss")) == files  # loaded, nothing new written

    write(tmp_path, rubric=RUBRIC.format(weight=3))  # content changes -> new key, new index
    RubricIndex.open(load_corpus(tmp_path / "corpus", tmp_path / "rubrics"), embedder, cache)
    assert len(list(cache.glob("*.faiss"))) == 2


def test_an_unreadable_cache_is_rebuilt_not_fatal(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    cache = tmp_path / "cache"
    RubricIndex.open(corpus, embedder, cache)
    faiss_file = next(cache.glob("*.faiss"))
    faiss_file.write_bytes(b"not a faiss index")
    rebuilt = RubricIndex.open(corpus, embedder, cache)
    assert len(rebuilt) == 3
    assert faiss_file.read_bytes() != b"not a faiss index"


def test_a_damaged_key_list_is_rebuilt_not_fatal(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    cache = tmp_path / "cache"
    RubricIndex.open(corpus, embedder, cache)
    keys = next(cache.glob("*.json"))
    for damage in ("{not json", '{"keys": [["t-001", "a"]]}', ""):  # broken, disagreeing with the index, empty
        keys.write_text(damage)
        assert len(RubricIndex.open(corpus, embedder, cache)) == 3
        assert keys.read_text() != damage  # rewritten


def test_a_cache_that_cannot_be_written_is_not_fatal(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    index = RubricIndex.open(corpus, embedder, blocked)  # built in memory, saving fails with a warning
    assert len(index) == 3 and blocked.read_text().startswith("a file")
