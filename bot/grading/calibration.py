"""From an answer's features to a score that agrees with human graders.

A 50/50 blend of a ridge regression (coefficients of the evidence features held >= 0) and
shallow gradient-boosted trees (monotone in the same features), fitted on human-graded answers
(`python -m bot grader fit`). Both are exported to plain JSON and evaluated with numpy, so the
app loads no pickle and needs no scikit-learn at grading time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.grading.features import FEATURES, MONOTONE

DEFAULT_PATH = Path(__file__).with_name("calibration.json")
RIDGE_ALPHA = 30.0
TREES = {"max_iter": 250, "max_depth": 3, "learning_rate": 0.03, "min_samples_leaf": 20, "l2_regularization": 1.0}


class CalibrationError(ValueError):
    """The parameter file is missing or malformed; the message names it."""


def _columns(x: np.ndarray) -> np.ndarray:
    """Evidence features as they are; free features also negated, so a non-negative ridge
    can give them either sign."""
    cols = []
    for i, name in enumerate(FEATURES):
        cols.append(x[..., i])
        if name not in MONOTONE:
            cols.append(-x[..., i])
    return np.stack(cols, axis=-1)


@dataclass(frozen=True)
class Calibration:
    params: dict

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH, model: str | None = None) -> Calibration:
        """The parameters in `path`; with `model`, refused unless they were fitted on that embedding
        model's features (the features of another model mean other things)."""
        try:
            params = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CalibrationError(f"Cannot read the grader calibration {path} ({exc}); "
                                   "run `python -m bot grader fit` to write it.") from None
        if params.get("features") != list(FEATURES):
            raise CalibrationError(f"{path} was fitted on other features; run `python -m bot grader fit` again.")
        if model is not None and params.get("model") != model:
            raise CalibrationError(
                f"{path} was fitted on the features of the embedding model {params.get('model')!r}, not {model!r} "
                "(BOT_EMBEDDING_MODEL); unset BOT_EMBEDDING_MODEL or run `python -m bot grader fit` with this model.")
        return cls(params)

    def predict(self, features: dict[str, float]) -> float:
        """The expected human score as a share of the maximum, in [0, 1]."""
        x = np.array([features[name] for name in FEATURES], dtype=float)
        lin = self.params["ridge"]
        z = (_columns(x) - np.array(lin["mean"])) / np.array(lin["scale"])
        ridge = lin["intercept"] + float(np.dot(lin["coef"], z))
        trees = self.params["trees"]
        boosted = trees["baseline"] + sum(_tree_value(t, x) for t in trees["trees"])
        return float(np.clip(0.5 * ridge + 0.5 * boosted, 0.0, 1.0))


def _tree_value(tree: dict, x: np.ndarray) -> float:
    i = 0
    while not tree["leaf"][i]:
        i = tree["left"][i] if x[tree["feature"][i]] <= tree["threshold"][i] else tree["right"][i]
    return tree["value"][i]


def fit(features: list[dict[str, float]], scores: np.ndarray, source: str, model: str) -> Calibration:
    """Fit on answers' features and their human scores as a share of the maximum (0..1)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

    x = np.array([[f[name] for name in FEATURES] for f in features], dtype=float)
    y = np.asarray(scores, dtype=float)
    cols = _columns(x)
    mean, std = cols.mean(axis=0), cols.std(axis=0)
    scale = np.where(std > 1e-6, std, 1.0)  # a feature constant in the data set carries no information
    ridge = Ridge(alpha=RIDGE_ALPHA, positive=True).fit((cols - mean) / scale, y)
    hgb = HistGradientBoostingRegressor(monotonic_cst=[int(n in MONOTONE) for n in FEATURES], random_state=0,
                                        **TREES).fit(x, y)
    trees = []
    for (predictor,) in hgb._predictors:
        nodes = predictor.nodes
        trees.append({"feature": nodes["feature_idx"].astype(int).tolist(),
                      "threshold": [float(v) for v in nodes["num_threshold"]],
                      "left": nodes["left"].astype(int).tolist(), "right": nodes["right"].astype(int).tolist(),
                      "value": [round(float(v), 7) for v in nodes["value"]],
                      "leaf": nodes["is_leaf"].astype(int).tolist()})
    return Calibration({
        "source": source, "model": model, "answers": len(y), "features": list(FEATURES),
        "ridge": {"intercept": float(ridge.intercept_), "coef": [round(float(c), 7) for c in ridge.coef_],
                  "mean": mean.round(7).tolist(), "scale": scale.round(7).tolist()},
        "trees": {"baseline": float(hgb._baseline_prediction.ravel()[0]), "trees": trees},
    })


def save(calibration: Calibration, path: Path = DEFAULT_PATH) -> None:
    Path(path).write_text(json.dumps(calibration.params, separators=(",", ":")) + "\n", encoding="utf-8")
