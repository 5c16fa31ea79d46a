"""The report card of a mock interview: what the candidate sees at the end, and downloads.

Pure functions of a stored session (`SessionStore.session_record`) and the question bank, so the
card reads final scores and missed points exactly as the summary, Progress and the coach's desk do
(bot/records.py): a coach's later override shows here too. `report_markdown` is both the card on
screen and the downloaded file; every word a person or an LLM wrote in it is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.corpus import Corpus
from bot.delivery import Delivery, summary
from bot.grading import GraderKind, PointGrade, verdict_counts
from bot.records import SessionRecord, TurnRecord, average, final_points, final_score, is_missed
from bot.text import escape_markdown

STRONG = 7.0  # a topic averaging at least this (out of 10) is a strength
WEAK = 5.0  # below this, a gap
PRACTISE_TOPICS = 3  # how many topics "what to practise next" names
PRACTISE_POINTS = 3  # and how many missed points under each


@dataclass(frozen=True)
class QuestionResult:
    number: int
    question: str  # the question's text as asked
    topics: list[str]
    score: float | None  # None: asked, but the interview ended before it was answered
    points: str  # "3 of 5 points covered, 1 partial"
    timed_out: bool  # time ran out before any answer (scored 0)
    covered: list[str]  # point texts, final verdicts
    missed: list[str]
    delivery: str | None  # a spoken answer's figures


@dataclass(frozen=True)
class TopicResult:
    """Topics asked about in the same questions, taken together (a question names one to three)."""

    topics: list[str]
    questions: list[int]  # their numbers in the interview
    average: float
    covered: list[str]  # rubric point texts, final verdicts
    missed: list[str]


@dataclass(frozen=True)
class ClaimResult:
    number: int  # the question it was said in
    quote: str  # the candidate's words
    fact: str  # what is right instead


@dataclass(frozen=True)
class ReportCard:
    session_id: str
    candidate: str
    role: str
    level: str
    started_at: str
    ended_at: str | None
    planned: int  # questions the interview was set to ask
    questions: list[QuestionResult]
    topics: list[TopicResult]  # weakest first
    claims: list[ClaimResult]

    @property
    def answered(self) -> list[QuestionResult]:
        return [q for q in self.questions if q.score is not None]

    @property
    def overall(self) -> float | None:
        """The mean final score of the answered questions (a question whose time ran out counts 0)."""
        return average([q.score for q in self.answered if q.score is not None])

    @property
    def strengths(self) -> list[TopicResult]:
        return sorted((t for t in self.topics if t.average >= STRONG), key=lambda t: (-t.average, t.topics))

    @property
    def gaps(self) -> list[TopicResult]:
        return [t for t in self.topics if t.average < WEAK]

    @property
    def middle(self) -> list[TopicResult]:
        return [t for t in self.topics if WEAK <= t.average < STRONG]

    def practise_next(self) -> list[tuple[TopicResult, list[str]]]:
        """The weakest topics (the gaps, else any with missed points), each with up to PRACTISE_POINTS
        of its missed points not already named under a weaker topic."""
        named: set[str] = set()
        out = []
        for t in self.gaps or self.topics:
            points = [p for p in t.missed if p not in named][:PRACTISE_POINTS]
            if points:
                named.update(points)
                out.append((t, points))
        return out[:PRACTISE_TOPICS]


def _question_result(number: int, turn: TurnRecord, corpus: Corpus) -> QuestionResult:
    question = corpus.questions.get(turn["question_id"])
    points = [PointGrade.model_validate(p) for p in final_points(turn)]
    grade = turn["grade"]
    return QuestionResult(
        number=number, question=turn["question"], topics=list(question.topics) if question else [],
        score=final_score(turn), points=verdict_counts(points) if grade else "",
        timed_out=bool(grade and grade["grader"] is GraderKind.timer),
        covered=[p.text for p in points if not is_missed(p.verdict)],
        missed=[p.text for p in points if is_missed(p.verdict)],
        delivery=summary(Delivery(**turn["delivery"])) if turn["delivery"] else None)


def report_card(record: SessionRecord, corpus: Corpus, planned: int) -> ReportCard:
    """The card of one mock interview. Only main questions count (interview mode asks no follow-ups)."""
    turns = [t for t in record["turns"] if t["kind"] == "question"]
    questions = [_question_result(i, t, corpus) for i, t in enumerate(turns, start=1)]
    by_topic: dict[str, list[QuestionResult]] = {}
    for q in questions:
        if q.score is not None:
            for topic in q.topics:
                by_topic.setdefault(topic, []).append(q)
    together: dict[tuple[int, ...], list[str]] = {}  # topics of exactly the same questions are one line
    for topic, qs in by_topic.items():
        together.setdefault(tuple(q.number for q in qs), []).append(topic)
    topics = []
    for numbers, names in together.items():
        qs = [questions[n - 1] for n in numbers]
        topics.append(TopicResult(names, list(numbers), average([q.score for q in qs if q.score is not None]) or 0.0,
                                  _unique(p for q in qs for p in q.covered), _unique(p for q in qs for p in q.missed)))
    topics.sort(key=lambda t: (t.average, -len(t.questions), t.topics))
    claims = [ClaimResult(number, c["quote"], c["fact"])
              for number, t in enumerate(turns, start=1) if t["grade"]
              for c in t["grade"].get("false_claims") or []]
    return ReportCard(record["session_id"], record["candidate"], record["role"], record["level"],
                      record["started_at"], record["ended_at"], planned, questions, topics, claims)


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _when(timestamp: str | None) -> str:
    return f"{timestamp[:16].replace('T', ' ')} UTC" if timestamp else ""


def _cell(text: str) -> str:
    """Text a person or an LLM wrote, escaped for one table cell (on one line)."""
    return escape_markdown(" ".join((text or "").split()))


def score_cell(q: QuestionResult) -> tuple[str, str]:
    """A question's score and its points, as plain text (the Markdown table and the PDF)."""
    if q.score is None:
        return "—", "not answered (the interview ended first)"
    if q.timed_out:
        return f"{q.score:.1f} / 10", "time ran out before an answer"
    return f"{q.score:.1f} / 10", q.points


def topic_detail(t: TopicResult) -> str:
    """"6.4 / 10 (questions 1, 3; 4 of 8 rubric points made)", plain text."""
    which = "question" + ("" if len(t.questions) == 1 else "s") + " " + ", ".join(map(str, t.questions))
    points = len(t.covered) + len(t.missed)
    return f"{t.average:.1f} / 10 ({which}; {len(t.covered)} of {points} rubric point{'' if points == 1 else 's'} made)"


def headline(card: ReportCard) -> list[str]:
    """Who, what and when, as plain parts (escape them for Markdown)."""
    return [card.candidate, card.role, card.level, _when(card.started_at),
            f"{len(card.answered)} of {card.planned} question{'' if card.planned == 1 else 's'} answered"]


NOTHING_ANSWERED = "No question was answered, so there is nothing to grade yet. Start a new interview when you are ready."
TIMED_OUT_NOTE = "A question whose time ran out before any answer scores 0, as it would in an interview."
NO_STRENGTHS = f"No topic averaged {STRONG:g} or more this time."
NO_GAPS = f"No topic averaged below {WEAK:g}."
NO_CLAIMS = "No incorrect claims were found in your answers."
ALL_COVERED = "Every rubric point was covered: try a harder level."
WHERE_TO_PRACTISE = "Practise these in the Practice tab, or with Practise my weakest topics on the Progress tab."


def ended_early(card: ReportCard) -> str | None:
    answered = len(card.answered)
    if answered >= card.planned:
        return None
    return f"The interview ended after {answered} of {card.planned} questions; this card covers the answered ones."


def _topic_line(t: TopicResult) -> str:
    return f"- **{' · '.join(escape_markdown(name) for name in t.topics)}** — {topic_detail(t)}"


def report_markdown(card: ReportCard) -> str:
    """The card as Markdown: on screen and as the downloaded file."""
    lines = ["## Report card: mock interview", "",
             " · ".join([f"**{escape_markdown(card.candidate)}**", *map(escape_markdown, headline(card)[1:])]), ""]
    if not card.answered:
        return "\n".join([*lines, NOTHING_ANSWERED]) + "\n"
    lines += [f"### Overall: {card.overall or 0.0:.1f} / 10", ""]
    if note := ended_early(card):
        lines += [f"*{note}*", ""]
    lines += ["| # | question | score | points |", "|---|---|---|---|"]
    for q in card.questions:
        score, points = score_cell(q)
        lines.append(f"| {q.number} | {_cell(q.question)} | {score} | {points} |")
    lines.append("")
    if any(q.timed_out for q in card.questions):
        lines += [f"*{TIMED_OUT_NOTE}*", ""]

    lines += ["### Strengths", "", *([_topic_line(t) for t in card.strengths] or [f"- {NO_STRENGTHS}"])]
    lines += ["", "### Gaps", "", *([_topic_line(t) for t in card.gaps] or [f"- {NO_GAPS}"])]
    if middle := card.middle:
        lines += ["", "**In between**", "", *[_topic_line(t) for t in middle]]

    lines += ["", "### What you got wrong", ""]
    lines += [f"- Question {c.number}: You said “{escape_markdown(c.quote)}” — in fact, {escape_markdown(c.fact)}"
              for c in card.claims] or [f"- {NO_CLAIMS}"]

    lines += ["", "### What to practise next", ""]
    practise = card.practise_next()
    for t, points in practise:
        lines.append(f"- **{' · '.join(escape_markdown(name) for name in t.topics)}**:")
        lines += [f"  - {escape_markdown(p)}" for p in points]
    lines += ["", WHERE_TO_PRACTISE] if practise else [f"- {ALL_COVERED}"]

    if spoken := [q for q in card.questions if q.delivery]:
        lines += ["", "### How you spoke", "", *[f"- Question {q.number}: {q.delivery}" for q in spoken]]
    return "\n".join(lines).rstrip() + "\n"


def report_filename(card: ReportCard, suffix: str = "md") -> str:
    """A plain file name for the download: no characters a person typed."""
    return f"report-card-{(card.started_at or '')[:10] or 'interview'}-{card.session_id[:8]}.{suffix}"

