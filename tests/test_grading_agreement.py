"""The offline grader's agreement with reference grades, on a slice, in CI (issue 15).

Not the measurement itself (`python -m bot eval ../shared/data/interview/dev.jsonl --json` and
`python -m bot eval tests/data/answers --json`, docs/grading.md): a guard that fails when a change
makes the default grader clearly worse. The bars sit below the figures measured on these slices
(docs/grading.md gives both), so a noisy machine does not flake; they are not the issue's targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.__main__ import cli

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "interview" / "dev.jsonl"
NEW_ANSWERS = sorted((ROOT / "tests" / "data" / "answers").glob("*-new.yaml"))

# Measured on these slices with the shipped claim grader (the checker trained with the written statements,
# docs/grading.md), 2 December 2026: dev slice Pearson 0.855, MAE 1.47, wrong 2.23, excellent 7.00,
# off-topic 0.98, a point graded incorrect in 9 of 10 wrong answers and 6 of 10 excellent ones; held-out
# slice (49 questions) strong 9.13, wrong 2.37, both right for 59.2% of the questions (bfloat16 checker;
# float32 gives grades within a few hundredths). With session 14's second reading of points the checker
# misreads (3 December): dev slice 0.863 / 1.47, wrong 2.57, excellent 7.58, off-topic 0.86, marked 9 of
# 10 wrong and 5 of 10 excellent; held-out slice strong 9.24, wrong 2.51, both 61.2%. With session 20's context
# rule (4 December): dev slice 0.867 / 1.47, wrong 2.68, excellent 7.73, off-topic 0.93, marked 8 of 10 wrong
# and 4 of 10 excellent (so the wrong answers' bar is 7: one reading either side of a threshold); held-out slice
# strong 9.35, wrong 2.70, both 61.2%. With session 21's rubric share shrunk by the points an answer gets wrong
# (4 December): dev slice 0.862 / 1.42, wrong 1.81, excellent 7.61, off-topic 0.93, marked 8 and 4 as before;
# held-out slice strong 9.28, wrong 2.05, both 59.2%. With session 22's cap on answers that read like another
# question's: dev slice 0.869 / 1.33, off-topic 0.33, the rest as before; held-out slice unchanged. With session 25's
# fifth of a long answer's spans (5 December): dev slice 0.892 / 1.23, excellent 8.36, marked 8 of 10 wrong and 3 of 10
# excellent; held-out slice strong 9.34, wrong 2.10, both 59.2%. With session 28's checker for the red flags: dev slice
# 0.906 / 1.15, wrong 1.29, excellent 8.36, marked 9 of 10 wrong and 3 of 10 excellent; held-out slice strong 9.42,
# wrong 1.84, both 61.2%. With session 30's points checker and scale: dev slice 0.912 / 1.13, wrong 1.29, excellent
# 8.47, marked 9 of 10 wrong and 2 of 10 excellent; held-out slice strong 9.49, wrong 1.62, both 73.5%. The bars sit
# below, but the rubric grader alone (wrong 5.0 on the dev split), the first claim checker (held-out
# strong 6.90, both 14.3%) or the previous one (dev slice Pearson 0.741, held-out both 42.9%) would
# fail them.
DEV_SLICE = 70  # the first ten questions of the dev split, all seven styles of each
BARS = {"pearson": 0.78, "mae": 1.9, "wrong": 3.2, "excellent": 6.0, "offtopic": 1.6,
        "wrong_marked_at_least": 7, "excellent_marked_at_most": 8}  # of the slice's 10 each
HELD_OUT_BARS = {"strong_mean": 8.4, "wrong_mean": 3.2, "both_ok_rate": 0.45}


def _eval(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["eval", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.skipif(not DEV.is_file(), reason="the interview dev split (../shared/data/interview) is not beside the project")
def test_dev_slice_agreement_stays_above_the_bars() -> None:
    figures = _eval(str(DEV), "--limit", str(DEV_SLICE))
    styles = figures["by_style"]
    assert figures["n"] == DEV_SLICE and set(styles) == {"excellent", "good", "partial", "spoken", "wrong", "vague",
                                                         "offtopic"}
    assert figures["pearson"] >= BARS["pearson"], figures
    assert figures["mae"] <= BARS["mae"], figures
    assert styles["wrong"]["predicted_mean"] <= BARS["wrong"], styles
    assert styles["excellent"]["predicted_mean"] >= BARS["excellent"], styles
    assert styles["offtopic"]["predicted_mean"] <= BARS["offtopic"], styles
    # the incorrect verdict tells a fluent wrong answer what was false, and does not say it of everything
    assert styles["wrong"]["marked_incorrect"] >= BARS["wrong_marked_at_least"], styles
    assert styles["excellent"]["marked_incorrect"] <= BARS["excellent_marked_at_most"], styles


def test_held_out_answers_slice_stays_above_the_bars() -> None:
    figures = {}
    strong, wrong, both, n = [], [], 0.0, 0
    for f in NEW_ANSWERS:
        figures = _eval(str(f))
        rows = figures["per_question"].values()
        strong += [x for r in rows for x in r["strong"]]
        wrong += [x for r in rows for x in r["wrong"]]
        both += figures["both_ok_rate"] * figures["questions"]
        n += figures["questions"]
    assert n >= 40 and not figures["unknown_questions"]
    assert sum(strong) / len(strong) >= HELD_OUT_BARS["strong_mean"]
    assert sum(wrong) / len(wrong) <= HELD_OUT_BARS["wrong_mean"]
    assert both / n >= HELD_OUT_BARS["both_ok_rate"]
