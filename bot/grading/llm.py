"""LLMGrader: any OpenAI-compatible endpoint through the official openai client.

The model returns, per rubric point, a verdict and a verbatim quote from the answer. The score
is computed in code from the verdicts. A reply that cannot be trusted -- a quote that is not in
the answer, or evidence taken from a sentence that speaks to the grader -- is a GradingError,
like a timeout or an HTTP error, so FallbackGrader grades the answer offline instead.

How long a candidate can wait: the openai client makes 1 + `max_retries` attempts (BOT_LLM_RETRIES;
there is no second retry loop here), each bounded by `timeout` (BOT_LLM_TIMEOUT), with its own
exponential backoff between them. The client also honours a server's Retry-After of up to two
minutes, which would break that bound, so every call also runs under a hard deadline equal to
worst_case_wait(); past it the grade falls back.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import TypeVar

import openai
from pydantic import BaseModel, ValidationError

from bot.corpus import Question, RedFlag, RubricPoint
from bot.grading import (
    CREDIT,
    FalseClaim,
    FollowUp,
    Grade,
    Grader,
    GradingError,
    PointGrade,
    Verdict,
    score_from_points,
)
from bot.grading.injection import addresses_the_grader, grader_directed
from bot.prompts import GRADER_SYSTEM, grade_schema, grader_user_message

log = logging.getLogger(__name__)
T = TypeVar("T")
# The openai client's backoff between attempts (openai/_constants.py; tests/test_llm_faults.py checks them).
INITIAL_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 8.0


class _PointReply(BaseModel):
    point_id: str
    verdict: Verdict
    quote: str = ""


class _ClaimReply(BaseModel):
    quote: str
    point_id: str = ""
    fact: str


class _GradeReply(BaseModel):
    points: list[_PointReply]
    false_claims: list[_ClaimReply] = []
    strengths: list[str] = []
    gaps: list[str] = []
    follow_ups: list[str] = []


def make_client(api_key: str | None, base_url: str | None, timeout_s: float, max_retries: int) -> openai.OpenAI:
    """The one place an OpenAI client is built; any OpenAI-compatible server works."""
    return openai.OpenAI(api_key=api_key or "DUMMY", base_url=base_url, timeout=timeout_s, max_retries=max_retries)


def worst_case_wait(timeout_s: float, retries: int) -> float:
    """The longest a grade waits for the LLM: every attempt times out, with the client's backoff between.

    wait <= timeout * (retries + 1) + sum(min(0.5 * 2**n, 8) for n < retries); 91.5 s for 30 s and 2 retries.
    """
    backoff = sum(min(INITIAL_RETRY_DELAY_S * 2**n, MAX_RETRY_DELAY_S) for n in range(retries))
    return timeout_s * (retries + 1) + backoff


def _client_seconds(timeout: object) -> float:
    """The per-request timeout of a client (a number, or an httpx Timeout's read timeout)."""
    if isinstance(timeout, int | float):
        return float(timeout)
    return float(getattr(timeout, "read", None) or 600.0)


def call_with_deadline(fn: Callable[[], T], deadline_s: float) -> T:
    """Run `fn` on a worker thread; give up after `deadline_s` (the thread ends on its own timeouts)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, name="llm-grade", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        raise GradingError(f"the LLM did not answer within {deadline_s:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\"'`“”‘’]", "", text).lower().split()).strip(" .,;:!?")


def quote_in_answer(quote: str, answer: str) -> bool:
    """A quote counts only if it appears in the answer (ignoring case, quotes and spacing)."""
    q = _norm(quote)
    return bool(q) and q in _norm(answer)


class LLMGrader(Grader):
    kind = "llm"

    def __init__(self, client: openai.OpenAI, model: str, deadline_s: float | None = None) -> None:
        self.client = client
        self.model = model
        self.deadline_s = deadline_s if deadline_s is not None else worst_case_wait(
            _client_seconds(client.timeout), client.max_retries)

    def grade(self, question: Question, rubric_points: list[RubricPoint], answer: str,
              red_flags: list[RedFlag] = ()) -> Grade:
        reply = self._ask(question, rubric_points, answer, red_flags)
        by_id = {r.point_id: r for r in reply.points}
        rest = answer  # the answer without its sentences to the grader: the only place evidence can come from
        for sentence in grader_directed(answer):
            rest = rest.replace(sentence, " ")
        grades = []
        for p in rubric_points:
            r = by_id.get(p.id)
            verdict, quote = (r.verdict, r.quote.strip()) if r else (Verdict.missing, "")
            if verdict is not Verdict.missing:
                if not quote_in_answer(quote, answer):
                    raise GradingError("the LLM quoted words that are not in your answer")
                if addresses_the_grader(quote) or not quote_in_answer(quote, rest):
                    raise GradingError("the LLM took an instruction to the grader as evidence")
            grades.append(PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=verdict,
                                     evidence=quote or None, coverage=CREDIT[verdict]))
        ids = {p.id for p in rubric_points}
        claims = []
        for c in reply.false_claims:
            if not c.quote.strip() or not c.fact.strip():
                continue
            if not quote_in_answer(c.quote, answer):
                raise GradingError("the LLM quoted words that are not in your answer")
            if addresses_the_grader(c.quote) or addresses_the_grader(c.fact):
                raise GradingError("the LLM took an instruction to the grader as evidence")
            claims.append(FalseClaim(quote=c.quote.strip(), fact=c.fact.strip(),
                                     point_id=c.point_id if c.point_id in ids else None))
        missed = [g.point_id for g in grades if g.verdict is not Verdict.covered]
        follow_ups = [t for t in reply.follow_ups[:2] if t.strip() and not addresses_the_grader(t)]
        return Grade(
            score=score_from_points(grades),
            points=grades,
            strengths=reply.strengths[:3],
            gaps=reply.gaps[:3],
            follow_ups=[FollowUp(text=t, point_ids=missed) for t in follow_ups],
            false_claims=claims[:5],
            grader=self.kind,
            model=self.model,
        )

    def _ask(self, question: Question, points: list[RubricPoint], answer: str,
             red_flags: list[RedFlag] = ()) -> _GradeReply:
        def create() -> object:
            return self.client.chat.completions.create(
                model=self.model,
                temperature=0,
                messages=[
                    {"role": "system", "content": GRADER_SYSTEM},
                    {"role": "user", "content": grader_user_message(question, points, answer, red_flags)},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "rubric_grade", "strict": True, "schema": grade_schema(points)},
                },
            )

        try:
            response = call_with_deadline(create, self.deadline_s)
        except GradingError:
            raise
        except openai.APITimeoutError:
            raise GradingError("the LLM did not answer in time") from None
        except openai.APIStatusError as exc:
            raise GradingError(f"the LLM endpoint returned HTTP {exc.status_code}") from None
        except openai.APIError as exc:
            raise GradingError(f"the LLM endpoint could not be reached: {type(exc).__name__}") from None
        except Exception as exc:  # a reply the client cannot parse (truncated body, not JSON, ...)
            log.warning("unreadable LLM response: %r", exc)
            raise GradingError("the LLM endpoint sent a reply that could not be read") from None
        choices = getattr(response, "choices", None)
        content = choices[0].message.content if choices else None
        if not content:
            raise GradingError("the LLM returned an empty reply")
        try:
            return _GradeReply.model_validate_json(content)
        except ValidationError:
            raise GradingError("the LLM reply did not match the grading schema") from None
