"""What the claim checker read in an answer, before any verdict (claim_grader.py decides from it): the grader's
limits, each pair read, each point's strongest readings, and whether the checker can be believed when it
contradicts a point (`reads_own_examples`, `contradicts_most`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bot.corpus import RedFlag
from bot.embeddings import TokenVectors
from bot.grading import INCORRECT_PENALTY, Grade
from bot.grading.claims import ClaimChecker


@dataclass(frozen=True)
class Limits:
    # Candidate spans the claim checker reads per point (the next ones only while the point is not
    # covered) and per red flag. Chosen on the synthetic answers (`grader synthetic`) as the fewest
    # pairs within 0.01 Pearson and 0.05 MAE of reading three spans for everything (13.0 pairs an
    # answer against 19.6).
    spans_per_point: int = 3
    spans_per_flag: int = 1
    # ... and in a long answer, up to this share of its spans (sentences and two-sentence windows) for a point not
    # yet covered: three of a long answer's many spans miss a point stated in other words more often than three of a
    # short one's (session 25, docs/grading.md; 0: three whatever the length, as until then, `eval --rule session-24`).
    spans_share: float = 0.2
    # Besides each sentence and each pair, windows of up to `wide_sentences` sentences while they hold at most this many
    # words (0: none): an answer told in short sentences states a point across three or four of them, where a
    # long-sentenced one states it in one or two (session 44, docs/grading.md).
    wide_words: int = 0
    wide_sentences: int = 4
    # A pair read as saying something false (a point contradicted, a red flag stated, each at 0.5 or more and above the
    # other reading) read again with the span's "a", "an" and "the" removed, the lower of the two kept (False: read
    # once). Without articles the checker reads half as many contradictions in right answers and most of a wrong
    # answer's still (session 45, docs/grading.md).
    plain_reread: bool = False
    # A point's spans ranked by their likeness to its claim or to any of its `examples`, whichever is higher, as many
    # read, each against the claim: "all" its spans so, "more" the spans after the first (the claim's nearest, as the
    # app reads it), read only for a point not covered there; "none": by the claim alone (session 45, docs/grading.md);
    # "union": by the claim, and a point not covered at its first span also reads the span nearest any of its examples
    # (session 46).
    near_examples: str = "none"
    min_similarity: float = 0.15  # a span less similar than this to a point is not worth reading
    # What the rubric grader's evidence (the answer is *about* the point) earns when the checker does
    # not confirm the point: "none", "partial" or "full" (never over a contradiction or a red flag).
    about_credit: str = "none"
    # The share of the score that is the rubric grader's calibrated score; the rest is what the
    # checked verdicts earn. And the share of the marks at which the grade is already 10: the checker
    # rarely confirms every point of a complete answer (synthetic answers made of every point's
    # examples earn 75% from their verdicts). Both chosen on synthetic answers to the claim checker's
    # held-out questions (an answer made of each point's examples, spoken, the model answer, half of
    # the points, one point, the red flags, rule-made false versions, another question's model
    # answer, vague): 0.2 and 0.8 gave the lowest mean absolute error there; chosen again for today's
    # checker on the choosing set by `python -m devtools.limits_grid` (they stay; docs/grading.md).
    # Never chosen on the measuring data.
    # Since session 30, with the points checker refined on other points' false statements (`grader refine --cross`), a
    # 10 at 85% of the marks: chosen with `partial_at` for that checker on the choosing sets 1-3 (`eval --rule cover`).
    blend: float = 0.2
    full_at: float = 0.85
    # The share of the marks under which the grade is 0: the scale runs from `floor` (0) to `full_at` (10). Tried
    # in session 21 (`python -m devtools.limits_grid --floor`, docs/grading.md).
    floor: float = 0.0
    # P(contradicts), and P(entails) of a red flag, at which a point is incorrect (None: the checker's own).
    incorrect_at: float | None = None
    # P(entails) at which a point is covered, and partial (None: the checker's own, 0.5 and 0.25). The verdict's only:
    # the checker reads the same spans. Tried in session 26 (`eval --rule cover`); partial at 0.35 since session 30.
    covered_at: float | None = None
    partial_at: float | None = 0.35
    # What an incorrect point costs, a share of its weight (`score_from_points`), and the rubric grader's
    # share of the score when some point is incorrect: "all" (as for any answer), "none" (the verdicts are
    # the whole score), "correct" (its score times the weight share of the points not incorrect: the rubric
    # grader reads whether an answer is *about* the points, which a fluent false answer is). Tried in
    # session 15 against every contradiction believed, none passed; "correct" passed in session 21, over
    # session 20's context rule (`eval --rule session-20` is the app before it; docs/grading.md).
    incorrect_penalty: float = INCORRECT_PENALTY
    rubric_if_incorrect: str = "correct"
    # A point the checker misreads in the question's own model answer (reads the model answer's spans nearest
    # the point as contradicting it) needs the same second reading as one whose examples it misreads
    # (`ClaimGrader.doubtful`; session 17, `eval --rule session-16` is the app without it).
    model_check: bool = True
    # A point's contradiction (not a red flag's statement) is believed only while the answer covers less than this
    # share of the weight of the question's other points: an answer that states the rest of the rubric is more
    # likely misread than wrong (session 20; above 1: every contradiction counts, `eval --rule session-17`).
    context_share: float = 0.75
    # ... and whether a behavioral question's structural points, covered by their regex `cues` whatever the story says,
    # count in that share (False: only the points without cues count, covered and in the total; session 26,
    # `eval --rule context-topical`).
    context_cues: bool = True
    # ... and whether a point the checker reads as contradicted more strongly than stated (or whose red flag it reads as
    # stated) still counts as covered there (False: it does not; session 26, `eval --rule context-uncontradicted`).
    context_contradicted: bool = True
    # ... and only in an answer with at most one point read as contradicted at this P(contradicts) or the threshold,
    # whichever is higher, that would be believed but for the context rule (None: however many; session 27, `eval
    # --rule context-one`): session 20 made the rule for an excellent answer with one point misread.
    context_most: float | None = None
    # A point's share of the score as a ramp of P(entails) from the first value to the second, instead of the
    # verdicts' steps (None: the steps, the app's). Tried in session 20 (`eval --rule soft-...`).
    soft_credit: tuple[float, float] | None = None
    # The structural points of a behavioral question (STAR, found by their regex `cues`) earn their credit times
    # min(1, S / story_gate), S the share of the other points' weight the verdicts earn: a well-told story about
    # something else, or a wrong one, keeps little of its structure's marks (None: the whole credit, the app's).
    # `story_gate_rubric`: the rubric grader's fifth times the same factor. Tried in session 22 (`eval --rule story-...`).
    story_gate: float | None = None
    story_gate_rubric: bool = True
    # ... and, where the verdicts earn less than `story_floor` of that weight, nothing at all (the rubric grader's fifth
    # too with `story_gate_rubric`): a story that hardly touches what the question asks keeps none of its shape's marks,
    # as the raters give it none (None: no floor, as until session 35, `eval --rule session-34`). 0.4 chosen in
    # session 35 on the choosing sets 1-8 (`eval --rule storyfloor-T-W`), confirmed on a tenth set (docs/grading.md).
    story_floor: float | None = 0.4
    # An answer of at least `elsewhere_words` words whose mean sentence vector is nearer another bank question's profile
    # than its own by more than `elsewhere_margin` (bot/profiles.py) answers that other question: its score is at most
    # `elsewhere_cap`, and the grade says which question it reads like (None: no such check). Chosen in session 22 on
    # the choosing set and the synthetic answers (docs/grading.md); one-sentence answers cannot be placed reliably.
    elsewhere_margin: float | None = 0.2
    elsewhere_cap: float = 0.5
    elsewhere_words: int = 40
    # A story about the candidate's own work reads like the technical question that work belongs to: placed against
    # profiles that leave them out, 28 of the bank's 41 behavioral model answers would be capped (`python -m
    # devtools.placement`). So an answer to a behavioral question escapes the cap where its verdicts earn at least
    # `elsewhere_stories` of the weight of the points without STAR cues and at least `elsewhere_story_voice` of its
    # sentences speak in the first person (None: that condition is not asked; both None: capped as any answer).
    # Session 23 (docs/grading.md).
    elsewhere_stories: float | None = 0.5
    elsewhere_story_voice: float | None = 0.5
    # A red flag the checker reads as stated in its own question's model answer (a right answer) is one it misreads:
    # "none" believes its statement as any flag's, "model" never, "model-examples" only where the span also contradicts
    # most of the point's examples (the points' second reading). Tried in session 23 (`eval --rule flags-model-...`).
    flag_check: str = "none"
    # An answer whose points graded incorrect carry at least `false_cap_share` of the rubric's weight scores at most
    # `false_cap`, and the grade says why: an interviewer who hears several confident false claims does not give the rest
    # of the answer its marks (None: no such cap). Tried in session 26 (`eval --rule falsecap-T-C`, docs/grading.md).
    false_cap_share: float | None = None
    false_cap: float = 2.0
    # A point covered or partial by a span that shares a sentence with the quote of a point graded incorrect: "none" keeps
    # the verdict, "reread" decides it again from its strongest reading among the spans already read that share no such
    # sentence (missing where none is left), "partial" makes it at most partial. An interviewer does not credit a point
    # on the strength of a sentence that says something false. Tried in session 27 (`eval --rule untainted-...`).
    untainted: str = "none"
    # Each red flag read, beside its claim, as each of its written statements (bot/grading/flag_statements.jsonl: the
    # flag said in other words, as a candidate would), each a red flag of its own with the same point and fact. Tried in
    # session 27 (`eval --rule flags-said`).
    flag_statements: bool = False
    # P(entails) of a red flag at which it makes its point incorrect (None: the checker's threshold, or `incorrect_at`).
    # A refined checker (`grader refine`) reads flags said in other words but also reads right sentences in a flag's own
    # words as stating it, less surely. Tried in session 28 (`eval --rule flag-at-T`).
    flag_at: float | None = None
    # Each point's written false statements (bot/grading/claim_statements.jsonl, `false`: a fluent misconception that
    # contradicts the point, written for training) read beside the rubric's red flags as flags of that point, with the
    # point as the fact: "none" (the app's), "all", or "model": those the red flags' checker reads as stated in the
    # question's own model answer left out (`ClaimGrader.misreads_flag`) ...
    point_false: str = "none"
    # ... and the P(entails) at which one of those statements is read as stated (None: a red flag's, `flag_at` or the
    # checker's): they were written to teach the checker, not vetted as red flags. Tried in session 36 (`eval --rule
    # pointfalse...`): "model" at 0.9 was chosen on the choosing sets 1-8 and confirmed on an eleventh set, but not
    # adopted: about ten more pairs and ten more sentences to embed per answer doubled `bench`'s grade time and put
    # `loadtest`'s turn p95 over its 2 s (docs/grading.md).
    point_false_at: float | None = None

    def __post_init__(self) -> None:
        """A misspelt choice would quietly act as another (the code tests for the named ones): refused with the list."""
        for name, allowed in (("about_credit", ("none", "partial", "full")),
                              ("rubric_if_incorrect", ("all", "none", "correct")),
                              ("flag_check", ("none", "model", "model-examples")),
                              ("untainted", ("none", "reread", "partial")),
                              ("point_false", ("none", "all", "model"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"Limits.{name} is {getattr(self, name)!r}; it must be one of {', '.join(allowed)}.")
        if not 0 <= self.spans_share <= 1:
            raise ValueError(f"Limits.spans_share is {self.spans_share!r}; it must be a share, from 0 to 1.")


@dataclass
class _PointReading:
    """The checker's strongest reading of one point: P(entails) and P(contradicts) with their spans, the
    red flag stated most strongly (P(entails) of its claim), or the STAR cue sentence that covers it."""

    ent: float = 0.0
    ent_span: int = 0
    con: float = 0.0
    con_span: int = 0
    flag: float = 0.0
    flag_span: int = 0
    red_flag: RedFlag | None = None
    cued: str | None = None


@dataclass(frozen=True)
class _Span:
    text: str  # verbatim from the answer
    tokens: TokenVectors
    first: int  # the answer's sentences it holds, first to last (`ClaimGrader._spans`)
    last: int

    @property
    def vector(self) -> np.ndarray:
        return self.tokens.sentence


@dataclass
class Measure:
    claims: list[str]  # the points' claims, as the checker read them
    spans: list[_Span]
    readings: list[_PointReading]  # one per point, in rubric order
    rubric: Grade | None  # the rubric grader's grade of the same answer (for the blend)
    bare_list: bool  # a list of keywords rather than sentences
    empty: bool = False  # nothing to read: a non-answer or the question restated
    pairs: list[PairRead] = field(default_factory=list)  # every pair the checker read, in order
    # points the checker contradicts here but also reads one of their own examples as contradicting
    # (ClaimGrader.untrusted): their contradictions make no verdict (their red flags still do)
    untrusted: frozenset[int] = frozenset()
    # the answer's own question's profile similarity less the nearest other question's, and that question's id
    # (bot/profiles.py; None where not measured)
    elsewhere: tuple[float, str] | None = None
    # points whose red flag the answer states, as read, but whose statement is not believed (`Limits.flag_check`)
    untrusted_flags: frozenset[int] = frozenset()


class PairRead(NamedTuple):
    """One (hypothesis, span) pair the checker read: a point's own claim, or (`flag`) one of its red flags."""

    point: int  # which of the points graded, in the order given
    span: int
    ent: float  # P(entails)
    con: float  # P(contradicts)
    flag: RedFlag | None = None


def reads_own_examples(checker: ClaimChecker, claim: str, examples: list[str]) -> bool:
    """Does the checker read none of a point's own `examples` (other valid ways of stating it) as
    contradicting the point's claim? Where it reads one so, what it reads as contradicting the point in
    an answer is as likely a right answer in other words, and the app believes it only where the span
    contradicts most of the examples too (`python -m bot grader untrusted` lists those points). One point's examples are read as one batch: in bfloat16
    a pair's reading moves a little with what it is batched with."""
    t = checker.thresholds
    return not any(con >= t.contradicts and con > ent
                   for _, ent, con in checker.probabilities([claim] * len(examples), examples))


def contradicts_most(read: list[tuple[float, float]], t) -> bool:
    """Does a span contradict most of a point's examples, given (P(entails), P(contradicts)) of each?"""
    return 2 * sum(con >= t.contradicts and con > ent for ent, con in read) > len(read)


def fold(pairs: list[PairRead], readings: list[_PointReading]) -> list[PairRead]:
    """Keep each point's strongest readings of these pairs: its best P(entails), its strongest contradiction
    (only where the span contradicts more than it entails), and the red flag stated most strongly."""
    for p in pairs:
        r = readings[p.point]
        if p.flag is None:
            if p.ent > r.ent:
                r.ent, r.ent_span = p.ent, p.span
            if p.con > p.ent and p.con > r.con:
                r.con, r.con_span = p.con, p.span
        elif p.ent > p.con and p.ent > r.flag:
            r.flag, r.flag_span, r.red_flag = p.ent, p.span, p.flag
    return pairs


def in_context(points, readings: list[_PointReading], t, share: float, cues: bool = True,
               contradicted: bool = True, most: float | None = None,
               untrusted: frozenset[int] = frozenset()) -> frozenset[int]:
    """The contradicted points (P(contradicts) at `t.contradicts`, above P(entails)) of an answer that covers at least
    `share` of the weight of the question's other points (`Limits.context_share`; without the points with STAR cues
    unless `cues`, `Limits.context_cues`; without the points read as contradicted unless `contradicted`,
    `Limits.context_contradicted`): their contradiction is not believed. With `most` (`Limits.context_most`), none is
    where two or more points not `untrusted` are read as contradicted at `most` or the threshold, whichever is higher."""
    if share > 1:
        return frozenset()
    if most is not None:
        at = max(t.contradicts, most)
        if sum(r.cued is None and r.con >= at and r.con > r.ent and i not in untrusted
               for i, r in enumerate(readings)) >= 2:
            return frozenset()
    out = []
    for i, (r, (covered, total)) in enumerate(zip(readings, others_covered(points, readings, t, cues, contradicted),
                                                  strict=True)):
        if r.cued is None and r.con >= t.contradicts and r.con > r.ent and total > 0 and covered >= share * total:
            out.append(i)
    return frozenset(out)


def others_covered(points, readings: list[_PointReading], t, cues: bool = True,
                   contradicted: bool = True) -> list[tuple[float, float]]:
    """For each point, the weight of the question's other points the answer covers (a STAR cue, or P(entails) at
    `t.covered`; without `contradicted`, not where the point is read as contradicted, or its red flag as stated, more
    strongly) and the weight of those other points; without `cues`, the points with STAR cues count in neither."""
    covered = [r.cued is not None or (r.ent >= t.covered and (contradicted or not read_false(r, t))) for r in readings]
    weights = [p.weight if cues or not p.cues else 0.0 for p in points]
    return [(sum(w for k, w in enumerate(weights) if k != i and covered[k]), sum(weights) - weights[i])
            for i in range(len(points))]


def read_false(r: _PointReading, t) -> bool:
    """Does the checker read this point as contradicted, or one of its red flags as stated, more strongly than the
    point as stated (before any second reading)?"""
    return (r.con >= t.contradicts and r.con > r.ent) or (r.red_flag is not None and r.flag >= t.flag and r.flag > r.ent)
