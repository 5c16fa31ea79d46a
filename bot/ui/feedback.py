"""How a grade reads on the Practice tab: headline, numbered points, the answer with its evidence
highlighted, notes, earlier feedback, the session summary. Plain functions of grades (no Gradio,
no store); everything a candidate or an LLM wrote goes through escape_markdown or into
HighlightedText, which shows text as text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from bot.grading import (
    INCORRECT_PENALTY,
    MARKS,
    Grade,
    GraderKind,
    PointGrade,
    Verdict,
    verdict_counts,
    verdict_label,
)
from bot.grading.claim_grader import CLAIM_MODEL, Limits
from bot.records import Hint
from bot.text import escape_markdown

# Hints ("related ideas from other questions") are shown only at or above this cosine between the answer
# and the hint's point. `python -m devtools.hint_relevance devtools/data/choosing_answers.jsonl` (the bank's
# model answers and the choosing set, 746 answers, 2,238 hints): 45% of all hints come from a question sharing
# a topic with the one asked; 74% of those at 0.70 or above (73 hints), 71% at 0.65, 57% at 0.55. The bar was
# first read off the same table on the dev split (75% at 0.70), a measuring set; the choosing set, read in
# session 15, keeps it.
HINT_MIN_SIMILARITY = 0.70
GRADERS = {GraderKind.rubric: "offline rubric grader", GraderKind.exact: "exact answer check"}
COLOURS = {Verdict.covered: "#bbf7d0", Verdict.partial: "#fde68a", Verdict.incorrect: "#fecaca",
           Verdict.missing: "#e5e7eb"}
SHOWN_VERDICTS = (Verdict.covered, Verdict.partial, Verdict.incorrect)  # a missing point earned no words


def grader_name(g: Grade) -> str:
    return f"LLM grader ({g.model})" if g.grader is GraderKind.llm else GRADERS.get(g.grader, g.grader.value)


def headline(g: Grade, label: str = "", follow_up: bool = False) -> str:
    """The score and what it rests on; a follow-up's speaks of its own point(s) only."""
    if not follow_up:
        return f"### {g.score:.1f} / 10\n{verdict_counts(g.points)} · {grader_name(g)}"
    own = "its own point" if len(g.points) == 1 else f"its own {len(g.points)} points"
    return (f"### {g.score:.1f} / 10\nFollow-up {label}, graded on {own}: {verdict_counts(g.points)} · "
            f"{grader_name(g)}")


def how_scored(g: Grade) -> str:
    """How the claim grader made its score from the points, so that "10.0 / 10" beside "4 of 5 points
    covered" reads as the rule it is, not a slip; empty for other graders (an LLM's score is its own, the
    rubric grader's a calibrated one). The figures are the grader's own constants."""
    if g.grader is not GraderKind.rubric or not (g.model or "").startswith(CLAIM_MODEL):
        return ""
    limits = Limits()
    shrunk = ", less the share of the points it gets wrong" if g.has_incorrect and \
        limits.rubric_if_incorrect == "correct" else ""
    return (f"*How the score is made: a covered point earns its weight, a partial one half, a missing one "
            f"nothing, and an incorrect one loses {INCORRECT_PENALTY:.0%} of its weight; {limits.blend:.0%} of the "
            f"score is how closely the whole answer follows the points{shrunk}; {limits.full_at:.0%} of the marks "
            f"is already 10.*")


def notices(g: Grade) -> str:
    return "\n".join(f"> ⚠️ {escape_markdown(n)}" for n in g.notices)


def point_line(n: int, p: PointGrade, ways: Sequence[str]) -> str:
    """One point, numbered as in the highlighted answer: verdict, the words that earned it, other ways."""
    line = f"{n}. **{verdict_label(p.verdict)}** — {p.text}"
    if p.evidence:
        line += f"\n   > “{escape_markdown(p.evidence)}”"
    if ways and p.verdict is not Verdict.covered:
        # a line of its own under the point (a nested list item): as a continuation line or a paragraph, Markdown runs
        # it on into the point's text in a tight list, or into the quote above it
        line += "\n   - *Other ways to make this point:* " + " · ".join(f"“{w}”" for w in ways)
    return line


def points_markdown(g: Grade, other_ways: dict[str, list[str]]) -> str:
    text = "\n".join(point_line(n, p, other_ways.get(p.point_id, [])) for n, p in enumerate(g.points, 1))
    if g.false_claims:  # the candidate's words, and a fact that may be an LLM's words: both shown as text
        text += "\n\n**What was wrong**\n" + "\n".join(
            f"- You said “{escape_markdown(c.quote)}” — in fact, {escape_markdown(c.fact)}" for c in g.false_claims)
    return text


def notes_markdown(g: Grade, hints: Sequence[Hint]) -> str:
    """Strengths and gaps an LLM wrote (the offline grader's are the points themselves), and the hints
    that clear the relevance bar."""
    notes = ""
    point_texts = {p.text for p in g.points}
    if g.strengths and not set(g.strengths) <= point_texts:
        notes += "**Strengths**\n" + "\n".join(f"- {escape_markdown(s)}" for s in g.strengths) + "\n\n"
    if g.gaps and not set(g.gaps) <= point_texts and g.grader is not GraderKind.exact:
        notes += "**To work on**\n" + "\n".join(f"- {escape_markdown(s)}" for s in g.gaps) + "\n\n"
    related = [h for h in hints if h.similarity >= HINT_MIN_SIMILARITY]
    if related:
        notes += "**Related ideas from other questions** (hints, not scored)\n" + "\n".join(
            f"- {h.point_text} — *{h.question_text}*" for h in related)
    return notes.strip()


def _locate(answer: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` sits in `answer`: exactly, else with any run of spaces between its words."""
    at = answer.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    if not words:
        return None
    found = re.search(r"\s+".join(re.escape(w) for w in words), answer)
    return found.span() if found else None


def highlight_label(numbers: Sequence[int], points: Sequence[PointGrade]) -> str:
    """"point 2 ✓" or "points 1 ✓ · 3 ◐": which points a stretch of the answer earned, and how."""
    marks = " · ".join(f"{n} {MARKS[points[n - 1].verdict]}" for n in numbers)
    return f"point{'s' if len(numbers) > 1 else ''} {marks}"


def evidence_spans(answer: str, g: Grade) -> tuple[list[tuple[str, str | None]], dict[str, str]]:
    """The answer cut into stretches, each labelled with the points whose evidence it is (None for the
    rest), and a colour per label (the best verdict among its points). A quote that is not in the
    answer (an exact check's chosen option) labels nothing."""
    located = [(span, n) for n, p in enumerate(g.points, 1)
               if p.evidence and p.verdict in SHOWN_VERDICTS and (span := _locate(answer, p.evidence))]
    cuts = sorted({0, len(answer), *(i for span, _ in located for i in span)})
    stretches: list[tuple[int, int, list[int]]] = []  # (start, end, points), neighbours with the same points joined
    for a, b in itertools.pairwise(cuts):
        numbers = [n for (start, end), n in located if start <= a and b <= end]
        if stretches and stretches[-1][2] == numbers:
            stretches[-1] = (stretches[-1][0], b, numbers)
        elif a < b:
            stretches.append((a, b, numbers))
    spans: list[tuple[str, str | None]] = []
    colours: dict[str, str] = {}
    for a, b, numbers in stretches:
        label = highlight_label(numbers, g.points) if numbers else None
        if label:
            best = min((g.points[n - 1].verdict for n in numbers), key=list(COLOURS).index)
            colours[label] = COLOURS[best]
        spans.append((answer[a:b], label))
    return spans, colours


def earlier_markdown(items: Sequence[tuple[str, Grade, bool]]) -> str:
    """Earlier feedback on this question, one collapsible block per graded turn: (label, grade,
    is a follow-up). HTML <details> with no attributes; every word inside is escaped or ours."""
    blocks = []
    for label, g, follow_up in items:
        what = f"Follow-up {label}" if follow_up else f"Question {label}"
        body = points_markdown(g, {})
        blocks.append(f"<details><summary>{what}: {g.score:.1f} / 10 — {verdict_counts(g.points)}</summary>\n\n"
                      f"{body}\n\n</details>")
    return "\n\n".join(blocks)


def summary_markdown(answered: int, average: float | None, turns: Sequence[dict], weakest: Sequence[str]) -> str:
    """The end-of-session summary: each graded turn by its number and the question asked."""
    if not answered:
        return "### Session summary\nNo answers were graded in this session."
    lines = [f"### Session summary\n**{answered}** answers graded · average **{average:.1f} / 10**", "",
             "| # | question | score |", "|---|---|---|"]
    for t in turns:
        asked = escape_markdown(" ".join((t.get("question") or t["question_id"]).split()))
        if t["kind"] == "follow_up":
            asked = f"↳ follow-up: {asked}"
        lines.append(f"| {t.get('label', t['seq'])} | {asked} | {t['score']:.1f} |")
    if weakest:
        lines += ["", "**Most often missed**", *[f"- {w}" for w in weakest]]
    return "\n".join(lines)
