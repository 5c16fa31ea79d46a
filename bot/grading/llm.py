"""LLMGrader: any OpenAI-compatible endpoint through the official openai client.

The model returns, per rubric point, a verdict and a verbatim quote from the answer; a quote
that is not in the answer is rejected and the point counts as missing. The score is computed
in code from the verdicts.
"""

from __future__ import annotations

import re

import openai
from pydantic import BaseModel, ValidationError

from bot.corpus import Question, RubricPoint
from bot.grading import CREDIT, FollowUp, Grade, Grader, GradingError, PointGrade, Verdict, score_from_points
from bot.prompts import GRADER_SYSTEM, grade_schema, grader_user_message


class _PointReply(BaseModel):
    point_id: str
    verdict: Verdict
    quote: str = ""


class _GradeReply(BaseModel):
    points: list[_PointReply]
    strengths: list[str] = []
    gaps: list[str] = []
    follow_ups: list[str] = []


def make_client(api_key: str | None, base_url: str | None, timeout_s: float, max_retries: int) -> openai.OpenAI:
    """The one place an OpenAI client is built; any OpenAI-compatible server works."""
    return openai.OpenAI(api_key=api_key or "DUMMY", base_url=base_url, timeout=timeout_s, max_retries=max_retries)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\"'`“”‘’]", "", text).lower().split()).strip(" .,;:!?")


def quote_in_answer(quote: str, answer: str) -> bool:
    """A quote counts only if it appears in the answer (ignoring case, quotes and spacing)."""
    q = _norm(quote)
    return bool(q) and q in _norm(answer)


class LLMGrader(Grader):
    kind = "llm"

    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self.client = client
        self.model = model

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str) -> Grade:
        reply = self._ask(question, rubric_points, answer)
        by_id = {r.point_id: r for r in reply.points}
        notices: list[str] = []
        grades = []
        for p in rubric_points:
            r = by_id.get(p.id)
            verdict, quote = (r.verdict, r.quote.strip()) if r else (Verdict.missing, "")
            if verdict is not Verdict.missing and not quote_in_answer(quote, answer):
                notices.append(f"The grader's evidence for “{p.text}” is not in your answer, so it counts as missing.")
                verdict, quote = Verdict.missing, ""
            grades.append(PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=verdict,
                                     evidence=quote or None, coverage=CREDIT[verdict]))
        missed = [g.point_id for g in grades if g.verdict is not Verdict.covered]
        return Grade(
            score=score_from_points(grades),
            points=grades,
            strengths=reply.strengths[:3],
            gaps=reply.gaps[:3],
            follow_ups=[FollowUp(text=t, point_ids=missed) for t in reply.follow_ups[:2] if t.strip()],
            grader=self.kind,
            model=self.model,
            notices=notices,
        )

    def _ask(self, question: Question, points: list[RubricPoint], answer: str) -> _GradeReply:
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                temperature=0,
                messages=[
                    {"role": "system", "content": GRADER_SYSTEM},
                    {"role": "user", "content": grader_user_message(question, points, answer)},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "rubric_grade", "strict": True, "schema": grade_schema(points)},
                },
            )
        except openai.APITimeoutError:
            raise GradingError("the LLM did not answer in time") from None
        except openai.APIStatusError as exc:
            raise GradingError(f"the LLM endpoint returned HTTP {exc.status_code}") from None
        except openai.APIError as exc:
            raise GradingError(f"the LLM endpoint could not be reached: {type(exc).__name__}") from None
        if not response.choices or not response.choices[0].message.content:
            raise GradingError("the LLM returned an empty reply")
        try:
            return _GradeReply.model_validate_json(response.choices[0].message.content)
        except ValidationError:
            raise GradingError("the LLM reply did not match the grading schema") from None
