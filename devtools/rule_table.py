"""The decision rules `python -m bot eval --rule NAME` can grade by: what each one changes in the claim grader's
decision, by name (devtools/rules.py applies them). Each was judged by a rule written down before it was
measured (docs/grading.md); none but `shipped` is the app's.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.grading.claim_grader import Limits


@dataclass(frozen=True)
class Rule:
    text: str  # what the rule does, as docs/grading.md's table says it
    # a contradiction read in a two-sentence window counts only at this P(contradicts) (above 1: never)
    window_at: float = 0.0
    window_needs_sentence: bool = False  # ... only if one of its two sentences contradicts the point too
    flag_span_wins: bool = False  # a red flag stated by the span that entails the point makes it incorrect
    flag_span_covers_nothing: bool = False  # a span that states any red flag entails no point
    rubric_covered_veto: float | None = None  # no contradiction where the rubric grader covers the point this well
    # when a span contradicts a point, read it against the point's examples: the contradiction stands if
    # it contradicts "all" / a "majority" / "any" of them, or the "mean" P(contradicts) over the point and
    # them is at the threshold; it falls if the span entails one of them ("entails"), or also if it
    # contradicts none ("entails-or-none")
    examples: str | None = None
    widen: int = 0  # a point not covered: its examples against its nearest spans read for it (this many)
    # a point whose own examples the checker misreads (read as the span, the point's claim as the hypothesis)
    # is not trusted to be contradicted (its red flags still count): "contradicts" when one of them reads as
    # contradicting it (the app's own check since session 14, ClaimGrader.trusted), "not-entailed" when one
    # of them does not read as stating it, "margin": a contradiction must be stronger than the strongest such
    # reading of an example; None: every contradiction is trusted (the app until session 13)
    self_check: str | None = None
    # a point one of whose own examples does not read as stating it: the rubric grader's evidence for it
    # (the answer is about it) earns partial credit where the checker finds nothing
    about_unread: bool = False
    # a point not trusted (self_check "contradicts"): its contradiction stands after all if the span also
    # contradicts "majority" (the app's own since session 14, ClaimGrader.untrusted) / "any" of its examples
    untrusted_examples: str | None = None
    # a point whose best-read own example (as the span) reads below the covered threshold is covered by a span
    # the checker reads at least as strongly (and at the partial threshold or more)
    own_examples_cover: bool = False
    # the score, not the verdicts (session 15): what an incorrect point costs (None: the app's quarter of its
    # weight), and the rubric grader's share when some point is incorrect (Limits.rubric_if_incorrect; None: the
    # app's "correct" since session 21; "all", the default, as every rule not made from `shipped` reads)
    penalty: float | None = None
    rubric_if_incorrect: str | None = "all"
    # a red flag's statement makes no false claim where the span reads as stating the flag's fact at least as
    # strongly (one more pair per red flag stated)
    flag_fact_clears: bool = False
    one_claim_per_span: bool = False  # a span contradicts at most one point: the one it contradicts most
    # the score's constants (session 16, `grid-...` rules; None: the app's Limits): P(contradicts), and P(entails)
    # of a red flag, at which a point is incorrect; the rubric grader's share; the share of the marks that is a 10
    incorrect_at: float | None = None
    blend: float | None = None
    full_at: float | None = None
    # session 17: a point is not trusted either (self_check "contradicts") where the checker reads the bank's own
    # model answer as contradicting it (Limits.model_check; None: the app's, since session 17)
    model_check: bool | None = None
    # session 18: a point whose claim is not a proposition (its meta verb takes no that/why/how clause, so it names
    # a topic rather than saying something true or false): "never" contradicted, or only where the span also
    # contradicts most of its "examples" (red flags count as always)
    noun_points: str | None = None
    nearest_contradicts: bool = False  # only the span nearest a point (read first) can contradict it
    soft_credit: tuple[float, float] | None = None  # session 20: Limits.soft_credit (score only)
    # session 20: a point's contradiction (not a red flag's) is not believed where the answer covers at least this
    # share of the weight of the question's other points (Limits.context_share; None: the app's 0.75, above 1: off, as
    # every rule not made from `shipped` reads, being the decision of its time)
    context_share: float | None = 2.0
    floor: float | None = None  # session 21: Limits.floor, the share of the marks under which the grade is 0 (score only)
    # session 22: in an answer that covers at least the first value of the weight of the question's other points, a point
    # the checker reads as neither stated nor contradicted (no red flag stated) that the rubric grader finds the answer
    # about (covered or partial) earns the second value's credit, "partial" or "full"
    about_in_context: tuple[float, str] | None = None
    story_gate: float | None = None  # session 22: Limits.story_gate (score only)
    story_gate_rubric: bool | None = None  # ... and Limits.story_gate_rubric
    # session 22: the cap on an answer that reads like another question's (Limits.elsewhere_margin): False off, as every
    # rule made before it reads; None the app's
    elsewhere: bool | None = False
    # session 23: (Limits.elsewhere_stories, Limits.elsewhere_story_voice), what an answer to a behavioral question needs
    # to escape that cap (score only); None the app's
    story_exemption: tuple[float | None, float | None] | None = None
    flag_check: str | None = None  # session 23: Limits.flag_check (None: the app's)
    # session 25: Limits.spans_share, how many of a long answer's spans a point may read (None: the app's; 0: three
    # spans whatever the length, as every rule before session 25 was measured). It changes what the checker reads, so
    # each value is measured apart (RuleGrader.measure).
    spans_share: float | None = 0.0
    context_cues: bool | None = None  # session 26: Limits.context_cues (None: the app's)
    covered_at: float | None = None  # session 26: Limits.covered_at and partial_at (None: the app's)
    partial_at: float | None = None
    false_cap: tuple[float, float] | None = None  # session 26: (Limits.false_cap_share, Limits.false_cap); None: the app's
    context_contradicted: bool | None = None  # session 26: Limits.context_contradicted (None: the app's)
    untainted: str | None = None  # session 27: Limits.untainted (None: the app's)
    context_most: float | None = None  # session 27: Limits.context_most (None: the app's)
    flag_statements: bool | None = None  # session 27: Limits.flag_statements (None: the app's); changes what is read
    flag_at: float | None = None  # session 28: Limits.flag_at (None: the app's)
    # session 31: a point covered or partial by a span one of whose clauses (rules.clauses) the checker reads as
    # contradicting it at this P(contradicts) or more (above that clause's P(entails)) is read as contradicted there
    # (P(entails) 0); `clause_second`: believed only where the clause also contradicts most of the point's examples
    # ("examples"; a point without examples: never) or the red flags' checker reads it so at the same P ("flags")
    clause_at: float | None = None
    clause_second: str = "none"
    # session 32: a point read as contradicted stays so only where the red flags' checker reads the same claim and span
    # as contradicting too (at the contradiction threshold, above its P(entails))
    confirm_con: bool = False
    # session 34: the checkers that must each read it so: the red flags' ("flags") and / or the app's shipped one
    # ("shipped"; what it means beside a checker of BOT_CLAIM_CHECKER)
    confirm_by: tuple[str, ...] = ("flags",)
    # session 33: a point the checker reads as neither stated (below its partial threshold) nor contradicted, nor a red
    # flag stated, is partial where one of its examples, read against the span nearest that example, entails at this P
    examples_partial: float | None = None
    # session 34: on a behavioral question, its points covered at the first P(entails) and partial at the second
    # (Limits.covered_at, partial_at for those answers only; the verdict's only, the checker reads the same spans)
    story_cover: tuple[float, float] | None = None
    # session 35: Limits.story_floor (score only): 0 off, as the rules made from the app before it read; None the app's
    story_floor: float | None = 0.0
    # session 36: Limits.point_false and point_false_at (None: the app's); they change what is read
    point_false: str | None = None
    point_false_at: float | None = None
    # session 39: Limits.spans_per_flag, how many of a red flag's nearest spans are read (None: the app's 1)
    spans_per_flag: int | None = None
    # session 42: an answer the rule grades with no point incorrect is graded again from a measure in which a point not
    # yet stated reads up to this share of the answer's spans (Limits.spans_share; None: no second grade) ...
    clean_reads: float | None = None
    # ... and only where the answer is nearer its own question's profile than any other's (the `elsewhere` margin >= 0)
    clean_own: bool = False
    wide_words: int | None = None  # session 44: Limits.wide_words (None: the app's); changes what is read
    plain_reread: bool | None = None  # session 45: Limits.plain_reread (None: the app's); changes what is read
    near_examples: str | None = None  # session 45: Limits.near_examples (None: the app's); changes what is read

    def limits(self, shipped: Limits) -> Limits:
        """The app's Limits with this rule's changes to the score."""
        change = {"incorrect_at": self.incorrect_at, "blend": self.blend, "full_at": self.full_at,
                  "incorrect_penalty": self.penalty, "model_check": self.model_check,
                  "soft_credit": self.soft_credit, "context_share": self.context_share,
                  "rubric_if_incorrect": self.rubric_if_incorrect, "floor": self.floor,
                  "story_gate": self.story_gate, "story_gate_rubric": self.story_gate_rubric,
                  "flag_check": self.flag_check, "spans_share": self.spans_share,
                  "context_cues": self.context_cues, "covered_at": self.covered_at, "partial_at": self.partial_at,
                  "context_contradicted": self.context_contradicted, "untainted": self.untainted,
                  "context_most": self.context_most, "flag_statements": self.flag_statements,
                  "flag_at": self.flag_at, "story_floor": self.story_floor, "point_false": self.point_false,
                  "point_false_at": self.point_false_at, "spans_per_flag": self.spans_per_flag,
                  "wide_words": self.wide_words, "plain_reread": self.plain_reread,
                  "near_examples": self.near_examples}
        limits = dataclasses.replace(shipped, **{k: v for k, v in change.items() if v is not None})
        if self.false_cap is not None:
            limits = dataclasses.replace(limits, false_cap_share=self.false_cap[0], false_cap=self.false_cap[1])
        if self.story_exemption is not None:
            stories, voice = self.story_exemption
            limits = dataclasses.replace(limits, elsewhere_stories=stories, elsewhere_story_voice=voice)
        return dataclasses.replace(limits, elsewhere_margin=None) if self.elsewhere is False else limits


SHIPPED = Rule("shipped (the app's own decision)", self_check="contradicts", untrusted_examples="majority",
               context_share=None, rubric_if_incorrect=None, elsewhere=None, spans_share=None, story_floor=None)
# the app as it read answers until session 25 (three spans per point whatever the answer's length): what the rules
# made from it before then were measured against (without session 35's floor under a story, which they predate)
READ_UNTIL_25 = dataclasses.replace(SHIPPED, spans_share=0.0, story_floor=0.0, story_gate_rubric=False)


def on_shipped(text: str, **change) -> Rule:
    """The app's own decision with one change (the rules of sessions 14-15 read against it); without session 22's cap
    on answers that read like another question's unless the change names it, as they were measured."""
    return dataclasses.replace(READ_UNTIL_25, text=text, **({"elsewhere": False} | change))


_FLAGS_MODEL_EXAMPLES = ("shipped, and a red flag the checker reads as stated in its question's own model answer makes its "
                         "point incorrect only where the span also contradicts most of the point's examples")

RULES: dict[str, Rule] = {
    "shipped": SHIPPED,
    # the rules below are read against this one: what the app decided until session 13
    "session-13": Rule("the app's decision until session 13 (every contradiction trusted)"),
    # session 11
    "window-never": Rule("a window's contradiction never counts (sentences alone do)", window_at=1.01),
    "window-0.7": Rule("a window's contradiction counts at P >= 0.7", window_at=0.7),
    "window-0.8": Rule("a window's contradiction counts at P >= 0.8", window_at=0.8),
    "window-0.9": Rule("a window's contradiction counts at P >= 0.9", window_at=0.9),
    "window-0.95": Rule("a window's contradiction counts at P >= 0.95", window_at=0.95),
    "window-sentence": Rule("a window's contradiction counts only if one of its sentences contradicts too",
                            window_needs_sentence=True),
    "flag-span-wins": Rule("a red flag stated by the span that entails the point wins", flag_span_wins=True),
    "flag-span-covers-nothing": Rule("a span that states any red flag covers nothing", flag_span_covers_nothing=True),
    "rubric-veto-0.5": Rule("no contradiction where the rubric grader finds the point covered (coverage >= 0.5)",
                            rubric_covered_veto=0.5),
    "rubric-veto-0.7": Rule("no contradiction where the rubric grader finds the point covered (coverage >= 0.7)",
                            rubric_covered_veto=0.7),
    # session 12
    "examples-all": Rule("contradiction stands only if the span contradicts every example", examples="all"),
    "examples-majority": Rule("... a majority of the examples", examples="majority"),
    "examples-any": Rule("... any example", examples="any"),
    "examples-mean": Rule("... the mean P(contradicts) over point and examples >= the threshold", examples="mean"),
    "examples-entails": Rule("no contradiction where the span entails an example", examples="entails"),
    "examples-entails-or-none": Rule("... or contradicts none of them", examples="entails-or-none"),
    "widen-1": Rule("widen: the examples against a point's nearest span", widen=1),
    "widen-3": Rule("widen with three spans", widen=3),
    # session 14
    "self-check": Rule("no contradiction of a point one of whose own examples reads as contradicting it",
                       self_check="contradicts"),
    "self-check-ent": Rule("no contradiction of a point one of whose own examples does not read as stating it",
                           self_check="not-entailed"),
    "self-check-margin": Rule("a contradiction stands only above the P(contradicts) with which the checker reads "
                              "one of the point's own examples", self_check="margin"),
    "own-examples-cover": on_shipped("shipped, and a point is covered by a span read as strongly as its best-read "
                                     "example", own_examples_cover=True),
    "self-check-then-examples-any": Rule(
        "self-check, but a point not trusted is still contradicted where the span contradicts one of its examples",
        self_check="contradicts", untrusted_examples="any"),
    "self-check-about": Rule("self-check, and the rubric grader's evidence earns partial for a point one of whose own "
                             "examples does not read as stating it", self_check="contradicts", about_unread=True),
    "self-check-examples-entails": Rule("self-check, and no contradiction where the span entails an example",
                                        self_check="contradicts", examples="entails"),
    # session 15: the score of an answer the checker finds saying something false
    "no-blend-if-incorrect": on_shipped("shipped, and an answer with an incorrect point gets no rubric share "
                                        "(verdicts alone)", rubric_if_incorrect="none"),
    "blend-by-correct-share": on_shipped("shipped, and the rubric share times the weight share of points not "
                                         "incorrect", rubric_if_incorrect="correct"),
    "penalty-0.5": on_shipped("shipped, and an incorrect point costs half its weight", penalty=0.5),
    "penalty-1.0": on_shipped("shipped, and an incorrect point costs its whole weight", penalty=1.0),
    "flag-fact-clears": on_shipped("shipped, and a span read as stating a red flag's fact as strongly as its claim "
                                   "states no red flag", flag_fact_clears=True),
    "one-claim-per-span": on_shipped("shipped, and a span contradicts at most one point (the one it contradicts "
                                     "most)", one_claim_per_span=True),
    "no-blend-penalty-0.5": on_shipped("no-blend-if-incorrect and penalty-0.5 together", rubric_if_incorrect="none",
                                       penalty=0.5),
    # session 17: the app until then, and the change it made (now the app's own)
    "session-17": on_shipped("the app's decision until session 20 (every contradiction counts, whatever else the answer "
                             "covers)", context_share=2.0, rubric_if_incorrect="all"),
    "session-16": on_shipped("the app's decision until session 17 (its model answer not read)", model_check=False,
                             context_share=2.0, rubric_if_incorrect="all"),
    "model-check": on_shipped("session-16, and a point the checker reads the model answer as contradicting is not "
                              "trusted either", model_check=True, context_share=2.0, rubric_if_incorrect="all"),
    # session 18
    "noun-points-never": on_shipped("shipped, and a point whose claim is not a proposition is never contradicted",
                                    noun_points="never"),
    "noun-points-examples": on_shipped("shipped, and a point whose claim is not a proposition is contradicted only "
                                       "where the span contradicts most of its examples too", noun_points="examples"),
    "nearest-contradicts": on_shipped("shipped, and only the span nearest a point can contradict it (the next spans "
                                      "can cover it)", nearest_contradicts=True),
    **{f"soft-{lo:g}-{hi:g}": on_shipped(f"shipped, and a point's credit a ramp of P(entails) from {lo:g} to {hi:g} "
                                         "(score only)", soft_credit=(lo, hi), context_share=2.0,
                                         rubric_if_incorrect="all")
       for lo, hi in ((0.25, 0.5), (0.15, 0.6), (0.1, 0.5))},
    **{f"context-{name}": on_shipped(f"shipped, and no contradiction of a point where the answer covers {what} of the "
                                     "other points' weight (red flags count)", context_share=share,
                                     rubric_if_incorrect="all")
       for name, what, share in (("all", "all", 1.0), ("0.75", "three quarters", 0.75), ("0.5", "half", 0.5))},
    # session 22: the rubric grader's "about" credit where the answer states most of the rest of the rubric
    **{f"about-context-{share:g}-{credit}": on_shipped(
        f"shipped, and in an answer that covers {share:.0%} of the other points' weight, a point the checker finds "
        f"missing that the rubric grader finds the answer about earns {credit} credit", about_in_context=(share, credit))
       for share in (0.5, 0.75) for credit in ("partial", "full")},
    **{f"story-gate-{gate:g}{'-all' if whole else ''}": on_shipped(
        f"shipped, and a behavioral question's structural (STAR) points keep their credit times the share of the "
        f"other points' marks earned over {gate:g} (at most 1){', the rubric grader fifth too' if whole else ''} "
        "(score only)", story_gate=gate, story_gate_rubric=whole)
       for gate in (0.25, 0.5) for whole in (False, True)},
    # session 23: the cap on an answer that reads like another question's, for behavioral questions
    **{f"stories-{share:g}": dataclasses.replace(
        READ_UNTIL_25, text="shipped, and an answer to a behavioral question is " + (
            "never capped as an answer to another question" if not share else
            f"capped as an answer to another question only where its verdicts earn less than {share:.0%} of the weight "
            "of the points without STAR cues") + " (score only)", story_exemption=(share, None))
       for share in (0.0, 0.25, 0.5)},
    "stories-first-person-0.5": dataclasses.replace(
        READ_UNTIL_25, text="shipped, and an answer to a behavioral question is capped as an answer to another question only "
        "where fewer than half its sentences speak in the first person (score only)", story_exemption=(None, 0.5)),
    "exempt-none": dataclasses.replace(
        SHIPPED, text="shipped, and an answer to a behavioral question capped as an answer to another question as any "
        "other (score only)", story_exemption=(None, None)),
    "stories-0.5-first-person-0.5": dataclasses.replace(
        READ_UNTIL_25, text="shipped, and an answer to a behavioral question escapes the cap on an answer to another question "
        "only where its verdicts earn half the weight of the points without STAR cues and half its sentences speak in "
        "the first person (score only; the app's since session 23)", story_exemption=(0.5, 0.5)),
    # session 23: red flags the checker reads as stated in their own question's model answer
    "flags-model-never": dataclasses.replace(
        READ_UNTIL_25, text="shipped, and a red flag the checker reads as stated in its question's own model answer never "
        "makes its point incorrect", flag_check="model"),
    "flags-model-examples": dataclasses.replace(READ_UNTIL_25, text=_FLAGS_MODEL_EXAMPLES, flag_check="model-examples"),
    # session 26: a behavioral question's structure (its STAR points, covered by regex cues whatever the story says)
    "context-topical": dataclasses.replace(
        SHIPPED, text="shipped, and the points with STAR cues count neither way in the share of the rest of the rubric an "
        "answer covers (the context rule)", context_cues=False),
    "story-gate-0.5-now": dataclasses.replace(
        SHIPPED, text="shipped, with session 22's story-gate-0.5 (score only)", story_gate=0.5,
        story_gate_rubric=False, story_floor=0.0),
    # session 34: the story gate on that day's app (no story floor), stronger, the rubric grader's fifth gated too
    **{f"story-now-{gate:g}{'-all' if whole else ''}": dataclasses.replace(
        SHIPPED, text=f"shipped, and a behavioral question's STAR points keep their credit times the share of the other "
        f"points' marks earned over {gate:g} (at most 1){', the rubric grader fifth too' if whole else ''} (score only)",
        story_gate=gate, story_gate_rubric=whole, story_floor=0.0)
       for gate in (0.5, 0.75, 1.0) for whole in (False, True)},
    "context-uncontradicted": dataclasses.replace(
        SHIPPED, text="shipped, and a point read as contradicted (or its red flag as stated) more strongly than stated does "
        "not count as covered in the context rule", context_contradicted=False),
    # session 27: evidence from a sentence read as saying something false
    "untainted-reread": dataclasses.replace(
        SHIPPED, text="shipped, and a point covered or partial by a span sharing a sentence with an incorrect point's quote "
        "is decided again from the spans read that share none", untainted="reread"),
    "untainted-partial": dataclasses.replace(
        SHIPPED, text="shipped, and a point covered by a span sharing a sentence with an incorrect point's quote is at most "
        "partial", untainted="partial"),
    "context-one": dataclasses.replace(
        SHIPPED, text="shipped, and the context rule shields no contradiction in an answer with two or more points read as "
        "contradicted that would be believed but for it", context_most=0.0),
    "context-one-0.8": dataclasses.replace(
        SHIPPED, text="context-one, counting only such readings at P(contradicts) 0.8 or more", context_most=0.8),
    # session 27: checks on the red flags a refined checker reads (`grader refine`), from today's decision
    "flag-fact-clears-now": dataclasses.replace(
        SHIPPED, text="shipped, and a span read as stating a red flag's fact as strongly as its claim states no red flag",
        flag_fact_clears=True),
    "flags-model-examples-now": dataclasses.replace(SHIPPED, text=_FLAGS_MODEL_EXAMPLES, flag_check="model-examples"),
    "flags-said": dataclasses.replace(
        SHIPPED, text="shipped, and each red flag read also as each of its written statements (the flag said in other "
        "words), each a red flag of its own", flag_statements=True),
    # session 28: a stricter red flag, for a refined checker
    **{f"flag-at-{at}": dataclasses.replace(
        SHIPPED, text=f"shipped, and a red flag makes its point incorrect only at P(entails) {at} or more", flag_at=at)
       for at in (0.7, 0.8, 0.9)},
    # session 29: the red flags said in other words, without those read as stated in the question's own model answer
    **{f"flags-said-{how}": dataclasses.replace(
        SHIPPED, text="flags-said, and a statement the flag checker reads as stated in its question's own model answer "
        + ("never counts" if how == "model" else "counts only where the span also contradicts most of the point's examples"),
        flag_statements=True, flag_check=how) for how in ("model", "model-examples")},
    # session 29: with the red flags read by their own checker, a point's own contradiction at a higher bar
    **{f"point-con-at-{at}": dataclasses.replace(
        SHIPPED, text=f"shipped, and a point's own contradiction (not a red flag) makes it incorrect only at "
        f"P(contradicts) {at} or more", incorrect_at=at, flag_at=0.5)
       for at in (0.6, 0.7, 0.8, 0.9)},
    "point-con-never": dataclasses.replace(
        SHIPPED, text="shipped, and only a red flag makes a point incorrect (never the point's own contradiction)",
        incorrect_at=1.01, flag_at=0.5),
    # session 45: a false reading read again without the span's articles, the lower kept (Limits.plain_reread)
    "plain": dataclasses.replace(
        SHIPPED, text="shipped, and a pair read as saying something false read again without the span's articles, the "
        "lower reading kept", plain_reread=True),
    "exnear": dataclasses.replace(
        SHIPPED, text="shipped, with a point's spans ranked by their likeness to its claim or any of its examples",
        near_examples="all"),
    "exmore": dataclasses.replace(
        SHIPPED, text="shipped, with a point's spans after the first ranked by their likeness to its claim or any of its "
        "examples", near_examples="more"),
    # session 46: the app's reads, and the span nearest a point's examples for a point not covered at its first span
    "exunion": dataclasses.replace(
        SHIPPED, text="shipped, and a point not covered at its nearest span also reads the span nearest any of its "
        "examples", near_examples="union"),
    # session 32: a point's own contradiction believed only where the red flags' checker reads it so too
    "confirmed": dataclasses.replace(
        SHIPPED, text="shipped, and a point read as contradicted stays so only where the red flags' checker reads the "
        "same claim and span as contradicting it too", confirm_con=True),
    # session 34: for a checker of BOT_CLAIM_CHECKER, confirmed by the shipped checker, by both, or with a window's
    # contradiction believed only where one of its sentences alone contradicts too
    "confirmed-shipped": dataclasses.replace(
        SHIPPED, text="shipped, and a point read as contradicted stays so only where the shipped checker reads the "
        "same claim and span as contradicting it too", confirm_con=True, confirm_by=("shipped",)),
    "confirmed-both": dataclasses.replace(
        SHIPPED, text="shipped, and a point read as contradicted stays so only where the red flags' checker and the "
        "shipped checker both read the same claim and span as contradicting it too", confirm_con=True,
        confirm_by=("flags", "shipped")),
    "confirmed-sentence": dataclasses.replace(
        SHIPPED, text="confirmed, and a two-sentence window's contradiction counts only where one of its sentences "
        "alone contradicts the point too", confirm_con=True, window_needs_sentence=True),
    "context-topical-story-gate-0.5": dataclasses.replace(
        SHIPPED, text="context-topical and story-gate-0.5-now together", context_cues=False, story_gate=0.5,
        story_gate_rubric=False, story_floor=0.0),
    # session 36: each point's written false statements read as red flags of it (Limits.point_false), and with flags the
    # checker reads as stated in the question's own model answer never believed
    "pointfalse": dataclasses.replace(
        SHIPPED, text="shipped, and each point's written false statements (claim_statements.jsonl) read as red flags of "
        "that point", point_false="all"),
    "pointfalse-model": dataclasses.replace(
        SHIPPED, text="pointfalse, and a red flag the flag checker reads as stated in its question's own model answer "
        "never counts", point_false="all", flag_check="model"),
    "pointfalse-own-model": dataclasses.replace(
        SHIPPED, text="pointfalse, but a written false statement the flag checker reads as stated in its question's own "
        "model answer is not read (the rubric's red flags as the app's)", point_false="model"),
    **{f"pointfalse-own-model-at-{at:g}": dataclasses.replace(
        SHIPPED, text=f"pointfalse-own-model, a written false statement read as stated only at P(entails) {at:g} or more",
        point_false="model", point_false_at=at) for at in (0.7, 0.8, 0.9)},
    # session 39: a red flag read against more of the spans nearest it than the first
    **{f"flag-spans-{n}": dataclasses.replace(
        SHIPPED, text=f"shipped, and each red flag read against its {n} nearest spans (a span that states it makes its "
        "point incorrect)", spans_per_flag=n) for n in (2, 3)},
    **{f"flag-spans-{n}-at-{at}": dataclasses.replace(
        SHIPPED, text=f"flag-spans-{n}, and a red flag makes its point incorrect only at P(entails) {at} or more",
        spans_per_flag=n, flag_at=at) for n in (2, 3) for at in (0.7, 0.8, 0.9)},
    # session 35: the app until then (the floor under a behavioral story is now the app's own)
    "session-34": dataclasses.replace(
        SHIPPED, text="the app's decision until session 35 (a behavioral story's STAR points earn their marks however "
        "little of the rest of its rubric it earns)", story_floor=0.0, story_gate_rubric=False),
    # session 25: the app until then (reading a share of a long answer's spans is now the app's own)
    "session-24": dataclasses.replace(
        READ_UNTIL_25, text="the app's decision until session 25 (three spans per point, whatever the answer's length)"),
    # session 23: the app until then (its exemption of stories from that cap is now the app's own)
    "session-22": dataclasses.replace(
        READ_UNTIL_25, text="the app's decision until session 23 (an answer to a behavioral question capped as any other)",
        story_exemption=(None, None)),
    # session 22: the app until then (its cap on answers that read like another question's is now the app's own)
    "session-21": on_shipped("the app's decision until session 22 (no cap on an answer that reads like an answer to "
                             "another question)"),
    # session 21: the app until then (session 15's blend-by-correct-share, tried again over the context rule, is now
    # the app's own)
    "session-20": on_shipped("the app's decision until session 21 (the rubric grader's fifth whole, whatever the "
                             "answer says that is false)", rubric_if_incorrect="all"),
}

_PROPOSITION = re.compile(r"^\s*(?:\w+ly\s+)?\w+\s+(?:that|why|how)\s", re.IGNORECASE)


def is_proposition(point_text: str) -> bool:
    """Does the rubric point ask for something true or false ("explains that / why / how ...") rather than name a
    topic ("describes fast tests of the pipeline's code", "names fairness metrics")?"""
    return _PROPOSITION.match(point_text) is not None


@dataclass(frozen=True)
class Family:
    """Rules named `PREFIX-V1-V2...`: the shipped decision with those values (`make`; None where they make no rule),
    and a grid of values, every combination of which the family's name alone stands for (`eval --rule PREFIX`)."""

    prefix: str
    grid: dict[str, tuple[float, ...]]
    make: Callable[..., Rule | None]

    def name(self, *values: float) -> str:
        return "-".join([self.prefix, *(f"{v:g}" for v in values)])

    def names(self) -> list[str]:
        """Every combination of the grid's values that makes a rule."""
        return [self.name(*values) for values in itertools.product(*self.grid.values()) if self.make(*values)]

    def rule(self, name: str) -> Rule | None:
        """The rule a name of this family stands for (any values, not only the grid's), or None."""
        parts = name.split("-")
        if len(parts) != len(self.grid) + 1 or parts[0] != self.prefix:
            return None
        try:
            values = [float(x) for x in parts[1:]]
        except ValueError:
            return None
        return self.make(*values)


def _grid(at: float, blend: float, full_at: float, penalty: float) -> Rule | None:
    if not (0 < at <= 1 and 0 <= blend <= 1 and 0 < full_at <= 1 and 0 <= penalty <= 1):
        return None
    return on_shipped(f"shipped, with incorrect at P >= {at:g}, the rubric grader's share {blend:g}, "
                      f"{full_at:.0%} of the marks a 10, an incorrect point costing {penalty:g} of its weight",
                      incorrect_at=at, blend=blend, full_at=full_at, penalty=penalty)


def _floor(floor: float, full_at: float) -> Rule | None:
    if not 0 <= floor < full_at <= 1:
        return None
    return on_shipped(f"shipped, with the first {floor:.0%} of the marks earning nothing and {full_at:.0%} of them a 10",
                      floor=floor, full_at=full_at)


def _widen(widen: float, full_at: float) -> Rule | None:
    if not (widen in (1, 2, 3) and 0 < full_at <= 1):
        return None
    return on_shipped(f"shipped, with each point not covered read in its examples against its {widen:g} nearest "
                      f"spans and {full_at:.0%} of the marks a 10", widen=int(widen), full_at=full_at, elsewhere=None)


def _cover(covered: float, partial: float, full_at: float) -> Rule | None:
    if not (0 < partial < covered <= 1 and 0 < full_at <= 1):
        return None
    return dataclasses.replace(SHIPPED, text=f"shipped, with a point covered at P(entails) >= {covered:g} and partial at "
                               f">= {partial:g}, {full_at:.0%} of the marks a 10", covered_at=covered, partial_at=partial,
                               full_at=full_at)


def _clauses(second: str) -> Callable[[float], Rule | None]:
    said = {"none": "", "examples": ", where the clause also contradicts most of the point's examples",
            "flags": ", where the red flags' checker reads it so too"}[second]

    def make(at: float) -> Rule | None:
        if not 0 < at <= 1:
            return None
        return dataclasses.replace(SHIPPED, text=f"shipped, and a point covered or partial by a span one of whose clauses "
                                   f"is read as contradicting it at P >= {at:g} is contradicted{said}", clause_at=at,
                                   clause_second=second)
    return make


def _expartial(at: float) -> Rule | None:
    if not 0 < at <= 1:
        return None
    return dataclasses.replace(SHIPPED, text=f"shipped, and a point read as neither stated nor contradicted is partial "
                               f"where one of its examples reads as stated at P >= {at:g} by the span nearest it",
                               examples_partial=at)


def _storycover(covered: float, partial: float, gate: float) -> Rule | None:
    if not (0 < partial < covered <= 1 and 0 <= gate <= 1):
        return None
    gated = f", with story-now-{gate:g}" if gate else ""
    return dataclasses.replace(SHIPPED, text=f"shipped, and on a behavioral question a point covered at P(entails) >= "
                               f"{covered:g} and partial at >= {partial:g}{gated}", story_cover=(covered, partial),
                               story_gate=gate or None, story_gate_rubric=False, story_floor=0.0)


def _storyfloor(floor: float, whole: float) -> Rule | None:
    if not (0 < floor <= 1 and whole in (0, 1)):
        return None
    return dataclasses.replace(SHIPPED, text=f"shipped, and a behavioral question's STAR points earn nothing where the "
                               f"verdicts earn less than {floor:g} of the other points' weight"
                               f"{', the rubric grader fifth neither' if whole else ''} (score only)",
                               story_floor=floor, story_gate_rubric=bool(whole))


def _exempt(share: float) -> Rule | None:
    if not 0 <= share <= 1:
        return None
    return dataclasses.replace(SHIPPED, text="shipped, and an answer to a behavioral question escapes the cap on an answer "
                               f"to another question only where its verdicts earn {share:g} of the weight of the points "
                               "without STAR cues and half its sentences speak in the first person (score only)",
                               story_exemption=(share, 0.5))


def _share(limit: str, text: str) -> Callable[[float], Rule | None]:
    """A family of the app's decision with one Limits share (0 < S <= 1) changed; `text` has {share} in it."""
    def make(share: float) -> Rule | None:
        if not 0 < share <= 1:
            return None
        return dataclasses.replace(SHIPPED, text=text.format(share=f"{share:g}"), **{limit: share})
    return make


def _wide(words: float) -> Rule | None:
    """Session 44: `wide-W`, the app's decision over spans that also hold three and four sentences of W words or fewer."""
    if words <= 0 or words != int(words):
        return None
    return dataclasses.replace(SHIPPED, text=f"shipped, and runs of three or four sentences of at most {words:g} words "
                                             "read as spans too", wide_words=int(words))


def _clean_reads(own: bool) -> Callable[[float], Rule | None]:
    """Session 42: `cleanreads-S` / `ownreads-S`, the app's decision, and a wider reading (spans_share S) only for an
    answer it finds nothing false in (and, for `ownreads`, that reads like an answer to its own question)."""
    where = "nothing false in it and nearer its own question than any other" if own else "nothing false in it"
    def make(share: float) -> Rule | None:
        if not 0 < share <= 1:
            return None
        return dataclasses.replace(SHIPPED, clean_reads=share, clean_own=own, text=(
            f"shipped, and an answer graded with {where} is graded again with a point not yet stated reading up to "
            f"{share:g} of its spans"))
    return make


def _falsecap(share: float, cap: float) -> Rule | None:
    if not (0 < share <= 1 and 0 <= cap <= 10):
        return None
    return dataclasses.replace(SHIPPED, text=f"shipped, and an answer whose incorrect points carry {share:g} of the "
                               f"rubric's weight or more scores at most {cap:g}", false_cap=(share, cap))


FAMILIES = {
    # Session 16: the score's constants chosen again for today's checker and decision (devtools/limits_grid.py). A
    # rule `grid-AT-BLEND-FULL-PENALTY` is the shipped decision with those four constants, e.g. the app's own
    # grid-0.5-0.2-0.85-0.25 (grid-0.5-0.2-0.8-0.25 until session 30).
    "grid": Family("grid", {"incorrect_at": (0.5, 0.6, 0.7, 0.8), "blend": (0.0, 0.1, 0.2, 0.3),
                            "full_at": (0.7, 0.75, 0.8, 0.85, 0.9), "penalty": (0.25, 0.5)}, _grid),
    # Session 21: a floor under the score's scale (Limits.floor) with the share that is a 10 chosen again. A rule
    # `floor-A-B` is the shipped decision with the first A of the marks earning nothing and B of them a 10
    # (`python -m devtools.limits_grid --floor`).
    "floor": Family("floor", {"floor": (0.0, 0.05, 0.1, 0.15, 0.2), "full_at": (0.7, 0.75, 0.8, 0.85)}, _floor),
    # Session 25: widen (a point not covered: its examples read against its nearest N spans) with the share of the
    # marks that is a 10 chosen again, since reading more ways of saying a point lifts every answer that makes it. A
    # rule `widen-N-FULL` is the app's decision (with session 22's cap) with both.
    "widen": Family("widen", {"widen": (1,), "full_at": (0.8, 0.85, 0.9, 0.95, 1.0)}, _widen),
    # Session 26: the P(entails) at which a point is covered and partial (the checker's defaults until then, never
    # chosen on answers), with the share of the marks that is a 10. A rule `cover-C-P-FULL` is the app's decision
    # with those (the app's own: cover-0.5-0.35-0.85 since session 30, cover-0.5-0.25-0.8 before); the checker reads the
    # same spans.
    "cover": Family("cover", {"covered": (0.35, 0.4, 0.45, 0.5, 0.6), "partial": (0.15, 0.25, 0.35),
                              "full_at": (0.75, 0.8, 0.85, 0.9)}, _cover),
    # Session 26: a cap on an answer that states a share of its rubric falsely. A rule `falsecap-T-C` is the app's
    # decision with an answer whose incorrect points carry T of the weight or more scored at most C.
    "falsecap": Family("falsecap", {"share": (0.25, 0.33, 0.5), "cap": (1.0, 2.0, 3.0)}, _falsecap),
    # Session 31: the clauses of the span that states a point read against it (Rule.clause_at): `clauses-T`,
    # `clausesex-T` (believed only where the clause contradicts most of the point's examples too) and `clausesagree-T`
    # (only where the red flags' checker reads it so too).
    "clauses": Family("clauses", {"at": (0.5, 0.7, 0.8, 0.9)}, _clauses("none")),
    "clausesex": Family("clausesex", {"at": (0.7, 0.8, 0.9)}, _clauses("examples")),
    "clausesagree": Family("clausesagree", {"at": (0.7, 0.8, 0.9)}, _clauses("flags")),
    # Session 33: a point's examples, each read against its own nearest span, for partial credit (Rule.examples_partial)
    "expartial": Family("expartial", {"at": (0.5, 0.8, 0.9)}, _expartial),
    # Session 34: a behavioral question's points read more strictly (Rule.story_cover), with or without the story gate
    "storycover": Family("storycover", {"covered": (0.5, 0.6, 0.7, 0.8), "partial": (0.35, 0.5), "gate": (0, 0.75)},
                         _storycover),
    # Session 35: a floor under a behavioral question's story (Rule.story_floor): `storyfloor-T-W`, W 1 with the rubric
    # grader's fifth gated too
    "storyfloor": Family("storyfloor", {"floor": (0.2, 0.25, 0.3, 0.35, 0.4), "whole": (0, 1)}, _storyfloor),
    # Session 35: what a story must earn of its own points to escape the cap on an answer to another question
    # (Limits.elsewhere_stories; the app's 0.5): `exempt-S` on today's app
    "exempt": Family("exempt", {"share": (0.6, 0.75, 0.9)}, _exempt),
    # Session 36: how many of a long answer's spans a point not yet stated may read (Limits.spans_share, the app's 0.2
    # since session 25): `reads-S` on today's app
    "reads": Family("reads", {"share": (0.25, 0.33, 0.5, 1.0)}, _share(
        "spans_share", "shipped, and a point not stated in its nearest span reads up to {share} of the answer's spans "
        "(never fewer than three)")),
    # Session 36: the share of the other points' weight an answer must cover for a point's contradiction not to be
    # believed (Limits.context_share, the app's 0.75 since session 20): `ctx-S` on today's app
    "ctx": Family("ctx", {"share": (0.5, 0.6, 0.67)}, _share(
        "context_share", "shipped, and no contradiction of a point (red flags count) where the answer covers {share} of "
        "the other points' weight")),
    # Session 42: session 36's `reads-S` only where the app grades no point incorrect (`cleanreads-S`), and only where
    # the answer also reads like one to its own question (`ownreads-S`): neither adopted (docs/grading.md)
    "cleanreads": Family("cleanreads", {"share": (0.25, 0.33, 0.5)}, _clean_reads(own=False)),
    "ownreads": Family("ownreads", {"share": (0.25, 0.33)}, _clean_reads(own=True)),
    # Session 44: wider windows of short sentences (Limits.wide_words, the app's 0: none): `wide-W`; not adopted
    "wide": Family("wide", {"words": (45,)}, _wide),
}
GRID, FLOOR_GRID = FAMILIES["grid"].grid, FAMILIES["floor"].grid
grid_name, grid_names, grid_rule = FAMILIES["grid"].name, FAMILIES["grid"].names, FAMILIES["grid"].rule
floor_name, floor_names = FAMILIES["floor"].name, FAMILIES["floor"].names


def rule_for(name: str) -> Rule:
    """A named rule (RULES) or one of a family's (FAMILIES); a KeyError for none of them."""
    rule = RULES.get(name) or next((r for f in FAMILIES.values() if (r := f.rule(name)) is not None), None)
    if rule is None:
        raise KeyError(name)
    return rule


def rule_names(value: str) -> list[str]:
    """The rules named in a comma-separated list, where "all" is every one of RULES and a family's prefix ("grid",
    "floor", "widen", "cover", "falsecap", "clauses", "clausesex", "clausesagree", "expartial") every combination of
    its grid; or a ValueError naming the unknown."""
    groups = {"all": list(RULES)} | {prefix: f.names() for prefix, f in FAMILIES.items()}
    names = [n for v in value.split(",") if v.strip() for n in groups.get(v.strip(), [v.strip()])]
    unknown = [n for n in names if n not in RULES and all(f.rule(n) is None for f in FAMILIES.values())]
    if unknown or not names:
        shown = ", ".join(unknown) if unknown else repr(value)
        raise ValueError(f"unknown rule {shown}; the rules are: {', '.join(RULES)}, grid-AT-BLEND-FULL-PENALTY "
                         "(e.g. grid-0.5-0.2-0.8-0.25) or 'grid' for all of the grid, floor-FLOOR-FULL (e.g. "
                         "floor-0.1-0.75) or 'floor' for all of those, widen-N-FULL (e.g. widen-1-0.9) or 'widen' "
                         "for all of those, cover-C-P-FULL (e.g. cover-0.5-0.25-0.8) or 'cover' for all of those, "
                         "falsecap-T-C (e.g. falsecap-0.33-2) or 'falsecap' for all of those, and clauses-T, "
                         "clausesex-T, clausesagree-T (e.g. clauses-0.9) or their prefix for all of those, and "
                         "expartial-T (e.g. expartial-0.8) or 'expartial' for all of those")
    return names
