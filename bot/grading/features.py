"""What the offline grader measures in an answer, per rubric point and as a whole.

Per point: the best sentence's embedding similarity, a soft recall of the point's own words
against the answer's contextual word vectors (BERTScore-like, words of the question dropped), and
the share of its content stems the answer uses. The answer's sentences go through the model
once; points and questions are pinned in the VectorCache the grader is given (services.py), so a
grade costs one forward pass.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bot.embeddings import Embedder, TokenVectors
from bot.text import STOPWORDS, content_stems, sentences, stem, stopword_share, tokens

# "I don't know" and friends: removed before deciding whether anything is left to grade
_NOT_AN_ANSWER = re.compile(
    r"\b(?:i\s+(?:do\s*n[o']?t|dont)\s+know|no\s+idea|not\s+sure|no\s+clue|i\s+forgot|idk|pass|skip|n/?a|sorry)\b",
    re.IGNORECASE)

FEATURES = (
    "tok_mean", "tok_min", "tok_max", "tok_gain", "sem_mean", "sem_min", "sem_max", "lex_mean", "lex_min",
    "precision", "sim_ref", "sim_q", "q_overlap", "novel_frac", "log_len", "len_ratio", "log_ref_len", "n_points",
)
# Words that say nothing on their own. Much shorter than STOPWORDS: "one", "all", "both" and
# "before" answer questions ("How many constructors can a class have?").
_FILLER = frozenset("""a an the is are was were be been being am it its this that these those they them their
there of to in on at by for with as and or but so i you we he she me my your our do does did""".split())

# Features where more evidence must never lower the score; the others may take either sign.
MONOTONE = frozenset(FEATURES[:11])


@dataclass(frozen=True)
class PointEvidence:
    semantic: float  # cosine of the point with its best sentence
    tokens: float  # soft recall of the point's words (question words dropped) in the whole answer
    lexical: float  # share of the point's content stems (beyond the question's) the answer uses
    sentence: int  # index of the sentence that best shows the point


@dataclass(frozen=True)
class Measures:
    sentences: list[str]
    points: list[PointEvidence]
    features: dict[str, float]
    non_answer: bool  # empty, "I don't know", or only the question's own words
    function_share: float  # share of function words; a bare keyword list has almost none
    word_count: int


def _content(tv: TokenVectors, drop: set[str] = frozenset()) -> tuple[list[str], np.ndarray]:
    keep = [i for i, w in enumerate(tv.words)
            if re.search(r"[a-z0-9]", w) and w not in STOPWORDS and (len(w) > 1 or w.isdigit())
            and stem(w) not in drop]
    return [tv.words[i] for i in keep], tv.vectors[keep]


def _recall(rows: np.ndarray, cols: np.ndarray) -> float:
    return float((rows @ cols.T).max(axis=1).mean()) if len(rows) and len(cols) else 0.0


def is_non_answer(answer: str, question: str, reference: str) -> bool:
    """Nothing beyond the question's own words, once "I don't know" is removed. A choice
    question ("by rows or by columns?") is answered from its own words, so there an answer
    that names the reference's choice counts."""
    def said(text: str) -> set[str]:
        return {stem(w) for w in tokens(text) if w not in _FILLER}

    left = said(_NOT_AN_ANSWER.sub(" ", answer))
    if not left:
        return True
    q = said(question)
    if left - q:
        return False
    ref = said(reference)
    return not (ref and ref <= q and left & ref)


def measure(embedder: Embedder, question: str, points: list[str], answer: str,
            weights: list[float] | None = None) -> Measures:
    """Per-point evidence and whole-answer features for one answer (points are claim texts)."""
    weights = np.asarray(weights or [1.0] * len(points), dtype=float)
    units = sentences(answer)
    words = tokens(answer)
    function_share = stopword_share(words)
    reference = " ".join(points)
    empty = [PointEvidence(0.0, 0.0, 0.0, 0) for _ in points]
    if not units or not points or is_non_answer(answer, question, reference):
        return Measures(units, empty, {}, True, function_share, len(words))

    q_stems = content_stems(question)
    q_tv, *rest = embedder.embed_tokens([question, *points, *units])  # one batch: one forward pass
    point_tvs, unit_tvs = rest[:len(points)], rest[len(points):]
    unit_vecs = np.vstack([u.sentence for u in unit_tvs])
    answer_words = [_content(u) for u in unit_tvs]
    a_vecs = np.vstack([v for _, v in answer_words]) if any(len(v) for _, v in answer_words) else np.zeros((0, 1))
    a_unit = np.concatenate([[j] * len(v) for j, (_, v) in enumerate(answer_words)]).astype(int)
    _, q_vecs = _content(q_tv)
    answer_stems = content_stems(answer)
    novel = answer_stems - q_stems

    evidence, gains, ref_rows = [], [], []
    # a sentence that only repeats the question shows no point, however similar it reads
    says_more = np.array([bool(content_stems(u) - q_stems) for u in units])
    for p_text, tv in zip(points, point_tvs, strict=True):
        _, p_vecs = _content(tv, drop=q_stems)
        if not len(p_vecs):
            _, p_vecs = _content(tv)
        ref_rows.append(p_vecs)
        sims = np.where(says_more, unit_vecs @ tv.sentence, -1.0)
        tok, best = 0.0, int(np.argmax(sims))
        if len(p_vecs) and len(a_vecs):
            m = p_vecs @ a_vecs.T
            tok = float(m.max(axis=1).mean())
            per_unit = [float(m[:, a_unit == j].max(axis=1).mean()) if (a_unit == j).any() else 0.0
                        for j in range(len(units))]
            best = int(np.argmax(np.asarray(per_unit) + 0.5 * sims))
        key = content_stems(p_text) - q_stems or content_stems(p_text)
        lexical = len(key & answer_stems) / len(key) if key else 0.0
        evidence.append(PointEvidence(float(sims.max()), tok, lexical, best))
        baseline = _recall(p_vecs, q_vecs)
        gains.append((tok - baseline) / max(0.05, 1.0 - baseline))

    tok = np.array([e.tokens for e in evidence])
    sem = np.array([e.semantic for e in evidence])
    lex = np.array([e.lexical for e in evidence])
    w = weights / weights.sum()
    ref_vec = np.mean([tv.sentence for tv in point_tvs], axis=0)
    ans_vec = unit_vecs.mean(axis=0)
    cos = lambda a, b: float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))  # noqa: E731
    ref_words = content_stems(reference)
    features = {
        "tok_mean": float(w @ tok), "tok_min": float(tok.min()), "tok_max": float(tok.max()),
        "tok_gain": float(w @ np.clip(gains, -1, 1)),
        "sem_mean": float(w @ sem), "sem_min": float(sem.min()), "sem_max": float(sem.max()),
        "lex_mean": float(w @ lex), "lex_min": float(lex.min()),
        "precision": _recall(a_vecs, np.vstack(ref_rows)) if len(a_vecs) else 0.0,
        "sim_ref": cos(ans_vec, ref_vec), "sim_q": cos(ans_vec, q_tv.sentence),
        "q_overlap": len(answer_stems & q_stems) / len(answer_stems) if answer_stems else 0.0,
        "novel_frac": len(novel) / len(answer_stems) if answer_stems else 0.0,
        "log_len": math.log1p(len(answer_stems)), "len_ratio": min(3.0, len(answer_stems) / max(1, len(ref_words))),
        "log_ref_len": math.log1p(len(ref_words)), "n_points": float(len(points)),
    }
    return Measures(units, evidence, features, False, function_share, len(words))
