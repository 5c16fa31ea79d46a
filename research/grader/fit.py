"""Fit the grader on the Mohler dev file: grouped K-fold CV (by question_id) + params.json.

usage: python fit.py [--k 10] [--repeats 3] [--ablation]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import cohen_kappa_score

import features as FX
import model as M

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "..", "..", "..", "shared", "data", "asag", "mohler_dev.jsonl")
SCORE_MAX = 5.0

# sign the score is expected to move with each feature: +1 = more is better (coef >= 0, monotone
# increasing in the trees), 0 = free. All per-point coverage / similarity features are +1.
FREE = {"sim_q", "q_overlap", "novel_frac", "log_len", "len_ratio", "log_ref_len", "n_points", "q_ptR",
        "q_ref_sim"}
RIDGE_ALPHA = 30.0
HGB = dict(max_iter=250, max_depth=3, learning_rate=0.03, min_samples_leaf=20, l2_regularization=1.0,
           random_state=0)
BLEND = {"linear": 0.5, "trees": 0.5}
GATE_FEATURES = ["ptR_mean", "ptR_units", "tok_Rq", "cov_mean", "sim_ref", "sim_ref_demoted", "lex_recall_all"]
GATE = {"p_lo": 0.02, "p_hi": 0.15, "floor": 0.12}  # cap = floor + (1-floor)*ramp(p_on_topic)

GROUPS = {
    "sentence coverage": ["cov_mean", "cov_min", "covq_mean"],
    "token alignment": ["tok_R", "tok_P", "tok_Rq", "tok_Pq", "tok_Rgain", "tok_Rd"],
    "per-point token recall": ["ptR_mean", "ptR_min", "pt_mean", "pt_min", "ptR_gain", "ptR_units"],
    "whole-answer similarity": ["sim_ref", "sim_ref_demoted", "sim_q"],
    "lexical (lemma/stem)": ["lex_mean", "lex_min", "lex_recall", "lex_precision", "lex_recall_all",
                             "stem_recall", "stem_precision"],
    "question demoting/novelty": ["q_overlap", "novel_frac", "q_ptR", "q_ref_sim"],
    "length": ["log_len", "len_ratio", "log_ref_len", "n_points"],
}


def load_rows():
    with open(DEV) as fh:
        return [json.loads(line) for line in fh]


def compute_features(rows):
    src = open(os.path.join(HERE, "features.py"), "rb").read()
    key = hashlib.sha1(src).hexdigest()[:12]
    path = os.path.join(HERE, "cache", f"features_{key}.json")
    if os.path.exists(path):
        return json.load(open(path))
    from embedcache import CachedEmbedder
    ce = CachedEmbedder()
    t = time.time()
    feats = [FX.extract(r["question"], FX.split_points(r["reference_answer"]), r["answer"], ce)[0] for r in rows]
    ce.save()
    print(f"features: {time.time() - t:.1f}s for {len(rows)} answers (cached embeddings)")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    json.dump(feats, open(path, "w"))
    return feats


def offtopic_features(rows, per_q=6):
    """Synthetic negatives for the relevance gate: each question paired with other questions'
    reference answers (rubric text only, never other students' answers)."""
    src = open(os.path.join(HERE, "features.py"), "rb").read()
    key = hashlib.sha1(src).hexdigest()[:12]
    path = os.path.join(HERE, "cache", f"offtopic2_{key}.json")
    if os.path.exists(path):
        return json.load(open(path))
    from embedcache import CachedEmbedder
    ce = CachedEmbedder()
    Q = {r["question_id"]: (r["question"], r["reference_answer"]) for r in rows}
    A = {r["question_id"]: r["assignment"] for r in rows}   # off-topic = from another assignment (topic)
    qids = sorted(Q)
    rng = np.random.default_rng(0)
    out = []
    for q in qids:
        qq, ref = Q[q]
        pts = FX.split_points(ref)
        for o in rng.choice([x for x in qids if A[x] != A[q]], per_q, replace=False):
            f = FX.extract(qq, pts, Q[o][1], ce)[0]
            out.append({"q": q, "o": str(o), "f": f})
    ce.save()
    json.dump(out, open(path, "w"))
    return out


def group_splits(groups, k, seed):
    qs = np.unique(groups)
    perm = np.random.default_rng(seed).permutation(qs)
    fold = {q: i % k for i, q in enumerate(perm)}
    f = np.array([fold[q] for q in groups])
    return [(np.where(f != j)[0], np.where(f == j)[0]) for j in range(k)]


def fit_params(F, y, names, off=None):
    """F: list of feature dicts (training only) -> params dict."""
    X = np.array([[f[k] for k in names] for f in F])
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Z = (X - mean) / scale
    # positive ridge on sign-oriented columns; FREE features enter as +x and -x (unconstrained)
    cols, signs = [], []
    for j, k in enumerate(names):
        cols.append(j); signs.append(1.0)
        if k in FREE:
            cols.append(j); signs.append(-1.0)
    Zo = Z[:, cols] * np.array(signs)
    rg = Ridge(alpha=RIDGE_ALPHA, positive=True).fit(Zo, y)
    coef = np.zeros(len(names))
    for c, j, s in zip(rg.coef_, cols, signs):
        coef[j] += s * c
    mono = [0 if k in FREE else 1 for k in names]
    hgb = HistGradientBoostingRegressor(monotonic_cst=mono, **HGB).fit(X, y)
    trees = []
    for pred in hgb._predictors:
        nodes = pred[0].nodes
        trees.append({"f": nodes["feature_idx"].astype(int).tolist(),
                      "t": [float(v) for v in nodes["num_threshold"]],
                      "l": nodes["left"].astype(int).tolist(), "r": nodes["right"].astype(int).tolist(),
                      "v": [round(float(v), 6) for v in nodes["value"]],
                      "leaf": nodes["is_leaf"].astype(int).tolist()})
    params = {
        "version": 1, "score_max": SCORE_MAX, "feature_names": names,
        "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
        "linear": {"mean": mean.tolist(), "scale": scale.tolist(), "coef": coef.tolist(),
                   "intercept": float(rg.intercept_)},
        "trees": {"baseline": float(hgb._baseline_prediction.ravel()[0]), "trees": trees},
        "blend": BLEND,
        "gate": fit_gate(F, y, off or []),
        "keyword_guard": {"min_words": 4, "max_func_ratio": 0.08, "cap": 0.6},
    }
    return params, hgb


def fit_gate(F, y, off):
    """Relevance gate: logistic regression on-topic (real answers scoring >= 2/5) vs off-topic
    (other questions' reference answers). Its probability caps the final score."""
    from sklearn.linear_model import LogisticRegression
    pos = [f for f, s in zip(F, y) if s >= 2.0]
    Xg = np.array([[f[k] for k in GATE_FEATURES] for f in pos + off])
    yg = np.array([1] * len(pos) + [0] * len(off))
    mean, scale = Xg.mean(0), Xg.std(0) + 1e-9
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit((Xg - mean) / scale, yg)
    return {"features": GATE_FEATURES, "mean": mean.tolist(), "scale": scale.tolist(),
            "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]), **GATE}


def metrics(p, y):
    pr, yr = np.round(p * 2) / 2, np.round(y * 2) / 2
    return {"pearson": pearsonr(p, y)[0], "spearman": spearmanr(p, y)[0],
            "rmse": float(np.sqrt(np.mean((p - y) ** 2))), "mae": float(np.mean(np.abs(p - y))),
            "qwk": cohen_kappa_score((pr * 2).astype(int), (yr * 2).astype(int), weights="quadratic")}


def cross_validate(F, y, groups, names, k, repeats, guarded=True, off=None):
    allm = []
    off = off or []
    for seed in range(repeats):
        p = np.zeros(len(y))
        for tr, te in group_splits(groups, k, seed):
            trq = set(groups[tr])
            off_tr = [o["f"] for o in off if o["q"] in trq and o["o"] in trq]
            params, _ = fit_params([F[i] for i in tr], y[tr], names, off_tr)
            if guarded:
                p[te] = [M.predict(params, F[i]) * SCORE_MAX for i in te]
            else:
                p[te] = np.clip([M.raw_score(params, F[i]) for i in te], 0, SCORE_MAX)
        allm.append(metrics(p, y))
    return {m: float(np.mean([a[m] for a in allm])) for m in allm[0]}, {m: float(np.std([a[m] for a in allm])) for m in allm[0]}


def fmt(m):
    return " ".join(f"{k}={v:.4f}" for k, v in m.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ablation", action="store_true")
    a = ap.parse_args()
    rows = load_rows()
    F = compute_features(rows)
    y = np.array([r["score"] for r in rows])
    groups = np.array([r["question_id"] for r in rows])
    names = list(FX.FEATURE_NAMES)
    off = offtopic_features(rows)
    print("mean-predictor RMSE:", float(np.sqrt(np.mean((y - y.mean()) ** 2))))
    m, s = cross_validate(F, y, groups, names, a.k, a.repeats, off=off)
    print(f"grouped {a.k}-fold x{a.repeats} (guarded, final):", fmt(m), "| std:", fmt(s))
    mu, _ = cross_validate(F, y, groups, names, a.k, a.repeats, guarded=False, off=off)
    print(f"grouped {a.k}-fold x{a.repeats} (unguarded):", fmt(mu))
    if a.ablation:
        for g, cols in GROUPS.items():
            keep = [n for n in names if n not in cols]
            mg, _ = cross_validate(F, y, groups, keep, a.k, a.repeats, off=off)
            print(f"  without {g:28s}", fmt(mg))
        for g, cols in GROUPS.items():
            mg, _ = cross_validate(F, y, groups, cols, a.k, a.repeats, off=off)
            print(f"  only    {g:28s}", fmt(mg))
    params, hgb = fit_params(F, y, names, [o["f"] for o in off])
    # check the numpy tree export against sklearn
    X = np.array([[f[k] for k in names] for f in F])
    g_np = np.array([params["trees"]["baseline"] + sum(M._tree_predict(t, x) for t in params["trees"]["trees"])
                     for x in X[:200]])
    print("tree export max abs diff:", float(np.abs(g_np - hgb.predict(X[:200])).max()))
    out = os.path.join(HERE, "params.json")
    with open(out, "w") as fh:
        json.dump(params, fh, separators=(",", ":"))
    print("wrote", out, os.path.getsize(out), "bytes")
    offp = np.array([M.predict(params, o["f"]) * SCORE_MAX for o in off])
    print("off-topic (in-sample gate) scores /5: p50 %.2f p90 %.2f max %.2f; share <= 1/5: %.3f"
          % (np.median(offp), np.percentile(offp, 90), offp.max(), np.mean(offp <= 1.0)))
    print("linear coefs:", {k: round(c, 3) for k, c in zip(names, params["linear"]["coef"]) if abs(c) > 1e-4})


if __name__ == "__main__":
    main()
