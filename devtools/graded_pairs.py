"""`python -m bot grader graded-pairs`: training pairs for the points' checker from the choosing sets' graded answers.

The choosing sets (devtools/data, its README) are interview answers the project wrote for its own bank questions, each
point of each answer given a verdict by two raters. Where the raters agree, the checker's readings of that answer can be
labelled (session 40, docs/grading.md):

- both say the point is covered: of the spans the app read for it, the one it reads as most entailing states it
  (entails); in an excellent, spoken or good answer, the other spans it read as contradicting the point (P >= 0.5, above
  P(entails)) do not contradict it (neutral): a right answer misread;
- both say it is missing in a vague, off-topic, wrong or reversed answer: every span it read as stating the point at
  P(entails) >= 0.35 (the app's partial) states nothing of it (neutral; contradicts where both call it incorrect):
  topic words read as the point; not a span that opens with what a right or partial answer to the question also says.
  A right answer's "missing" is left out, as the likeliest to be a paraphrase the raters judged thin.

Verdicts the raters split on and the structural points of a story (covered by their cues) give no pair; partial
verdicts give one only with `partial` (`--partial`, session 47): where both raters call a point partial, in any style,
the span the app reads as most entailing it makes the point by half (a soft target inside the app's partial band,
claimdata.SOFT_TARGETS). The spans and readings are the app's own (`ClaimGrader.measure`), with the checker it runs
(or BOT_CLAIM_CHECKER's): the shipped bot/grading/graded_pairs.jsonl was read by the session-30 checker, which `grader
train` makes as its first pass. Only `TRAINED_SETS` give pairs: the first two sets (the checker's held-out questions)
and the sets after the thirteenth stay for choosing and confirming.
"""

from __future__ import annotations

from pathlib import Path

from bot.grading.claimdata import CONTRADICTS, ENTAILS, NEUTRAL, Pair, _hypothesis
from bot.text import clean_answer
from devtools.evaluation import Record, bank_question, load_records

DATA = Path(__file__).with_name("data")
TRAINED_SETS = ("choosing_answers_s26.jsonl", "choosing_answers_s26b.jsonl", "choosing_answers_s29.jsonl",
                "choosing_answers_s32.jsonl", "choosing_answers_s33.jsonl", "choosing_answers_s34.jsonl",
                "choosing_answers_s34b.jsonl", "choosing_answers_s35.jsonl", "choosing_answers_s36.jsonl",
                "choosing_answers_s38.jsonl", "choosing_answers_s38b.jsonl")
RIGHT_STYLES = frozenset({"excellent", "spoken", "good"})  # where a contradiction of a covered point is a misreading
BAD_STYLES = frozenset({"vague", "offtopic", "wrong", "reversed"})  # where a point both raters miss is not stated
SURE = 0.5  # P(contradicts) of a misreading worth teaching; P(entails) of the app's partial is its `partial_at`
OPENING = 40  # characters of a span that a right or partial answer must not also say, for the span to be a sure negative


def graded_pairs(assessor, records: list[Record], partial: bool = False) -> list[Pair]:
    """The pairs the raters' agreed verdicts label (module docstring), in the records' order, each (point, span) once;
    with `partial`, also the points both raters call partial."""
    grader = assessor.grader
    partial_at = grader.limits.partial_at
    pairs: list[Pair] = []
    halves: list[Pair] = []  # with `partial`
    seen: set[tuple[str, str]] = set()
    fair: dict[str, list[str]] = {}  # each question's answers that are not bad: what a sure negative must not open with
    for r in records:
        if r.style not in BAD_STYLES:
            fair.setdefault(r.question_id, []).append(r.answer)
    for r in records:
        question = bank_question(assessor.corpus, r)
        if question is None:
            continue
        rubric = assessor.corpus.rubrics[question.id]
        points = rubric.expected_points(question.level)
        m = grader.measure(question, points, rubric.red_flags, clean_answer(r.answer))
        if m.empty:
            continue
        rated = dict(r.rater_points)
        for i, p in enumerate(points):
            said = set(rated.get(p.id, ()))
            read = [x for x in m.pairs if x.point == i and x.flag is None]
            if p.cues or not said or not read:
                continue
            labelled = []
            if said == {"covered"}:
                best = max(read, key=lambda x: x.ent)
                labelled.append((best, ENTAILS, "graded-stated"))
                if r.style in RIGHT_STYLES:
                    labelled += [(x, NEUTRAL, "graded-not-false") for x in read
                                 if x is not best and x.con >= SURE and x.con > x.ent]
            elif said == {"partial"} and partial:  # after every sure pair: a span one of them labels keeps its label
                best = max(read, key=lambda x: x.ent)
                halves.append(Pair(_hypothesis(p), m.spans[best.span].text, NEUTRAL, question.id, "graded-partial"))
            elif said <= {"missing", "incorrect"} and r.style in BAD_STYLES:
                labelled += [(x, CONTRADICTS if said == {"incorrect"} else NEUTRAL,
                              "graded-false" if said == {"incorrect"} else "graded-unstated")
                             for x in read if x.ent >= partial_at and not _opens_fair(m.spans[x.span].text,
                                                                                    fair.get(r.question_id, ()))]
            for x, label, source in labelled:
                key = (_hypothesis(p), m.spans[x.span].text)
                if key not in seen:
                    seen.add(key)
                    pairs.append(Pair(*key, label, question.id, source))
    for half in halves:
        if (half.hypothesis, half.premise) not in seen:
            seen.add((half.hypothesis, half.premise))
            pairs.append(half)
    return pairs


def _opens_fair(span: str, answers) -> bool:
    """Does a right or partial answer to the question say what the span opens with (its first 40 characters)? A bad
    answer's span that starts with a true sentence is no sure "states nothing"."""
    return any(span[:OPENING] in a for a in answers)


def build(settings, sets: tuple[str, ...] = TRAINED_SETS, partial: bool = False) -> list[Pair]:
    """`graded_pairs` over the named choosing sets, read by the app's offline grader."""
    from bot.grading.claim_grader import ClaimGrader
    from bot.services import build_assessor, build_embedder

    assessor = build_assessor(settings, embedder=build_embedder(settings), llm=False)
    if not isinstance(assessor.grader, ClaimGrader):
        raise ValueError("The claim grader is not the offline grader here (BOT_OFFLINE_GRADER, or its weights are "
                         "missing): there are no readings to label.")
    return graded_pairs(assessor, [r for name in sets for r in load_records(DATA / name)], partial)
