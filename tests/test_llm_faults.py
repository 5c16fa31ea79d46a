"""Every way an LLM endpoint fails, through Interview.submit with the grader services.py builds.

Each fault must leave the candidate with a saved answer, an offline grade that says why, and a
wait no longer than worst_case_wait(timeout, retries) -- the figure docs/deploy.md gives.
Timeouts here are 1 s with 1 retry, so the whole file takes seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import openai._constants
import pytest

from bot.grading import FallbackGrader, Grader
from bot.grading.llm import INITIAL_RETRY_DELAY_S, MAX_RETRY_DELAY_S, LLMGrader, worst_case_wait
from bot.services import build_interview
from bot.settings import Settings
from bot.text import clean_answer
from bot.ui.handlers import View, feedback_view
from tests.fake_openai import (
    FakeOpenAI,
    Reply,
    closed_port_url,
    completion,
    failure,
    hang,
    rate_limited,
    truncated,
)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S, RETRIES = 1.0, 1
LLM_SLACK_S = 0.5  # thread scheduling on a busy 2-core machine
GRADE_SLACK_S = 5.0  # retrieval and the offline grade that follows (far below the 30-60 s a fault could cost)


def valid_reply(points, answer: str) -> str:
    """What a well-behaved model returns: every point covered, quoting the answer's first sentence."""
    quote = answer.split(".")[0]
    return json.dumps({"points": [{"point_id": p.id, "verdict": "covered", "quote": quote} for p in points],
                       "strengths": [], "gaps": [], "follow_ups": []})


def llm_settings(settings: Settings, base_url: str) -> Settings:
    return replace(settings, llm_model="grader-model", openai_api_key="test-key", openai_base_url=base_url,
                   llm_timeout_s=TIMEOUT_S, llm_max_retries=RETRIES)


def open_turn(interview):
    """A fresh session whose current question is open (a multiple-choice one never reaches the LLM)."""
    turn = interview.start("Faye", "embedding-engineer", "mid")
    while turn.question.options:
        turn = interview.next_question(turn.session_id)
    return turn


def all_points(interview, turn) -> list:
    return interview.corpus.rubrics[turn.question.id].points


# name -> (reply the fake server gives every request, requests expected, least seconds the wait must take)
FAULTS = {
    "http-500": (lambda pts, ans: failure(500), RETRIES + 1, 0.0),
    "429-retry-after-1s": (lambda pts, ans: rate_limited(1), RETRIES + 1, 1.0),  # the client honours it
    "429-retry-after-60s": (lambda pts, ans: rate_limited(60), 1, 0.0),  # the deadline cuts the wait
    "hang-past-timeout": (lambda pts, ans: hang(30), RETRIES + 1, TIMEOUT_S * (RETRIES + 1)),
    "truncated-json-content": (lambda pts, ans: completion(valid_reply(pts, ans)[:40]), 1, 0.0),
    "truncated-http-body": (lambda pts, ans: truncated(completion(valid_reply(pts, ans))), 1, 0.0),
    "not-json-at-all": (lambda pts, ans: Reply(body="<html>502 Bad Gateway</html>"), 1, 0.0),
    "schema-breaking-json": (lambda pts, ans: completion(json.dumps(
        {"points": [{"point_id": pts[0].id, "verdict": "excellent", "quote": "x"}], "score": 10})), 1, 0.0),
    "invented-quotes": (lambda pts, ans: completion(valid_reply(pts, "A sentence the candidate never wrote.")), 1, 0.0),
    "empty-choice-list": (lambda pts, ans: completion(None), 1, 0.0),
}


class Timed(Grader):
    """Wraps a grader and keeps how long its last grade took (the time spent on the LLM)."""

    def __init__(self, inner: Grader) -> None:
        self.inner, self.kind, self.model, self.seconds = inner, inner.kind, inner.model, 0.0

    def grade(self, question, rubric_points, answer, red_flags=()):
        started = time.monotonic()
        try:
            return self.inner.grade(question, rubric_points, answer, red_flags)
        finally:
            self.seconds = time.monotonic() - started


def submit_and_check(interview, turn):
    """Submit the model answer; check the answer is kept, the grade is offline, the wait bounded."""
    answer = interview.corpus.rubrics[turn.question.id].model_answer
    if not isinstance(interview.grader.primary, Timed):
        interview.grader.primary = Timed(interview.grader.primary)
    llm = interview.grader.primary
    started = time.monotonic()
    feedback = interview.submit(turn.session_id, turn.turn_id, answer)  # must not raise
    waited = time.monotonic() - started

    stored = interview.store.turn(turn.turn_id)
    assert stored["answer"] == clean_answer(answer) and stored["answered_at"]
    grade = interview.store.grade_for(turn.turn_id)
    assert grade is not None and grade.grader == "rubric" and grade.score == feedback.grade.score
    assert grade.notices and "LLM grader could not be used" in grade.notices[0]
    assert "offline rubric grader" in grade.notices[0]
    view = feedback_view(View(turn.session_id, turn.turn_id, []), feedback)
    assert "⚠️ The LLM grader could not be used" in view.score  # the candidate sees why
    worst = worst_case_wait(TIMEOUT_S, RETRIES)
    assert llm.seconds <= worst + LLM_SLACK_S, llm.seconds
    assert waited <= worst + GRADE_SLACK_S, waited
    return feedback, llm.seconds


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def interview(server, embedder, shared_cache, tmp_path_factory):
    """One app for the file (building it is the slow part); each test starts its own session."""
    base = replace(Settings.from_env({}), data_dir=tmp_path_factory.mktemp("faults"), cache_dir=shared_cache)
    built = build_interview(llm_settings(base, server.base_url), embedder=embedder)
    assert isinstance(built.grader, FallbackGrader) and isinstance(built.grader.primary, LLMGrader)
    return built


@pytest.fixture
def fake(server):
    server.requests.clear()
    server.replies.clear()
    server.default = None
    return server


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_llm_fault_falls_back_with_a_notice_in_bounded_time(fault, interview, fake) -> None:
    make_reply, expected_requests, least_wait = FAULTS[fault]
    turn = open_turn(interview)
    fake.default = make_reply(all_points(interview, turn), interview.corpus.rubrics[turn.question.id].model_answer)

    _, waited = submit_and_check(interview, turn)
    assert len(fake.requests) == expected_requests  # one retry loop only: the openai client's
    assert waited >= least_wait - 0.05


def test_connection_refused_falls_back(settings, embedder) -> None:
    interview = build_interview(llm_settings(settings, closed_port_url()), embedder=embedder)
    feedback, _ = submit_and_check(interview, open_turn(interview))
    assert "could not be reached" in feedback.grade.notices[0]


def test_the_worst_case_wait_is_what_the_docs_say() -> None:
    # our copy of the client's backoff is the client's own
    assert (INITIAL_RETRY_DELAY_S, MAX_RETRY_DELAY_S) == (openai._constants.INITIAL_RETRY_DELAY,
                                                          openai._constants.MAX_RETRY_DELAY)
    defaults = Settings()
    worst = worst_case_wait(defaults.llm_timeout_s, defaults.llm_max_retries)
    assert worst == 30 * 3 + 0.5 + 1.0
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert f"{worst:g} s" in deploy and "BOT_LLM_TIMEOUT × (BOT_LLM_RETRIES + 1)" in deploy
    assert worst_case_wait(10, 6) == 70 + 0.5 + 1 + 2 + 4 + 8 + 8  # the backoff stops growing at 8 s


def test_a_healthy_endpoint_is_still_used(interview, fake) -> None:
    """The deadline does not get in the way of a normal reply."""
    turn = open_turn(interview)
    answer = interview.corpus.rubrics[turn.question.id].model_answer
    fake.default = completion(valid_reply(all_points(interview, turn), answer))
    feedback = interview.submit(turn.session_id, turn.turn_id, answer)
    assert feedback.grade.grader == "llm" and not feedback.grade.notices
    assert interview.store.grade_for(turn.turn_id).grader == "llm"
