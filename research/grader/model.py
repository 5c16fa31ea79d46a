"""Score one answer from its features with params.json (numpy only).

predict(params, features) -> score in [0, 1]
"""
from __future__ import annotations

import json

import numpy as np


def load_params(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def _tree_predict(tree: dict, x: np.ndarray) -> float:
    feat, thr, left, right, value, leaf = (tree["f"], tree["t"], tree["l"], tree["r"], tree["v"], tree["leaf"])
    i = 0
    while not leaf[i]:
        i = left[i] if x[feat[i]] <= thr[i] else right[i]
    return value[i]


def on_topic_prob(params: dict, features: dict) -> float:
    g = params["gate"]
    x = np.array([float(features.get(k, 0.0)) for k in g["features"]])
    z = (x - np.array(g["mean"])) / np.array(g["scale"])
    return float(1.0 / (1.0 + np.exp(-(g["intercept"] + float(np.dot(g["coef"], z))))))


def relevance_cap(params: dict, features: dict) -> float:
    """Upper bound on the [0,1] score from the on-topic probability (off-topic -> <= floor)."""
    g = params["gate"]
    p = on_topic_prob(params, features)
    ramp = min(1.0, max(0.0, (p - g["p_lo"]) / (g["p_hi"] - g["p_lo"])))
    return g["floor"] + (1.0 - g["floor"]) * ramp


def raw_score(params: dict, features: dict) -> float:
    """Ensemble prediction on the 0..score_max scale, before guards."""
    names = params["feature_names"]
    x = np.array([float(features.get(k, 0.0)) for k in names])
    lin = params["linear"]
    z = (x - np.array(lin["mean"])) / np.array(lin["scale"])
    r = lin["intercept"] + float(np.dot(np.array(lin["coef"]), z))
    gb = params["trees"]
    g = gb["baseline"] + sum(_tree_predict(t, x) for t in gb["trees"])
    w = params["blend"]
    return w["linear"] * r + w["trees"] * g


def predict(params: dict, features: dict) -> float:
    if features.get("non_answer", 0.0) >= 0.5:
        return 0.0
    s = raw_score(params, features) / params["score_max"]
    s = min(s, relevance_cap(params, features))
    k = params.get("keyword_guard")
    if k and features.get("n_words", 0) >= k["min_words"] and features.get("func_ratio", 1.0) < k["max_func_ratio"]:
        s = min(s, k["cap"])          # bare keyword list: no sentence structure
    return float(np.clip(s, 0.0, 1.0))
