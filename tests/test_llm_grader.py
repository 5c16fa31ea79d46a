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


def test_an_incorrect_point_and_its_false_claim_come_back_with_the_fact(fake_llm, corpus) -> None:
    from bot.corpus import RedFlag

    q = next(q for q in corpus.questions.values() if not q.options)
    points = corpus.rubrics[q.id].expected_points(Level.expert)
    answer = "Negative sampling updates every word in the vocabulary at each step. It is slower but exact."
    flag = RedFlag(claim="negative sampling updates the whole vocabulary", point=points[0].id, fact="only a few")
    fake_llm.enqueue(completion(json.dumps({
        "points": [{"point_id": p.id, "verdict": "incorrect" if i == 0 else "missing",
                    "quote": "updates every word in the vocabulary" if i == 0 else ""} for i, p in enumerate(points)],
        "false_claims": [{"quote": "Negative sampling updates every word in the vocabulary",
                          "point_id": points[0].id, "fact": "Only the true word and a few sampled negatives are updated."}],
        "strengths": [], "gaps": [], "follow_ups": [],
    })))
    grade = llm(fake_llm).grade(q, points, answer, [flag])

    body = fake_llm.requests[0]["body"]
    schema = body["response_format"]["json_schema"]["schema"]
    assert "incorrect" in schema["properties"]["points"]["items"]["properties"]["verdict"]["enum"]
    assert schema["properties"]["false_claims"]["items"]["required"] == ["quote", "point_id", "fact"]
    assert "negative sampling updates the whole vocabulary" in body["messages"][-1]["content"]
    assert grade.points[0].verdict is Verdict.incorrect and grade.score == 0.0
    assert grade.false_claims[0].point_id == points[0].id
    assert grade.false_claims[0].fact.startswith("Only the true word")


def test_a_false_claim_quoting_words_not_in_the_answer_discards_the_reply(fake_llm, question) -> None:
    q, points, answer = question
    reply = json.loads(reply_for(points, answer))
    reply["false_claims"] = [{"quote": "something the candidate never said", "point_id": "", "fact": "x"}]
    fake_llm.enqueue(completion(json.dumps(reply)))
    with pytest.raises(GradingError, match="not in your answer"):
        llm(fake_llm).grade(q, points, answer)


@pytest.mark.parametrize("env, base_url, key", [
    ({"BOT_LLM_MODEL": "openai/gpt-oss-120b", "HF_TOKEN": "hf_x"}, "https://router.huggingface.co/v1", "hf_x"),
    ({"BOT_LLM_MODEL": "m", "HF_TOKEN": "hf_x", "OPENAI_API_KEY": "sk"}, None, "sk"),
    ({"BOT_LLM_MODEL": "m", "HF_TOKEN": "hf_x", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"},
     "http://127.0.0.1:8000/v1", None),
    ({"HF_TOKEN": "hf_x"}, None, None),  # no model named: no LLM grader, whatever the token
])
def test_a_space_with_only_an_hf_token_grades_through_the_hf_router(env, base_url, key) -> None:
    from bot.settings import Settings

    s = Settings.from_env(env)
    assert (s.openai_base_url, s.openai_api_key) == (base_url, key)
    assert s.llm_configured == bool(env.get("BOT_LLM_MODEL"))


def test_the_hf_router_is_reached_with_the_same_client_and_the_token(fake_llm, question, embedder, monkeypatch) -> None:
    """The router is an OpenAI-compatible endpoint: the same client, the token as the bearer key."""
    from bot.services import build_grader
    from bot.settings import Settings

    monkeypatch.setattr("bot.settings.HF_ROUTER_URL", fake_llm.base_url)
    s = Settings.from_env({"BOT_LLM_MODEL": "openai/gpt-oss-120b", "HF_TOKEN": "hf_secret"})
    q, points, answer = question
    fake_llm.enqueue(completion(reply_for(points, answer)))
    grader = build_grader(s, embedder)
    assert grader.primary.grade(q, points, answer).grader == "llm"
    headers = {k.lower(): v for k, v in fake_llm.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer hf_secret"
    assert fake_llm.requests[0]["body"]["model"] == "openai/gpt-oss-120b"
