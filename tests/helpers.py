"""Helpers shared by the tests (fixtures live in conftest.py): a tiny corpus on disk, the repo root,
and the question a session should open on when a test needs an open (not multiple-choice) answer;
a claim checker that reads from a table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.corpus import Corpus, Level
from bot.grading.claims import Thresholds
from bot.picker import eligible

ROOT = Path(__file__).resolve().parent.parent

QUESTION = """questions:
  - id: t-001
    role: embedding-engineer
    level: {level}
    category: concept
    topics: [word2vec]
    text: Why negative sampling?
    source: test
"""
RUBRIC = """rubrics:
  t-001:
    model_answer: It avoids the full softmax.
    points:
      - {{id: a, text: avoids the full softmax, weight: 1, probe: "Why?"}}
      - {{id: b, text: samples a few negatives, weight: {weight}, probe: "How many?"}}
      - {{id: c, text: trains faster, weight: 1, probe: "How much faster?", min_level: senior}}
"""


def write(tmp: Path, question: str = QUESTION.format(level="mid"), rubric: str = RUBRIC.format(weight=2)) -> Path:
    """A one-question corpus and its rubric under `tmp` (corpus/ and rubrics/)."""
    (tmp / "corpus").mkdir(exist_ok=True)
    (tmp / "rubrics").mkdir(exist_ok=True)
    (tmp / "corpus" / "embedding-engineer.yaml").write_text(question)
    (tmp / "rubrics" / "embedding-engineer.yaml").write_text(rubric)
    return tmp


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file, without comments and blanks."""
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def open_question(corpus: Corpus, role: str = "embedding-engineer", level: str = "mid") -> str:
    """The id of the first open question (graded by the grader, not exactly) the picker could ask
    a `role` candidate at `level`: pass it to `Interview.start(..., question_id=...)`."""
    lvl = Level(level)
    for q in sorted(corpus.by_role(role), key=lambda q: q.id):
        levels = {p.min_level for p in corpus.rubrics[q.id].points if p.min_level}
        if not q.options and q.category.value != "behavioral" and eligible(q, levels, lvl):
            return q.id
    raise LookupError(f"no open question for {role} at {level}")


class ScriptedChecker:
    """Says (P(entails), P(contradicts)) for each premise from a table: the rules' logic, not a model's."""

    def __init__(self, table: dict[str, tuple[float, float]]) -> None:
        self.thresholds, self.record, self.table, self.read = Thresholds(), {}, table, []

    def probabilities(self, hyps: list[str], prems: list[str]) -> np.ndarray:
        self.read += list(zip(hyps, prems, strict=True))
        rows = [self.table.get(f"{h}|{p}", self.table.get(p, (0.1, 0.1))) for h, p in zip(hyps, prems, strict=True)]
        return np.array([[1 - e - c, e, c] for e, c in rows], dtype=np.float32)
