"""`python -m bot eval` and `grader fit`: agreement of a grader with human scores on a JSONL data set,
or on the held-out test answers (tests/data/answers), and the offline grader's calibration fitted on one.

A developer tool, not part of the app: it reads data sets the package does not ship, and the app
never imports it (the calibration it fits is written into the package, bot/grading/calibration.json).

Records carry `question`, `answer`, `score`, `score_max` and either `reference_answer` (free
text, split into points by the grader's own logic) or `rubric` (a list of point texts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from bot.grading.calibration import Calibration
from bot.settings import Settings


class DatasetError(ValueError):
    """The data set cannot be used; the message names the line and field."""


@dataclass(frozen=True)
class Record:
    question_id: str
    question: str
    answer: str
    score: float
    score_max: float
    reference: str | None
    rubric: tuple[str, ...] | None
    style: str | None = None
    rater_points: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (point id, each rater's verdict) where given
    persona: str | None = None  # the voice the writer wrote in, where a set records one (choosing_answers_s43.jsonl)


def dataset_paths(dataset: Path | Sequence[Path]) -> list[Path]:
    """The files `eval` was given: one JSONL file or more (graded as one set), or the held-out answer sheets alone."""
    paths = [Path(dataset)] if isinstance(dataset, (str, Path)) else [Path(p) for p in dataset]
    if not paths:
        raise DatasetError("Give a dataset to evaluate on.")
    if len(paths) > 1 and any(is_answer_sheets(p) for p in paths):
        raise DatasetError("The held-out answer sheets are graded alone: give their folder or file as the only dataset.")
    return paths


def load_all(paths: list[Path], limit: int | None = None) -> list[Record]:
    """The records of one or more JSONL files, as one set (`eval A.jsonl B.jsonl`), the first N with `limit`."""
    records = [r for path in paths for r in load_records(path)]
    return records[:limit] if limit else records


def load_records(path: Path, limit: int | None = None) -> list[Record]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc}).") from None
    records: list[Record] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DatasetError(f"{path}:{n}: this line is not JSON.") from None
        missing = [k for k in ("question", "answer", "score", "score_max") if k not in row]
        if missing:
            raise DatasetError(f"{path}:{n}: missing field {missing[0]!r}.")
        if not row.get("reference_answer") and not row.get("rubric"):
            raise DatasetError(f"{path}:{n}: needs either 'reference_answer' or 'rubric'.")
        try:
            score, score_max = float(row["score"]), float(row["score_max"])
        except (TypeError, ValueError):
            raise DatasetError(f"{path}:{n}: 'score' and 'score_max' must be numbers.") from None
        if score_max <= 0 or not 0 <= score <= score_max:
            raise DatasetError(f"{path}:{n}: 'score' must lie between 0 and 'score_max' (> 0).")
        rubric, rated = row.get("rubric"), row.get("rater_points")
        records.append(Record(
            question_id=str(row.get("question_id") or row["question"]),
            question=str(row["question"]), answer=str(row["answer"] or ""), score=score, score_max=score_max,
            reference=row.get("reference_answer"), rubric=tuple(map(str, rubric)) if rubric else None,
            style=str(row["style"]) if row.get("style") else None,
            persona=str(row["persona"]) if row.get("persona") else None,
            rater_points=tuple((str(k), tuple(map(str, v))) for k, v in rated.items()) if isinstance(rated, dict) else ()))
    if not records:
        raise DatasetError(f"{path}: no records.")
    return records[:limit] if limit else records


def agreement(predicted: np.ndarray, human: np.ndarray, score_max: float) -> dict:
    """Pearson, Spearman, RMSE, MAE, QWK on rounded scores, exact and within-1 agreement."""
    predicted, human = np.asarray(predicted, float), np.asarray(human, float)
    rounded_p = np.clip(np.rint(predicted), 0, score_max).astype(int)
    rounded_h = np.clip(np.rint(human), 0, score_max).astype(int)
    varied = np.ptp(predicted) > 0 and np.ptp(human) > 0  # a correlation needs both to vary (None, not NaN, if not)
    return {
        "n": int(len(human)),
        "pearson": round(float(stats.pearsonr(predicted, human).statistic), 4) if varied else None,
        "spearman": round(float(stats.spearmanr(predicted, human).statistic), 4) if varied else None,
        "rmse": round(float(np.sqrt(np.mean((predicted - human) ** 2))), 4),
        "mae": round(float(np.mean(np.abs(predicted - human))), 4),
        "qwk": round(float(cohen_kappa_score(rounded_h, rounded_p, weights="quadratic")), 4)
        if len(set(rounded_h) | set(rounded_p)) > 1 else None,
        "exact": round(float(np.mean(rounded_p == rounded_h)), 4),
        "within_1": round(float(np.mean(np.abs(rounded_p - rounded_h) <= 1)), 4),
        "mean_baseline_rmse": round(float(np.sqrt(np.mean((human - human.mean()) ** 2))), 4),
    }


def question_folds(records: list[Record], k: int, seed: int = 0) -> list[np.ndarray]:
    """K folds of record indices, grouped so that all answers to a question share a fold."""
    groups = sorted({r.question_id for r in records})
    if k < 2 or k > len(groups):
        raise DatasetError(f"--cv-by-question needs 2 to {len(groups)} folds (one per question at most).")
    order = np.random.default_rng(seed).permutation(len(groups))
    fold_of = {groups[g]: i % k for i, g in enumerate(order)}
    ids = np.array([fold_of[r.question_id] for r in records])
    return [np.flatnonzero(ids == f) for f in range(k)]


def by_style(records: list[Record], predicted: np.ndarray, marked: np.ndarray | None = None) -> dict:
    """Per answer style: how many, the reference and predicted means, the mean absolute error, how
    many fall below 7 and above 3 on the 0-10 scale (an excellent answer below 7, a wrong one above 3),
    and, given `marked`, how many had a point graded incorrect (a right answer told it said something false)."""
    out: dict = {}
    for style in dict.fromkeys(r.style for r in records if r.style):
        idx = [i for i, r in enumerate(records) if r.style == style]
        ref = np.array([records[i].score / records[i].score_max * 10 for i in idx])
        pred = np.array([predicted[i] / records[i].score_max * 10 for i in idx])
        out[style] = {"n": len(idx), "reference_mean": round(float(ref.mean()), 2),
                      "predicted_mean": round(float(pred.mean()), 2), "mae": round(float(np.abs(pred - ref).mean()), 2),
                      "below_7": int(np.sum(pred < 7)), "above_3": int(np.sum(pred > 3))}
        if marked is not None:
            out[style]["marked_incorrect"] = int(np.sum(marked[idx]))
    return out


def scatter_plot(predicted: np.ndarray, human: np.ndarray, figures: dict, path: Path, title: str,
                 styles: list[str | None] | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5) if styles and any(styles) else (5.5, 5))
    jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(human))
    human, predicted = np.asarray(human, float), np.asarray(predicted, float)
    if styles and any(styles):
        for style in dict.fromkeys(styles):
            mask = np.array([s == style for s in styles])
            ax.scatter(human[mask] + jitter[mask], predicted[mask], s=14, alpha=0.6, label=str(style))
        ax.legend(fontsize=8, loc="upper left", title="style")
    else:
        ax.scatter(human + jitter, predicted, s=8, alpha=0.35)
    top = max(float(np.max(human)), float(np.max(predicted)))
    ax.plot([0, top], [0, top], color="grey", linewidth=1, linestyle="--")
    ax.set_xlabel("human score (mean of two graders)")
    ax.set_ylabel("predicted score")
    ax.set_title(f"{title}\nPearson {figures['pearson']:.3f} · RMSE {figures['rmse']:.3f} · n={figures['n']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _points(texts: list[str]):
    from bot.corpus import RubricPoint

    return [RubricPoint(id=f"p{i}", text=t, weight=1.0, probe="-") for i, t in enumerate(texts)]


def record_points(r: Record) -> list[str]:
    """The record's rubric, or its reference answer split into sentences (one point each)."""
    from bot.text import sentences

    return list(r.rubric) if r.rubric else sentences(r.reference or "") or [r.reference or ""]


def _question(r: Record):
    from bot.corpus import Category, Level, Question

    return Question.model_construct(id=r.question_id, role="evaluation", level=Level.mid, category=Category.concept,
                                    topics=["evaluation"], text=r.question, follow_ups=[], source="eval", options=[])


def predict(grader, records: list[Record]) -> np.ndarray:
    """Each record graded as an interview answer would be, rescaled to the record's own scale."""
    return np.array([grader.grade(_question(r), _points(record_points(r)), r.answer).score / 10 * r.score_max
                     for r in records])


def bank_question(corpus, r: Record):
    """The bank question the record answers, or None. A record whose question the bank has reworded since the
    answer was written answers a question the app no longer asks: it is graded as a record of another source,
    against the rubric it was rated on."""
    question = corpus.questions.get(r.question_id)
    return question if question is not None and asks(question, r.question) else None


def asks(question, text: str) -> bool:
    """Does the bank's question read as `text` (the question an answer was written for), spacing aside?"""
    return question.text.split() == text.split()


def reworded_questions(corpus, records: list[Record]) -> list[str]:
    """The bank ids of records whose question text is no longer the bank's (see `bank_question`)."""
    return sorted({r.question_id for r in records if r.question_id in corpus.questions and not bank_question(corpus, r)})


def predict_app(assessor, fallback, records: list[Record]) -> tuple[np.ndarray, np.ndarray, list[dict[str, str]]]:
    """Records on a bank question graded the app's way (Assessor.grade_answer on that question's rubric
    at its level, as `python -m bot ask`); the others, and those whose question the bank has since reworded, as
    `predict` does, with `fallback`. Also which answers had a point graded incorrect, and the app's verdict on each
    point of the answers it graded its way ({point id: verdict}; {} for the others)."""
    from bot.text import clean_answer

    out = np.zeros(len(records))
    marked = np.zeros(len(records), dtype=bool)
    verdicts: list[dict[str, str]] = [{} for _ in records]
    for i, r in enumerate(records):
        question = bank_question(assessor.corpus, r)
        if question is None:
            out[i] = predict(fallback, [r])[0]
            continue
        points = assessor.corpus.rubrics[question.id].expected_points(question.level)
        grade, _ = assessor.grade_answer(question, points, clean_answer(r.answer))
        out[i] = grade.score / 10 * r.score_max
        marked[i] = grade.has_incorrect
        verdicts[i] = {p.point_id: str(p.verdict) for p in grade.points}
    return out, marked, verdicts


CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0, "incorrect": 0.0}  # what a verdict earns of its point


def raters_said(rated: tuple[str, ...]) -> set[str]:
    """The verdicts the raters gave a point, incorrect read as missing (the raters' scale has no incorrect)."""
    return {"missing" if x == "incorrect" else x for x in rated}


def point_figures(records: list[Record], verdicts: list[dict[str, str]]) -> dict | None:
    """The app's verdict on each rubric point against the two raters' (records with `rater_points`, graded the app's
    way): how often it gives the verdict both raters gave, where they agree (incorrect read as missing: the raters'
    scale), and the credit it gives (covered 1, partial 1/2) beside theirs, overall and by style."""
    styles, rater_credit, app_credit, agreed = [], [], [], []
    for r, given in zip(records, verdicts, strict=True):
        for pid, rated in r.rater_points:
            if pid not in given:
                continue
            styles.append(r.style)
            rater_credit.append(float(np.mean([CREDIT.get(x, 0.0) for x in rated])))
            app_credit.append(CREDIT[given[pid]])
            said = raters_said(rated)
            if len(said) == 1:  # both raters gave it
                agreed.append(said == {"missing" if given[pid] == "incorrect" else given[pid]})
    if not styles:
        return None
    ref, app = np.array(rater_credit), np.array(app_credit)
    out = {"n": len(styles), "raters_agree": len(agreed), "agreement": round(float(np.mean(agreed)), 4) if agreed else None,
           "credit_mae": round(float(np.abs(app - ref).mean()), 4)}
    if any(styles):
        mask = {style: np.array([s == style for s in styles]) for style in dict.fromkeys(styles)}
        out["by_style"] = {style: {"n": int(m.sum()), "rater_credit": round(float(ref[m].mean()), 3),
                                   "app_credit": round(float(app[m].mean()), 3)} for style, m in mask.items()}
    return out


def load_answer_sheets(path: Path) -> list[dict]:
    """The held-out test answers (tests/data/answers/<role>.yaml, or one such file): question_id, kind, text, and
    `asked`, the question as it read when the answer was written (the folder's ASKED file), if recorded."""
    import yaml

    files = sorted(Path(path).glob("*.yaml")) if Path(path).is_dir() else [Path(path)]
    asked = asked_questions(files[0].parent if files else Path(path))
    rows: list[dict] = []
    for f in files:
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DatasetError(f"{f}: cannot be read as YAML ({exc}).") from None
        for n, a in enumerate(data.get("answers") or [], 1):
            if not isinstance(a, dict) or not {"question_id", "kind", "text"} <= set(a):
                raise DatasetError(f"{f}: answer {n} needs question_id, kind and text.")
            rows.append({"question_id": str(a["question_id"]), "kind": str(a["kind"]), "text": str(a["text"]),
                         "asked": asked.get(str(a["question_id"]))})
    if not rows:
        raise DatasetError(f"{path}: no answers.")
    return rows


ASKED = "asked.json"  # beside the answer sheets: {question_id: the question's text the answers were written for}


def asked_questions(folder: Path) -> dict[str, str]:
    """The questions as they read when the folder's answers were written ({} if not recorded)."""
    path = Path(folder) / ASKED
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot be read as JSON ({exc}).") from None


def held_out_figures(assessor, answers: list[dict]) -> dict:
    """Per question: every strong answer >= 7 and every wrong one <= 3; the share of questions where
    each holds, and where both do (the issue's target is >= 90%)."""
    from bot.text import clean_answer

    per_q: dict[str, dict] = {}
    unknown = sorted({a["question_id"] for a in answers if a["question_id"] not in assessor.corpus.questions})
    reworded = sorted({a["question_id"] for a in answers if a["question_id"] in assessor.corpus.questions and a["asked"]
                       and not asks(assessor.corpus.questions[a["question_id"]], a["asked"])})
    for a in answers:
        question = assessor.corpus.questions.get(a["question_id"])
        if question is None:
            continue
        points = assessor.corpus.rubrics[question.id].expected_points(question.level)
        grade, _ = assessor.grade_answer(question, points, clean_answer(a["text"]))
        per_q.setdefault(question.id, {"strong": [], "wrong": []}).setdefault(a["kind"], []).append(grade.score)
    rows = {}
    for qid, s in sorted(per_q.items()):
        strong_ok = bool(s["strong"]) and all(x >= 7 for x in s["strong"])
        wrong_ok = bool(s["wrong"]) and all(x <= 3 for x in s["wrong"])
        rows[qid] = {"strong": s["strong"], "wrong": s["wrong"], "strong_ok": strong_ok, "wrong_ok": wrong_ok}
    n = len(rows)
    strong = [x for r in rows.values() for x in r["strong"]]
    wrong = [x for r in rows.values() for x in r["wrong"]]
    return {
        "questions": n, "answers": len(strong) + len(wrong), "unknown_questions": unknown,
        "reworded_questions": reworded,  # answers written for a question's earlier text: renew them
        "strong_ok_rate": round(sum(r["strong_ok"] for r in rows.values()) / max(1, n), 4),
        "wrong_ok_rate": round(sum(r["wrong_ok"] for r in rows.values()) / max(1, n), 4),
        "both_ok_rate": round(sum(r["strong_ok"] and r["wrong_ok"] for r in rows.values()) / max(1, n), 4),
        "strong_mean": round(float(np.mean(strong)), 2) if strong else None,
        "wrong_mean": round(float(np.mean(wrong)), 2) if wrong else None,
        "per_question": rows,
    }


def measure_records(embedder, records: list[Record]) -> list:
    """What the offline grader measures in each record's answer (done once, reused by every fold)."""
    from bot.grading.features import measure
    from bot.text import point_claim

    return [measure(embedder, r.question, [point_claim(p) for p in record_points(r)], r.answer) for r in records]


def fit_calibration(records: list[Record], measured: list, source: str, model: str):
    """The offline grader's calibration fitted on these records (non-answers score 0 by rule)."""
    from bot.grading.calibration import fit

    train = [(m.features, r.score / r.score_max) for r, m in zip(records, measured, strict=True) if not m.non_answer]
    return fit([f for f, _ in train], np.array([y for _, y in train]), source, model)


def cross_validate(embedder, records: list[Record], folds: list[np.ndarray]) -> np.ndarray:
    """Offline-grader predictions where each fold is scored by a calibration fitted without it."""
    from bot.grading.rubric import RubricGrader

    measured = measure_records(embedder, records)
    predicted = np.zeros(len(records))
    for held_out in folds:
        keep = np.setdiff1d(np.arange(len(records)), held_out)
        calibration = fit_calibration([records[i] for i in keep], [measured[i] for i in keep], "cross-validation",
                                      embedder.name)
        grader = RubricGrader(embedder, calibration)
        for i in held_out:
            r = records[i]
            predicted[i] = grader.assess(_question(r), _points(record_points(r)), measured[i]).score / 10 * r.score_max
    return predicted


def run_eval(settings: Settings, dataset: Path | Sequence[Path], kind: str, *, cv_k: int | None = None,
             limit: int | None = None, plot: Path | None = None) -> dict:
    """`python -m bot eval`: the figures for `kind` ("rubric": the app's offline grader; "llm") on
    DATASET (JSONL; several files as one set), or on held-out answer sheets (a folder or a YAML file). `eval --rule`
    is devtools/rules.py's `run_rules`."""
    import time

    from bot.grading.rubric import RubricGrader
    from bot.services import build_assessor, build_embedder

    paths = dataset_paths(dataset)
    if is_answer_sheets(paths[0]):  # the held-out test answers
        answers = load_answer_sheets(paths[0])
        embedder = build_embedder(settings)
        started = time.perf_counter()
        assessor = build_assessor(settings, embedder=embedder, llm=kind == "llm")
        figures = {"grader": kind if kind == "llm" else settings.offline_grader,
                   **held_out_figures(assessor, answers[:limit] if limit else answers)}
        figures["answers_per_s"] = round(figures["answers"] / (time.perf_counter() - started), 2)
        return figures
    records = load_all(paths, limit)
    folds = question_folds(records, cv_k) if cv_k else None  # validates K against the questions
    embedder = build_embedder(settings)
    started = time.perf_counter()
    marked, reworded, verdicts = None, [], None
    if folds and kind == "rubric":  # each fold is scored by a calibration fitted on the other folds' questions
        predicted = cross_validate(embedder, records, folds)
    else:  # bank questions the app's way, the rest with the shipped calibration (or the LLM)
        assessor = build_assessor(settings, embedder=embedder, llm=kind == "llm")
        predicted, marked, verdicts = predict_app(assessor, assessor.grader if kind == "llm" else RubricGrader(embedder),
                                                  records)
        reworded = reworded_questions(assessor.corpus, records)
    elapsed = time.perf_counter() - started
    human = [r.score for r in records]
    figures = {"grader": kind if kind == "llm" or cv_k else settings.offline_grader, "cv_by_question": cv_k,
               "folds": len(folds) if folds else None, **record_figures(records, predicted, marked, verdicts),
               "answers_per_s": round(len(records) / elapsed, 2)}
    if reworded:  # graded against the rubric they were rated on, not the app's way
        figures["reworded_questions"] = reworded
    if plot:
        name = {"claims": "claim grader", "rubric": "rubric grader", "llm": "LLM grader"}[figures["grader"]]
        title = f"{name} on {' + '.join(p.name for p in paths)}" + (f", {cv_k}-fold CV by question" if cv_k else "")
        scatter_plot(predicted, human, figures, plot, title, [r.style for r in records])
    return figures


def is_answer_sheets(dataset: Path) -> bool:
    """The held-out test answers (a folder or a YAML file), not JSONL records."""
    return dataset.is_dir() or dataset.suffix in (".yaml", ".yml")


def record_figures(records: list[Record], predicted: np.ndarray, marked: np.ndarray | None,
                   verdicts: list[dict[str, str]] | None = None) -> dict:
    """Agreement with the records' scores, by style when they have one (and by persona and style when they have a
    persona), and with `verdicts` (predict_app's) the points beside the raters' where the records give theirs
    (`point_figures`)."""
    figures = agreement(predicted, [r.score for r in records], records[0].score_max)
    if any(r.style for r in records):
        figures["by_style"] = by_style(records, predicted, marked)
    if any(r.persona for r in records):  # each persona's answers by style, as `by_style` gives them for all
        figures["by_persona"] = {}
        for persona in dict.fromkeys(r.persona for r in records if r.persona):
            idx = [i for i, r in enumerate(records) if r.persona == persona]
            figures["by_persona"][persona] = by_style([records[i] for i in idx], np.asarray(predicted)[idx],
                                                      marked[idx] if marked is not None else None)
    if verdicts and (points := point_figures(records, verdicts)):
        figures["points"] = points
    return figures


def run_fit(settings: Settings, dataset: Path, out: Path) -> Calibration:
    """`python -m bot grader fit`: the offline grader's calibration fitted on DATASET, saved to `out`."""
    from bot.grading.calibration import save
    from bot.services import build_embedder

    records = load_records(dataset)
    embedder = build_embedder(settings)
    calibration = fit_calibration(records, measure_records(embedder, records), dataset.name, embedder.name)
    save(calibration, out)
    return calibration
