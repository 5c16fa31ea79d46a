"""`python -m bot loadtest`: a small slice against the real app, and a checker that can fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.grading import Grade
from bot.store import SessionStore
from devtools.loadtest import CandidateRun, answer_for, check_database, question_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.server
def test_a_small_load_keeps_every_answer_once_with_a_grade(shared_cache: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "loadtest", "--sessions", "4", "--turns", "2", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=400,
                            env={**os.environ, "BOT_CACHE_DIR": str(shared_cache)})
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout)
    assert figures["ok"] and figures["errors"] == 0, figures["error_samples"]
    assert figures["turns_done"] == figures["turns_expected"] == 8
    assert (figures["lost"], figures["duplicated"], figures["ungraded"]) == (0, 0, 0)
    assert figures["integrity"] == "ok"
    assert 0 < figures["turn_ms"]["p50"] <= figures["turn_ms"]["p95"] <= figures["turn_ms"]["max"]
    assert figures["grade_ms_server"]["p50"] > 0  # the grades were timed in the app, so grading really ran


def test_the_database_check_finds_lost_duplicated_and_ungraded_answers(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.db")
    session = store.create_session("lt-1", "embedding-engineer", "mid", "rubric", {})
    grade = Grade(score=5.0, points=[], grader="rubric")

    def answered(qid: str, text: str, graded: bool = True) -> None:
        turn = store.add_turn(session, qid, "q")
        store.save_answer(turn, text)
        if graded:
            store.save_grade(turn, grade, [], 1.0)

    answered("q1", "kept")
    answered("q2", "twice")
    answered("q2", "twice")
    answered("q3", "no grade", graded=False)
    run = CandidateRun(0, "lt-1", "embedding-engineer", "mid",
                       confirmed=[("q1", "kept"), ("q2", "twice"), ("q3", "no grade"), ("q4", "never stored")])
    found = check_database(tmp_path / "s.db", [run])
    assert (found["lost"], found["duplicated"], found["ungraded"], found["integrity"]) == (1, 1, 1, "ok")


def test_answers_are_found_from_the_question_on_screen(corpus) -> None:
    text_q = next(q for q in corpus.questions.values() if not q.options)
    mcq = next(q for q in corpus.questions.values() if q.options)
    assert question_in(corpus, f"**Question 3** · concept\n\n{text_q.text}") == text_q
    whole, half = answer_for(corpus, text_q, 0), answer_for(corpus, text_q, 1)
    assert whole == corpus.rubrics[text_q.id].model_answer and 0 < len(half) < len(whole)
    assert {answer_for(corpus, mcq, 0), answer_for(corpus, mcq, 1)} <= set("ABCDEFGH")
    assert answer_for(corpus, mcq, 0) != answer_for(corpus, mcq, 1)
