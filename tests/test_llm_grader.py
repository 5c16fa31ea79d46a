"""The LLM grader through the real openai client against a fake OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest

from bot.corpus import Level
from bot.grading import FallbackGrader, GradingError, Verdict
from bot.grading.llm import LLMGrader, make_client
from bot.grading.rubric import RubricGrader
from tests.fake_openai import Reply, completion


@pytest.fixture
def question(corpus):
    q = next(q for q in corpus.questions.values() if not q.options)
    return q, corpus.rubrics[q.id].expected_points(Level.expert), corpus.rubrics[q.id].model_answer


def llm(fake_llm, retries: int = 0, timeout: float = 5.0) -> LLMGrader:
    return LLMGrader(make_client("test-key", fake_llm.base_url, timeout, retries), "grader-model")


def reply_for(points, answer: str, quote: str | None = None, verdict: str = "covered") -> str:
    first_sentence = answer.split(".")[0]
    return json.dumps({
        "points": [{"point_id": p.id, "verdict": verdict, "quote": quote if quote is not None else first_sentence}
                   for p in points],
        "strengths": ["clear"], "gaps": ["depth"], "follow_ups": ["Can you give an example?"],
    })


def test_the_request_carries_model_schema_and_a_delimited_answer(fake_llm, question) -> None:
    q, points, answer = question
    fake_llm.enqueue(completion(reply_for(points, answer)))
    grade = llm(fake_llm).grade(q, points, answer)

    body = fake_llm.requests[0]["body"]
    assert fake_llm.requests[0]["path"].endswith("/chat/completions")
    assert body["model"] == "grader-model"
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert schema["properties"]["points"]["items"]["properties"]["point_id"]["enum"] == [p.id for p in points]
    user = body["messages"][-1]["content"]
    assert f"<answer>\n{answer}\n</answer>" in user
    headers = {k.lower(): v for k, v in fake_llm.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer test-key"

    assert grade.grader == "llm" and grade.model == "grader-model"
    assert all(p.verdict is Verdict.covered for p in grade.points)
    assert grade.score == 10.0
    assert grade.follow_ups[0].text == "Can you give an example?"


def test_a_quote_not_in_the_answer_discards_the_whole_reply(fake_llm, question) -> None:
    """A model that invents evidence is not trusted for any point: the grade falls back."""
    q, points, answer = question
    fake_llm.enqueue(completion(reply_for(points, answer, quote="words the candidate never said")))
    with pytest.raises(GradingError, match="not in your answer"):
        llm(fake_llm).grade(q, points, answer)


@pytest.mark.parametrize("reply", [
    completion("this is not json"),
    completion(json.dumps({"points": "nope"})),
    completion(None),
    Reply(status=500, body='{"error": {"message": "boom"}}'),
])
def test_failures_fall_back_to_the_offline_grader_with_a_notice(fake_llm, question, embedder, reply) -> None:
    q, points, answer = question
    fake_llm.enqueue(reply)
    grade = FallbackGrader(llm(fake_llm), RubricGrader(embedder)).grade(q, points, answer)
    assert grade.grader == "rubric"
    assert grade.notices and "offline rubric grader" in grade.notices[0]
    assert grade.score >= 7  # the model answer, graded offline
