"""devtools/choosing.py: each rule's figures on the choosing sets, per set and by question category and style."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from devtools.choosing import SETS, figures, main
from devtools.evaluation import Record

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def record(score: float, style: str) -> Record:
    return Record("q", "question", "answer", score, 10.0, None, None, style)


def test_figures_split_agreement_by_set_and_means_by_category_and_style() -> None:
    records = [record(9, "excellent"), record(1, "vague"), record(8, "excellent"), record(0, "vague")]
    sets, categories = ["a", "a", "b", "b"], ["behavioral", "behavioral", "concept", "behavioral"]
    predicted = np.array([6.0, 5.0, 9.0, 1.0])
    f = figures(records, sets, categories, predicted)
    assert f["all"]["n"] == 4 and f["all"]["mae"] == pytest.approx((3 + 4 + 1 + 1) / 4)
    assert f["sets"]["a"]["mae"] == pytest.approx(3.5) and f["sets"]["b"]["pearson"] == pytest.approx(1.0)
    assert f["below_7"] == 1  # the excellent answer predicted 6
    assert f["by_category"]["behavioral"]["vague"] == {"n": 2, "predicted_mean": 3.0, "reference_mean": 0.5}
    assert f["by_category"]["concept"] == {"excellent": {"n": 1, "predicted_mean": 9.0, "reference_mean": 8.0}}


def test_every_choosing_set_is_read_and_a_missing_one_is_said_plainly() -> None:
    # name order is session order (the tests and docs read SETS as oldest first): the first set, then s25, s26, s26b ...
    sessions = [re.fullmatch(r"choosing_answers(?:_s(\d+)([a-z]?))?\.jsonl", name).groups() for name in SETS]
    order = [(int(n or 0), letter or "") for n, letter in sessions]
    assert SETS[0] == "choosing_answers.jsonl" and len(SETS) >= 17 and order == sorted(set(order))
    result = CliRunner().invoke(main, ["--sets", "choosing_answers_nope.jsonl"])
    assert result.exit_code != 0 and "No such choosing set" in result.output and "Traceback" not in result.output
