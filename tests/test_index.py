"""The rubric index: cosine retrieval, hints from other questions, a cache that rebuilds itself."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from bot.assessor import Assessor
from bot.corpus import Level, load_corpus
from bot.embeddings import Embedder, TokenVectors, VectorCache
from bot.grading import Grade, Grader, GraderKind, PointGrade, Verdict
from bot.index import RubricIndex
from bot.services import build_assessor
from bot.text import point_claim, sentences
from tests.helpers import RUBRIC, write


class RecordingEmbedder(Embedder):
    """Made-up token vectors (a hash of each word); records every text it had to run."""

    name, dim, supports_tokens = "recording", 8, True

    def __init__(self) -> None:
        self.ran: list[str] = []

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.vstack([tv.sentence for tv in self.token_batch(texts)])

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        self.ran += texts
        out = []
        for text in texts:
            words = text.lower().split()
            vecs = np.array([np.frombuffer(hashlib.sha256(w.encode()).digest()[:8], np.uint8) for w in words],
                            dtype=np.float32) - 127.5
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            mean = vecs.mean(axis=0)
            out.append(TokenVectors(mean / np.linalg.norm(mean), words, vecs))
        return out


def test_retrieval_ranks_the_point_the_answer_matches_first(corpus, embedder) -> None:
    index = RubricIndex.build(corpus, VectorCache(embedder))
    assert len(index) == sum(len(r.points) for r in corpus.rubrics.values())
    qid = next(q.id for q in corpus.questions.values() if not q.options)
    points = corpus.rubrics[qid].expected_points(Level.expert)
    target = points[-1]
    result = index.retrieve(corpus.questions[qid], points, sentences(target.text))
    assert result.points[0].id == target.id and sorted(p.id for p in result.points) == sorted(p.id for p in points)
    assert result.hints and all(h.question_id != qid for h in result.hints)

    # The grader reads that order (the LLM prompt's, follow-up ties'); the feedback shows rubric order.
    class OrderGrader(Grader):
        kind = GraderKind.rubric

        def grade(self, question, rubric_points, answer, red_flags=()) -> Grade:
            read.append([p.id for p in rubric_points])
            return Grade(score=0, grader="rubric", points=[
                PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.missing) for p in rubric_points])

    read: list[list[str]] = []
    grade, _ = Assessor(corpus, index, OrderGrader()).grade_answer(corpus.questions[qid], points, target.text)
    assert read == [[p.id for p in result.points]]
    assert [g.point_id for g in grade.points] == [p.id for p in points]


def test_cache_is_reused_then_rebuilt_when_content_changes(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    cache = tmp_path / "cache"
    first = RubricIndex.open(load_corpus(tmp_path / "corpus", tmp_path / "rubrics"), VectorCache(embedder), cache)
    files = sorted(cache.glob("rubric-index-*.faiss"))
    assert len(files) == 1 and len(first) == 3

    again = RubricIndex.open(load_corpus(tmp_path / "corpus", tmp_path / "rubrics"), VectorCache(embedder), cache)
    assert len(again) == 3 and sorted(cache.glob("*.faiss")) == files  # loaded, nothing new written

    write(tmp_path, rubric=RUBRIC.format(weight=3))  # content changes -> new key, new index
    RubricIndex.open(load_corpus(tmp_path / "corpus", tmp_path / "rubrics"), VectorCache(embedder), cache)
    now = sorted(cache.glob("*.faiss"))
    assert len(now) == 1 and now != files  # and the old key's files are gone (about 60 MB each)
    assert {p.name.split(".")[0] for p in cache.iterdir()} == {now[0].stem}


def test_an_unreadable_cache_is_rebuilt_not_fatal(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    cache = tmp_path / "cache"
    RubricIndex.open(corpus, VectorCache(embedder), cache)
    faiss_file = next(cache.glob("*.faiss"))
    faiss_file.write_bytes(b"not a faiss index")
    rebuilt = RubricIndex.open(corpus, VectorCache(embedder), cache)
    assert len(rebuilt) == 3
    assert faiss_file.read_bytes() != b"not a faiss index"


def test_a_damaged_key_list_is_rebuilt_not_fatal(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    cache = tmp_path / "cache"
    RubricIndex.open(corpus, VectorCache(embedder), cache)
    keys = next(cache.glob("*.json"))
    for damage in ("{not json", '{"keys": [["t-001", "a"]]}', ""):  # broken, disagreeing with the index, empty
        keys.write_text(damage)
        assert len(RubricIndex.open(corpus, VectorCache(embedder), cache)) == 3
        assert keys.read_text() != damage  # rewritten


def test_a_cache_that_cannot_be_written_is_not_fatal(tmp_path: Path, embedder) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    index = RubricIndex.open(corpus, VectorCache(embedder), blocked)  # built in memory, saving fails with a warning
    assert len(index) == 3 and blocked.read_text().startswith("a file")


def test_points_and_questions_are_kept_as_word_vectors_with_the_index(tmp_path: Path) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    texts = [point_claim(p.text) for p in corpus.rubrics["t-001"].points] + [corpus.questions["t-001"].text]
    cache = tmp_path / "cache"
    rubric, question = corpus.rubrics["t-001"], corpus.questions["t-001"]
    profiled = [question.text, *(p.text for p in rubric.points), *sentences(rubric.model_answer)]  # bot/profiles.py
    first = RecordingEmbedder()
    first_vectors = VectorCache(first)
    built_index = RubricIndex.open(corpus, first_vectors, cache)
    assert sorted(first.ran) == sorted(texts + list(dict.fromkeys(profiled)))
    assert len(list(cache.glob("*.tokens.npz"))) == 1 and len(list(cache.glob("*.profiles.npz"))) == 1
    built = first_vectors.embed_tokens(texts)

    later = RecordingEmbedder()  # a restarted app: loads the cache and never runs the corpus again
    vectors = VectorCache(later)
    loaded_index = RubricIndex.open(corpus, vectors, cache)
    loaded = vectors.embed_tokens(texts)
    assert later.ran == []
    assert loaded_index.profiles.ids == built_index.profiles.ids == ["t-001"]
    assert np.array_equal(loaded_index.profiles.matrix, built_index.profiles.matrix)
    assert vectors.profiles is loaded_index.profiles  # where the claim grader finds them
    for a, b in zip(built, loaded, strict=True):
        assert a.words == b.words and np.array_equal(a.vectors, b.vectors) and np.array_equal(a.sentence, b.sentence)
    vectors.embed_tokens(["an answer sentence"])
    assert later.ran == ["an answer sentence"]


def test_damaged_word_vectors_are_rebuilt_not_fatal(tmp_path: Path) -> None:
    write(tmp_path)
    corpus = load_corpus(tmp_path / "corpus", tmp_path / "rubrics")
    cache = tmp_path / "cache"
    RubricIndex.open(corpus, VectorCache(RecordingEmbedder()), cache)
    tokens = next(cache.glob("*.tokens.npz"))
    good = tokens.read_bytes()
    for damage in (b"not an npz", good[: len(good) // 2]):
        tokens.write_bytes(damage)
        again = RecordingEmbedder()
        assert len(RubricIndex.open(corpus, VectorCache(again), cache)) == 3 and again.ran  # rebuilt
        assert tokens.read_bytes() == good  # and rewritten
    tokens.unlink()  # an index saved before word vectors were kept
    again = RecordingEmbedder()
    RubricIndex.open(corpus, VectorCache(again), cache)
    assert again.ran and tokens.exists()


def test_grading_runs_the_model_on_the_answer_alone(settings, embedder, corpus) -> None:
    ran: list[str] = []

    class Counting(Embedder):  # the real model, noting every text it runs
        name, dim, supports_tokens = embedder.name, embedder.dim, True

        def embed_batch(self, texts: list[str]) -> np.ndarray:
            return embedder.embed_batch(texts)

        def token_batch(self, texts: list[str]) -> list[TokenVectors]:
            ran.extend(texts)
            return embedder.token_batch(texts)

    assessor = build_assessor(settings, embedder=Counting())  # a fresh VectorCache: only the pinned corpus
    ran.clear()  # (building the index, if this run has not yet, runs the corpus once)
    q = next(q for q in corpus.questions.values() if not q.options)
    answer = corpus.rubrics[q.id].model_answer
    grade, _ = assessor.grade_answer(q, corpus.rubrics[q.id].expected_points(q.level), answer)
    assert grade.score > 0
    assert ran and set(ran) <= set(sentences(answer))
