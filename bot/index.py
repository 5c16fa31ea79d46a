"""RubricIndex: every rubric point embedded into a FAISS inner-product index (cosine).

The index is cached on disk under a key made of the corpus content hash and the embedding
model (and its precision), so it is loaded on start and rebuilt by itself when the questions or rubrics change.
Beside it are the contextual word vectors of every point, question and red flag (where the
embedder gives them): pinned in the VectorCache the index is given, which the graders read too, so
grading an answer runs the model on the answer alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from bot.corpus import Corpus, Question, RubricPoint
from bot.embeddings import Embedder, TokenVectors, VectorCache, pack_tokens, unpack_tokens
from bot.profiles import QuestionProfiles
from bot.records import Hint
from bot.text import point_claim

log = logging.getLogger(__name__)
INDEX_FORMAT = 4  # 3: red-flag claims pinned too (the claim grader reads them); 4: each question's profile


@dataclass(frozen=True)
class Retrieval:
    """The asked question's points, nearest the answer first, and hints from other questions.

    The order is what a grader reads: the LLM's prompt lists the points in it, and among points
    equally weak the follow-ups probe first the one the answer came closest to
    (grading.probe_follow_ups keeps the order of ties). The feedback shows rubric order."""

    points: list[RubricPoint]
    hints: list[Hint]


class RubricIndex:
    """`vectors` embeds the answers' sentences and keeps the corpus's word vectors pinned."""

    def __init__(self, corpus: Corpus, vectors: VectorCache, index: faiss.Index,
                 keys: list[tuple[str, str]], tokens: dict[str, TokenVectors] | None = None,
                 profiles: QuestionProfiles | None = None) -> None:
        self.corpus = corpus
        self.vectors = vectors
        self._index = index
        self._keys = keys
        self._row_of = {key: row for row, key in enumerate(keys)}
        self._tokens = tokens
        self.profiles = profiles
        if tokens:
            vectors.pin(tokens)
        vectors.profiles = profiles  # read by the claim grader, which is handed the VectorCache

    def __len__(self) -> int:
        return self._index.ntotal

    @staticmethod
    def cache_key(corpus: Corpus, embedder: Embedder) -> str:
        raw = f"{INDEX_FORMAT}|{corpus.content_hash}|{embedder.name}|{embedder.dim}|{embedder.precision}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    @classmethod
    def build(cls, corpus: Corpus, vectors: VectorCache) -> RubricIndex:
        keys = [(qid, p.id) for qid, rubric in sorted(corpus.rubrics.items()) for p in rubric.points]
        texts = [point_claim(corpus.rubrics[qid].points_by_id[pid].text) for qid, pid in keys]
        tokens = None
        if vectors.supports_tokens:  # what the graders read of every point, question and red flag, in one pass
            asked = [q.text for q in corpus.questions.values() if not q.options]
            flags = [f.claim for rubric in corpus.rubrics.values() for f in rubric.red_flags]
            everything = list(dict.fromkeys([*texts, *asked, *flags]))
            tokens = dict(zip(everything, vectors.token_batch(everything), strict=True))  # pinned, not kept twice
            points = np.vstack([tokens[t].sentence for t in texts])
        else:
            points = vectors.embed(texts)
        index = faiss.IndexFlatIP(vectors.dim)
        index.add(points)
        # the profiles' texts (model answers' sentences among them) straight through the model: the cache keeps answers
        model = getattr(vectors, "embedder", vectors)
        return cls(corpus, vectors, index, keys, tokens, QuestionProfiles.build(corpus, model.embed))

    @classmethod
    def open(cls, corpus: Corpus, vectors: VectorCache, cache_dir: Path) -> RubricIndex:
        """Load the cached index for this corpus and model, or build and save it."""
        key = cls.cache_key(corpus, vectors)
        base = Path(cache_dir) / f"rubric-index-{key}"
        try:
            loaded = cls._load(corpus, vectors, base)
        except Exception as exc:  # an unreadable cache is rebuilt, never fatal
            log.warning("rubric index cache %s unreadable (%s); rebuilding", base, exc)
            loaded = None
        if loaded is not None:
            return loaded
        built = cls.build(corpus, vectors)
        try:
            built.save(base)
        except OSError as exc:
            log.warning("could not save the rubric index to %s (%s); it will be rebuilt next start", base, exc)
        else:
            _remove_others(base)
        return built

    @classmethod
    def _load(cls, corpus: Corpus, vectors: VectorCache, base: Path) -> RubricIndex | None:
        faiss_path, keys_path = base.with_suffix(".faiss"), base.with_suffix(".json")
        tokens_path, profiles_path = base.with_suffix(".tokens.npz"), base.with_suffix(".profiles.npz")
        if not (faiss_path.exists() and keys_path.exists() and profiles_path.exists()):
            return None
        if vectors.supports_tokens and not tokens_path.exists():
            return None
        keys = [tuple(k) for k in json.loads(keys_path.read_text())["keys"]]
        index = faiss.read_index(str(faiss_path))
        if index.ntotal != len(keys) or index.d != vectors.dim:
            raise ValueError("index and key list disagree")
        tokens = None
        if vectors.supports_tokens:
            with np.load(tokens_path, allow_pickle=False) as arrays:
                tokens = unpack_tokens(dict(arrays))
            if any(tv.vectors.shape[1:] != (vectors.dim,) for tv in tokens.values()):
                raise ValueError("token vectors are not of the model's size")
        with np.load(profiles_path, allow_pickle=False) as arrays:
            profiles = QuestionProfiles([str(i) for i in arrays["ids"]], arrays["matrix"])
        if profiles.matrix.shape != (len(profiles.ids), vectors.dim):
            raise ValueError("question profiles are not of the model's size")
        return cls(corpus, vectors, index, keys, tokens, profiles)  # type: ignore[arg-type]

    def save(self, base: Path) -> None:
        base.parent.mkdir(parents=True, exist_ok=True)
        writes = [(".faiss", lambda p: faiss.write_index(self._index, p)),
                  (".json", lambda p: Path(p).write_text(json.dumps({"keys": self._keys})))]
        if self._tokens:
            writes.append((".tokens.npz", self._save_tokens))
        if self.profiles is not None:
            writes.append((".profiles.npz", self._save_profiles))
        for suffix, write in writes:
            tmp = base.with_suffix(suffix + ".tmp")
            write(str(tmp))
            os.replace(tmp, base.with_suffix(suffix))

    def _save_tokens(self, path: str) -> None:
        with open(path, "wb") as f:  # a file object: np.savez would add ".npz" to the temporary name
            np.savez(f, **pack_tokens(self._tokens or {}))

    def _save_profiles(self, path: str) -> None:
        with open(path, "wb") as f:
            np.savez(f, ids=np.array(self.profiles.ids), matrix=self.profiles.matrix)

    def point_vector(self, question_id: str, point: RubricPoint) -> np.ndarray:
        """The indexed vector of a point (embedded afresh if the point is not in the index)."""
        row = self._row_of.get((question_id, point.id))
        if row is None:
            return self.vectors.embed([point_claim(point.text)])[0]
        return self._index.reconstruct(row)

    def retrieve(self, question: Question, points: list[RubricPoint], answer_sentences: list[str],
                 hints: int = 3) -> Retrieval:
        """`points` of the asked question, nearest the answer first (each by its best sentence's
        cosine; a stable sort, so ties keep rubric order), plus hints."""
        if not answer_sentences:
            return Retrieval(list(points), [])
        sent_vecs = self.vectors.embed(answer_sentences)
        nearness = [float(np.max(sent_vecs @ self.point_vector(question.id, p))) for p in points]
        order = sorted(range(len(points)), key=lambda i: nearness[i], reverse=True)
        return Retrieval([points[i] for i in order], self._hints(question, sent_vecs, hints))

    def _hints(self, question: Question, sent_vecs: np.ndarray, k: int) -> list[Hint]:
        query = sent_vecs.mean(axis=0, keepdims=True)
        query /= max(float(np.linalg.norm(query)), 1e-12)
        own = len(self.corpus.rubrics[question.id].points) if question.id in self.corpus.rubrics else 0
        scores, rows = self._index.search(query.astype(np.float32), min(len(self), own + 4 * k))
        seen: set[str] = set()
        out: list[Hint] = []
        for score, row in zip(scores[0], rows[0], strict=True):
            if row < 0:
                continue
            qid, pid = self._keys[row]
            if qid == question.id or qid in seen:
                continue
            seen.add(qid)
            out.append(Hint(qid, self.corpus.questions[qid].text,
                            self.corpus.rubrics[qid].points_by_id[pid].text, float(score)))
            if len(out) == k:
                break
        return out


def _remove_others(base: Path) -> None:
    """Drop the caches of earlier corpora or models (about 60 MB each): a corpus edit makes a new
    key, and nothing reads the old one again."""
    for path in base.parent.glob("rubric-index-*"):
        if not path.name.startswith(base.name + "."):
            try:
                path.unlink()
            except OSError as exc:
                log.warning("could not remove the old index cache %s (%s)", path, exc)
