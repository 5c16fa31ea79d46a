"""The embedder gives the vectors the sentence-transformers library gives, keeps no state and writes
no environment; VectorCache remembers; a tokenizer or a model folder the word vectors cannot read is
refused with a sentence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer, models
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from bot.embeddings import (
    Embedder,
    SentenceTransformerEmbedder,
    TokenVectors,
    VectorCache,
    check_word_pieces,
    resolve_model_path,
)
from bot.settings import DEFAULT_EMBEDDING_MODEL


class Counting(Embedder):
    """One-hot-ish made-up vectors; counts every text it runs."""

    name, dim, supports_tokens = "counting", 4, True

    def __init__(self) -> None:
        self.ran: list[str] = []

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.vstack([tv.sentence for tv in self.token_batch(texts)])

    def token_batch(self, texts: list[str]) -> list[TokenVectors]:
        self.ran += texts
        return [TokenVectors(np.eye(4, dtype=np.float32)[len(t) % 4], t.split(), np.eye(4, dtype=np.float32)[:1])
                for t in texts]


def test_the_model_keeps_nothing_and_the_cache_runs_each_text_once() -> None:
    model = Counting()
    model.embed_tokens(["a b"])
    model.embed_tokens(["a b"])
    assert model.ran == ["a b", "a b"]  # an Embedder is stateless

    model.ran.clear()
    vectors = VectorCache(model, size=2)
    first = vectors.embed_tokens(["a b", "c", "a b"])
    assert model.ran == ["a b", "c"] and first[0] is first[2]
    assert np.array_equal(vectors.embed(["c"]), model.embed(["c"]))  # sentence vectors from the same pass
    model.ran.clear()
    vectors.embed_tokens(["d"])  # size 2: the least recently used ("a b") goes
    vectors.embed_tokens(["c", "a b"])
    assert model.ran == ["d", "a b"]


def test_pinned_vectors_stay_whatever_passes_through() -> None:
    model = Counting()
    vectors = VectorCache(model, size=1)
    vectors.pin({"a point": TokenVectors(np.ones(4, dtype=np.float32) / 2, ["a", "point"], np.eye(4)[:2])})
    vectors.embed_tokens(["x", "y", "z"])
    model.ran.clear()
    assert vectors.embed_tokens(["a point"])[0].words == ["a", "point"] and model.ran == []


def test_a_tokenizer_the_word_vectors_cannot_read_is_refused_with_a_sentence() -> None:
    check_word_pieces(AutoTokenizer.from_pretrained(str(resolve_model_path(DEFAULT_EMBEDDING_MODEL))), "minilm")
    bpe = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()))
    with pytest.raises(ValueError, match=r"'roberta-like' splits words with a BPE tokenizer.*BOT_EMBEDDING_MODEL"):
        check_word_pieces(bpe, "roberta-like")
    other_prefix = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordPiece(
        {"[UNK]": 0}, unk_token="[UNK]", continuing_subword_prefix="@@")))
    with pytest.raises(ValueError, match="WordPiece way"):
        check_word_pieces(other_prefix, "other")


def test_loading_the_model_writes_no_environment(monkeypatch, embedder) -> None:
    # the embedder fixture has loaded the model once: torch and friends set their own variables as they
    # import (TORCHINDUCTOR_CACHE_DIR), which is not this loader writing
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    before = dict(os.environ)
    SentenceTransformerEmbedder()
    assert dict(os.environ) == before  # app.py and the command line set the offline switches at start-up


REFERENCE = Path(__file__).parent / "data" / "minilm_reference_vectors.json"


def test_the_vectors_are_those_of_the_sentence_transformers_library(embedder) -> None:
    """The model is read with transformers directly (mean pooling, 256 tokens); the index, the graders'
    thresholds and the claim checker's training were all made with SentenceTransformer.encode's vectors,
    saved in the reference file for three texts (a short one, a spoken one, one past 256 tokens)."""
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    got = embedder.embed_tokens(ref["texts"])
    for tv, sentence, first_word, n in zip(got, ref["sentence"], ref["first_word"], ref["tokens"], strict=True):
        want = np.array(sentence) / np.linalg.norm(sentence)
        assert np.abs(tv.sentence - want).max() < 1e-5
        word = np.array(first_word) / np.linalg.norm(first_word)
        assert np.abs(tv.vectors[0] - word).max() < 1e-5
        assert len(tv.vectors) == n - 2  # every token but [CLS] and [SEP], the long text cut at 256
    assert embedder.dim == 384


def test_the_frozen_graph_gives_the_models_own_vectors(embedder) -> None:
    """The model runs as a frozen TorchScript graph (bot/frozen.py, faster); on a batch of texts of mixed
    lengths (padded, one cut at 256 tokens) its vectors are those the model itself gives."""
    texts = json.loads(REFERENCE.read_text(encoding="utf-8"))["texts"] + ["ok", "a somewhat longer sentence here"]
    assert embedder._graph is not None  # tracing failed: the app would embed more slowly
    graph, embedder._graph = embedder._graph, None
    try:
        plain = embedder.token_batch(texts)
    finally:
        embedder._graph = graph
    for a, b in zip(embedder.token_batch(texts), plain, strict=True):
        assert a.words == b.words
        assert np.abs(a.sentence - b.sentence).max() < 1e-5 and np.abs(a.vectors - b.vectors).max() < 1e-5


def test_batches_are_padded_to_a_multiple_of_16_tokens_and_the_padding_changes_no_vector(embedder) -> None:
    """In bfloat16 each new input shape costs the CPU's kernels a compile (bot/frozen.py, PAD_TO): the model is
    given widths that come back. A sentence read alone, or beside a long one, gives the same vectors."""
    from bot.frozen import PAD_TO

    widths, graph = [], embedder._graph

    def seen(x):
        widths.append(int(x["input_ids"].shape[1]))
        return graph(x)

    short, long = "Negative sampling updates a few words.", " ".join(["a long sentence of many words"] * 12)
    embedder._graph = seen
    try:
        alone, = embedder.token_batch([short])
        together = embedder.token_batch([short, long])[0]
    finally:
        embedder._graph = graph
    assert PAD_TO == 16 and widths and all(w % PAD_TO == 0 for w in widths), widths
    assert widths[0] < widths[1]  # padded to the batch's longest, not to the model's limit
    assert alone.words == together.words
    assert np.abs(alone.sentence - together.sentence).max() < 1e-5


def test_bfloat16_vectors_are_the_float32_ones_to_rounding(embedder) -> None:
    """Where the CPU multiplies bfloat16 natively the app embeds in it (bot/precision.py): the vectors
    must stay the library's to a cosine of 0.999, words and sentences, and the index is cached apart."""
    from bot.index import RubricIndex

    texts = json.loads(REFERENCE.read_text(encoding="utf-8"))["texts"]
    half = SentenceTransformerEmbedder(precision="bfloat16")
    assert half.precision == "bfloat16" and embedder.precision == "float32"
    for a, b in zip(embedder.embed_tokens(texts), half.embed_tokens(texts), strict=True):
        assert a.words == b.words
        assert float(a.sentence @ b.sentence) > 0.999
        assert float((a.vectors * b.vectors).sum(1).min()) > 0.99
    corpus = type("C", (), {"content_hash": "x"})()
    assert RubricIndex.cache_key(corpus, half) != RubricIndex.cache_key(corpus, embedder)


@pytest.mark.parametrize(("files", "says"), [
    ({"modules.json": [{"path": "", "type": "sentence_transformers.models.Transformer"},
                       {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                       {"path": "2_Dense", "type": "sentence_transformers.models.Dense"}]}, "has the modules"),
    ({"modules.json": [{"path": "", "type": "sentence_transformers.models.Transformer"},
                       {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}],
      "1_Pooling/config.json": {"pooling_mode_max_tokens": True}}, "pools its tokens with"),
])
def test_a_model_folder_the_app_cannot_read_is_refused_with_a_sentence(tmp_path, files, says) -> None:
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{says}.*BOT_EMBEDDING_MODEL"):
        SentenceTransformerEmbedder(str(tmp_path))
