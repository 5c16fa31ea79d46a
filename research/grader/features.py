"""Feature extraction for the offline short-answer grader.

Pure functions, no state built at import time (the lemma cache is filled lazily).

    split_points(reference) -> list[str]
    extract(question, points, answer, embed) -> (features, per_point)

`embed(list[str]) -> np.ndarray` must return L2-normalised rows (e.g. all-MiniLM-L6-v2).
All texts needed for one answer are embedded in ONE call to `embed`.
"""
from __future__ import annotations

import functools
import math
import re

import numpy as np

# ---------------------------------------------------------------- constants
STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can cannot could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is isn't it it's its itself just let me
more most my myself no nor not of off on once only or other ought our ours ourselves out over own same she
should so some such than that that's the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with would you
your yours yourself yourselves also may might must shall use used using one two etc e.g i.e thing things
way ways get gets make makes like basically called well much many
""".split())

# Unit of "not an answer": after removing these the answer is empty.
NON_ANSWER_PATTERNS = [
    r"\bi\s+(do\s*n[o']?t|dont|do not)\s+know\b", r"\bno\s+idea\b", r"\bnot\s+sure\b", r"\bno\s+clue\b",
    r"\bi\s+forgot\b", r"\bi\s+have\s+no\s+idea\b", r"\bpass\b", r"\bskip\b", r"\bn/?a\b", r"\bidk\b",
]

# minimal function-word list for non-answer detection (quantifiers / numbers / "before" stay content:
# "one", "all of them", "O(n)", "before they are used" are real answers)
NA_STOP = frozenset("""a an the is are was were be been being am it its this that these those they them
their there of to in on at by for with as and or but so i you we he she me my your our it's do does did
""".split())
WIN_WORDS = 16      # sliding window width (words)
WIN_STRIDE = 10     # sliding window stride (words)
MAX_UNITS = 24      # cap on answer units embedded (speed guard)


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9+#'_-]*|\d+(?:\.\d+)?")
_SENT_RE = re.compile(r"(?<=[.!?;])\s+|\n+")


# ---------------------------------------------------------------- text helpers
@functools.lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    w = word.lower().strip("'-_")
    try:
        import simplemma  # optional dependency; ships its own data
        return simplemma.lemmatize(w, lang="en").lower()
    except ImportError:  # crude fallback stemmer
        for suf in ("ing", "ed", "es", "s"):
            if w.endswith(suf) and len(w) > len(suf) + 2:
                return w[: -len(suf)]
        return w


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text or "")


def content_lemmas(text: str) -> list[str]:
    out = []
    for w in words(text):
        lw = w.lower()
        if lw in STOPWORDS or len(lw) < 2 and not lw.isdigit():
            continue
        lem = _lemma(lw)
        if lem in STOPWORDS:
            continue
        out.append(lem)
    return out


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENT_RE.split(text or "") if p and p.strip()]
    return [p for p in parts if words(p)]


def split_points(reference: str) -> list[str]:
    """Reference answer -> rubric points: sentences / semicolon clauses; long sentences
    are further cut at ', and' / ', or' / ', but' / ', while' / ', whereas' boundaries
    when both sides keep >= 3 content words."""
    pts: list[str] = []
    for s in split_sentences(reference):
        pieces = [s]
        if len(content_lemmas(s)) >= 10:
            pieces = re.split(r",\s+(?=(?:and|or|but|while|whereas|which|so)\b)|\s+(?:whereas|while)\s+", s)
            merged: list[str] = []
            for p in pieces:
                if merged and len(content_lemmas(p)) < 3:
                    merged[-1] = merged[-1] + ", " + p
                elif merged and len(content_lemmas(merged[-1])) < 3:
                    merged[-1] = merged[-1] + ", " + p
                else:
                    merged.append(p)
            pieces = merged
        pts.extend(p.strip(" ,;") for p in pieces if content_lemmas(p))
    if not pts and (reference or "").strip():
        pts = [reference.strip()]
    return pts


def answer_units(answer: str) -> list[str]:
    """Sentences plus sliding word windows (catch points stated inside long sentences)."""
    sents = split_sentences(answer)
    units = list(sents)
    toks = (answer or "").split()
    if len(toks) > WIN_WORDS:
        for start in range(0, len(toks) - WIN_WORDS + WIN_STRIDE, WIN_STRIDE):
            units.append(" ".join(toks[start:start + WIN_WORDS]))
    seen, out = set(), []
    for u in units:
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out[:MAX_UNITS]


def is_non_answer(answer: str, question: str, reference: str = "") -> bool:
    """Empty, 'I don't know' style, or only restating the question. An answer made only of
    question words still counts when the reference itself is made of question words
    (choice questions: "stored by rows or by columns?" -> "by rows") and it uses one of them."""
    a = (answer or "").strip().lower()
    if not words(a):
        return True
    stripped = a
    for p in NON_ANSWER_PATTERNS:
        stripped = re.sub(p, " ", stripped)
    cl = [_lemma(w.lower()) for w in words(stripped) if w.lower() not in NA_STOP]
    if not cl:
        return True
    qset = {_lemma(w.lower()) for w in words(question)}
    if not all(c in qset for c in cl):
        return False
    rset = {_lemma(w.lower()) for w in words(reference) if w.lower() not in NA_STOP}
    if rset and rset <= qset:             # choice question: the answer is picked from the question
        return not (set(cl) & rset)
    return True


def demote(text: str, qset: set[str]) -> str:
    """Drop words whose lemma appears in the question (question demoting)."""
    kept = [w for w in words(text) if _lemma(w.lower()) not in qset]
    return " ".join(kept)


# ---------------------------------------------------------------- embedding interface
def make_embedder(model, batch_size: int = 16):
    """Wrap a SentenceTransformer: embed(texts) -> normalised rows;
    embed(texts, with_tokens=True) -> (rows, [(wordpieces, normalised token vectors)]).
    One forward pass yields both (output_value=None)."""
    tokzr = model.tokenizer

    def embed(texts, with_tokens=False):
        if not with_tokens:
            return np.asarray(model.encode(list(texts), normalize_embeddings=True, batch_size=batch_size))
        outs = model.encode(list(texts), output_value=None, batch_size=batch_size)
        E, toks = [], []
        for o in outs:
            e = o["sentence_embedding"].float().numpy()
            E.append(e / max(1e-9, float(np.linalg.norm(e))))
            am = o["attention_mask"].numpy().astype(bool)
            ids = o["input_ids"].numpy()[am].tolist()
            tv = o["token_embeddings"].float().numpy()[am]
            toks.append((tokzr.convert_ids_to_tokens(ids), tv))
        return np.vstack(E).astype(np.float32), toks

    embed.supports_tokens = True
    return embed


def _token_view(toks_vecs, drop: set[str] | None = None):
    """Wordpieces -> (word of each kept piece, unit vectors) keeping content pieces only."""
    toks, vecs = toks_vecs
    word_of, ws = [], []
    for t in toks:
        if t.startswith("##") and ws:
            ws[-1] += t[2:]
        else:
            ws.append(t)
        word_of.append(len(ws) - 1)
    keep, kw = [], []
    for i, t in enumerate(toks):
        if t in ("[CLS]", "[SEP]", "[PAD]") or not re.search(r"[a-z0-9]", t):
            continue
        w = ws[word_of[i]]
        if w in STOPWORDS:
            continue
        if drop is not None and _lemma(w) in drop:
            continue
        keep.append(i)
        kw.append(w)
    v = np.asarray(vecs, dtype=np.float32)[keep] if keep else np.zeros((0, 384), np.float32)
    if len(v):
        v = v / np.maximum(1e-6, np.linalg.norm(v, axis=1, keepdims=True))
    return kw, v


# ---------------------------------------------------------------- coverage mapping
# per-point coverage degree = ramp(soft token recall of the point's non-question words)
COV_LO, COV_HI = 0.25, 0.70


def ramp(x: float, lo: float = COV_LO, hi: float = COV_HI) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


FEATURE_NAMES = [
    # sentence-embedding per-point coverage (max over answer sentences / windows / whole answer)
    "cov_mean", "cov_min", "covq_mean",
    # token-level soft alignment (MiniLM contextual token vectors, BERTScore-like)
    "tok_R", "tok_P", "tok_Rq", "tok_Pq", "tok_Rgain", "tok_Rd",
    # per-point token recall (question words demoted) -> coverage degree
    "ptR_mean", "ptR_min", "pt_mean", "pt_min", "ptR_gain", "ptR_units", "q_ptR", "q_ref_sim",
    # whole-answer similarity
    "sim_ref", "sim_ref_demoted", "sim_q",
    # lexical alignment (lemmas, question demoted; 5-char stems for misspellings/derivations)
    "lex_mean", "lex_min", "lex_recall", "lex_precision", "lex_recall_all", "stem_recall", "stem_precision",
    # question restating / novelty, length
    "q_overlap", "novel_frac", "log_len", "len_ratio", "log_ref_len", "n_points",
]


def _stem(w: str) -> str:
    return w[:5]


# ---------------------------------------------------------------- main entry
def extract(question: str, points: list[str], answer: str, embed):
    """Return (features: dict[name -> float], per_point: list[{point, coverage, evidence, ...}]).

    `embed` must accept (texts, with_tokens=True) -- see make_embedder()."""
    points = [p.strip() for p in points if p and p.strip()] or [""]
    qset = set(content_lemmas(question))
    ans_cl = content_lemmas(answer)
    ref_text = " ".join(points)
    ref_cl = content_lemmas(ref_text)
    non_answer = is_non_answer(answer, question, " ".join(points))
    P = len(points)

    f = {k: 0.0 for k in FEATURE_NAMES}
    f["log_ref_len"] = math.log1p(len(ref_cl))
    f["n_points"] = float(P)
    if non_answer:
        f["non_answer"] = 1.0
        return f, [{"point": p, "coverage": 0.0, "token_recall": 0.0, "semantic": 0.0, "lexical": 0.0,
                    "evidence": ""} for p in points]

    units = answer_units(answer)
    ans_dem = demote(answer, qset)
    ref_dem = demote(ref_text, qset) or ref_text
    texts = [question or "", ref_text, ref_dem] + points + [answer, ans_dem or answer] + units
    E, TK = embed(texts, with_tokens=True)
    E = np.asarray(E, dtype=np.float32)
    eq, eref, erefd = E[0], E[1], E[2]
    EP = E[3:3 + P]
    ia = 3 + P
    ea, ead = E[ia], E[ia + 1]
    all_units = [answer] + units
    EU = np.vstack([ea[None, :], E[ia + 2:]])

    # --- sentence-level per-point coverage
    S = EP @ EU.T
    best_sent = S.argmax(axis=1)
    cov = S.max(axis=1)
    pt_q = EP @ eq
    covq = np.clip((cov - pt_q) / np.maximum(1e-3, 1.0 - pt_q), 0.0, 1.0)
    f["cov_mean"], f["cov_min"], f["covq_mean"] = float(cov.mean()), float(cov.min()), float(covq.mean())

    # --- token-level soft alignment
    qw, qv = _token_view(TK[0])
    rw, rv = _token_view(TK[1])
    aw, av = _token_view(TK[ia])
    if len(av) and len(rv):
        St = rv @ av.T
        rm, am = St.max(axis=1), St.max(axis=0)
        f["tok_R"], f["tok_P"] = float(rm.mean()), float(am.mean())
        if len(qv):
            rq = np.clip((rv @ qv.T).max(axis=1), 0, 1)
            aq = np.clip((av @ qv.T).max(axis=1), 0, 1)
            dq, da = 1 - rq, 1 - aq
            f["tok_Rq"] = float((rm * dq).sum() / max(1e-6, dq.sum()))
            f["tok_Pq"] = float((am * da).sum() / max(1e-6, da.sum()))
            f["tok_Rgain"] = float(np.clip(rm - rq, 0, None).mean())
        else:
            f["tok_Rq"], f["tok_Pq"], f["tok_Rgain"] = f["tok_R"], f["tok_P"], f["tok_R"]
        rdw, rdv = _token_view(TK[1], drop=qset)
        adw, adv = _token_view(TK[ia], drop=qset)
        f["tok_Rd"] = float((rdv @ adv.T).max(axis=1).mean()) if len(rdv) and len(adv) else 0.0

    # --- per-point token recall (question words dropped unless the point is only question words)
    ptR = np.zeros(P)
    ptRq = np.zeros(P)          # what the question alone already "covers" of each point
    ptRu = np.zeros(P)          # recall against the union of sentence/window token vectors
    best_tok_unit = np.zeros(P, dtype=int)
    unit_views = [_token_view(TK[ia])] + [_token_view(TK[ia + 2 + j]) for j in range(len(units))]
    for i in range(P):
        pw, pv = _token_view(TK[3 + i], drop=qset)
        if len(pv) == 0:
            pw, pv = _token_view(TK[3 + i])
        if len(pv) == 0 or len(av) == 0:
            continue
        ptR[i] = float((pv @ av.T).max(axis=1).mean())
        ptRq[i] = float((pv @ qv.T).max(axis=1).mean()) if len(qv) else 0.0
        uv_all = [uv for _, uv in unit_views if len(uv)]
        ptRu[i] = float((pv @ np.vstack(uv_all).T).max(axis=1).mean()) if uv_all else ptR[i]
        # evidence: the sentence/window with the best token recall of this point
        best_j, best_v = 0, -1.0
        for j, (uw, uv) in enumerate(unit_views):
            if j == 0 and len(unit_views) > 1:
                continue  # prefer a sentence/window over the whole answer as evidence
            if len(uv) == 0:
                continue
            v = float((pv @ uv.T).max(axis=1).mean()) + 0.25 * float(S[i, j])
            if v > best_v:
                best_j, best_v = j, v
        best_tok_unit[i] = best_j

    # --- lexical
    ans_set = set(ans_cl)
    lex = []
    for p in points:
        pc = [c for c in set(content_lemmas(p)) if c not in qset] or list(set(content_lemmas(p)))
        lex.append(sum(c in ans_set for c in pc) / len(pc) if pc else 0.0)
    lex = np.asarray(lex)
    f["lex_mean"], f["lex_min"] = float(lex.mean()), float(lex.min())
    rn = {c for c in ref_cl if c not in qset}
    an = {c for c in ans_cl if c not in qset}
    inter = rn & an
    f["lex_recall"] = len(inter) / len(rn) if rn else 0.0
    f["lex_precision"] = len(inter) / len(an) if an else 0.0
    rs = set(ref_cl)
    f["lex_recall_all"] = len(rs & ans_set) / len(rs) if rs else 0.0
    rst, ast = {_stem(c) for c in rn}, {_stem(c) for c in an}
    f["stem_recall"] = len(rst & ast) / len(rst) if rst else 0.0
    f["stem_precision"] = len(rst & ast) / len(ast) if ast else 0.0

    # --- coverage degree per point (what the app shows; the model's main input)
    pt = np.array([max(ramp(r), 0.9 * lx) for r, lx in zip(ptR, lex)])
    f["ptR_mean"], f["ptR_min"] = float(ptR.mean()), float(ptR.min())
    f["pt_mean"], f["pt_min"] = float(pt.mean()), float(pt.min())
    f["ptR_gain"] = float(np.mean(np.clip((ptR - ptRq) / np.maximum(0.05, 1 - ptRq), -1, 1)))
    f["ptR_units"] = float(ptRu.mean())
    f["q_ptR"] = float(ptRq.mean())
    f["q_ref_sim"] = float(eq @ eref)

    f["sim_ref"] = float(ea @ eref)
    f["sim_ref_demoted"] = float(ead @ erefd) if ans_dem else 0.0
    f["sim_q"] = float(ea @ eq)
    f["q_overlap"] = sum(c in qset for c in ans_cl) / len(ans_cl) if ans_cl else 0.0
    f["novel_frac"] = len(an) / len(ans_set) if ans_set else 0.0
    f["log_len"] = math.log1p(len(ans_cl))
    f["len_ratio"] = min(3.0, len(ans_cl) / max(1, len(ref_cl)))
    f["non_answer"] = 0.0
    # fluency: share of function words; a bare keyword list has almost none (guard, not a model input)
    aw_all = [w.lower() for w in words(answer)]
    f["func_ratio"] = sum(w in NA_STOP or w in STOPWORDS for w in aw_all) / max(1, len(aw_all))
    f["n_words"] = float(len(aw_all))

    per_point = []
    for i, p in enumerate(points):
        per_point.append({"point": p, "coverage": float(pt[i]), "token_recall": float(ptR[i]),
                          "semantic": float(cov[i]), "lexical": float(lex[i]),
                          "evidence": all_units[int(best_tok_unit[i])]})
    return f, per_point
