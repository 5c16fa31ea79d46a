"""The grader's exam: answers to every open question, written apart from the rubric (tests/data/answers).

Two strong answers in other words and with other examples than the model answer, and one fluent,
confident answer whose key claims are false. Nothing the grader learns from may include them; this
file checks that they are complete and copy no run of five words from the rubric they are graded on.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from devtools.evaluation import asks
from tests.seed_overlap import ngrams, words

ANSWERS = Path(__file__).resolve().parent / "data" / "answers"
COPY_RUN = 5  # words in a row that an answer may not share with its question's point texts or model answer
# An answer may share at most this many 5-word runs with its rubric's examples and red-flag claims: a
# wrong answer that restates the red flags would test nothing but the grader's memory of them, yet
# short technical phrases ("the area under the curve") turn up in any two texts on one topic.
NEAR_COPIES = 2


def load_answers() -> list[dict]:
    rows = []
    for path in sorted(ANSWERS.glob("*.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]:
            rows.append({**row, "file": path.name})
    return rows


def runs(text: str, n: int = COPY_RUN) -> set[tuple[str, ...]]:
    return ngrams(words(text), n)


@pytest.fixture(scope="module")
def answers() -> list[dict]:
    return load_answers()


def test_every_open_question_has_two_strong_answers_and_one_wrong(corpus, answers) -> None:
    kinds = Counter((a["question_id"], a["kind"]) for a in answers)
    open_ids = {qid for qid, q in corpus.questions.items() if not q.options}
    short = sorted(qid for qid in open_ids if kinds[(qid, "strong")] != 2 or kinds[(qid, "wrong")] != 1)
    assert not short, f"questions without exactly 2 strong and 1 wrong answer: {short}"
    unknown = sorted({a["question_id"] for a in answers} - open_ids)
    assert not unknown, f"answers to questions that are not open questions of the bank: {unknown}"
    assert {a["kind"] for a in answers} <= {"strong", "wrong"}
    assert all(len(words(a["text"])) >= 25 for a in answers), "an exam answer of fewer than 25 words"


def test_no_answer_copies_five_words_from_its_rubric(corpus, answers) -> None:
    copied = {}
    for a in answers:
        rubric = corpus.rubrics[a["question_id"]]
        source = set().union(runs(rubric.model_answer), *(runs(p.text) for p in rubric.points))
        if shared := runs(a["text"]) & source:
            copied[f"{a['question_id']}/{a['kind']}"] = " ".join(sorted(shared)[0])
    assert not copied, f"answers sharing a {COPY_RUN}-word run with their rubric: {copied}"


def test_no_answer_restates_its_rubrics_examples_or_red_flags(corpus, answers) -> None:
    close = {}
    for a in answers:
        rubric = corpus.rubrics[a["question_id"]]
        source = set().union(*(runs(f.claim) for f in rubric.red_flags),
                             *(runs(e) for p in rubric.points for e in p.examples))
        if len(shared := runs(a["text"]) & source) > NEAR_COPIES:
            close[f"{a['question_id']}/{a['kind']}"] = len(shared)
    assert not close, f"answers sharing more than {NEAR_COPIES} 5-word runs with examples or red flags: {close}"


def test_the_two_strong_answers_differ_from_each_other(answers) -> None:
    strong: dict[str, list[str]] = {}
    for a in answers:
        if a["kind"] == "strong":
            strong.setdefault(a["question_id"], []).append(a["text"])
    alike = [qid for qid, (x, y) in ((q, t) for q, t in strong.items() if len(t) == 2)
             if len(runs(x) & runs(y)) > 3]
    assert not alike, f"strong answers that share several 5-word runs: {alike}"


def test_the_answers_answer_the_questions_as_the_bank_asks_them_now(corpus, answers) -> None:
    """asked.json records each question's text as its answers were written for it. Rewording a question makes its
    answers answer a question the app no longer asks (34 had gone stale by December 2026, a grading figure drawn
    from answers to other questions): write new ones, then record the new text in asked.json."""
    asked = json.loads((ANSWERS / "asked.json").read_text(encoding="utf-8"))
    ids = {a["question_id"] for a in answers}
    assert set(asked) == ids, f"questions without a recorded text, or recorded without answers: {sorted(set(asked) ^ ids)}"
    stale = sorted(qid for qid in ids if not asks(corpus.questions[qid], asked[qid]))
    assert not stale, f"questions reworded since their answers were written (renew the answers, then asked.json): {stale}"
