"""Training pairs for the claim checker, written by code from the rubrics alone.

Each pair is (hypothesis, premise, label): does the premise, a few words a candidate might say,
*state* the hypothesis (a point's idea or a red flag's claim), *contradict* it, or neither?

- entails: a point with its own examples, with the model-answer sentences the bi-encoder aligns
  to it, and with itself; a red flag with itself.
- contradicts: a point with the red flags tied to it, and with rule-made false versions of its
  text, examples and aligned sentences (negated or inverted relations, "only a few" vs "all",
  swapped numbers); a red flag with the point it contradicts.
- neutral: a point with the question, with other points' sentences of the same question, with
  sentences of other questions on the same topics, and with vague buzzword sentences.
- hand-written statements (claim_statements.jsonl, per point): what a candidate might say that
  states the point in other words (entails), a fluent misconception about it that is not a
  one-word edit (contradicts), and a true neighbouring fact that is not the point (neutral).
  The rule-made texts alone taught the checker that a one-word difference is a contradiction and
  a different wording is not the point (docs/grading.md).
- red flags said in other words (flag_statements.jsonl, per red flag; session 27): not in the shipped
  checker's pairs; `flag_pairs` makes them for `python -m bot grader refine`, which was tried and not
  adopted (docs/grading.md).
- minimal pairs (reversal_statements.jsonl, per point; session 37): a sentence that states the point and the same
  sentence with two things' roles swapped or a direction flipped; not in the shipped checker's pairs either:
  `reversal_pairs` makes them for `grader refine --reversals`, tried and not adopted (docs/grading.md).

Some premises get a spoken-style variant (lower case, no punctuation, fillers, restarts), as a
transcribed answer reads. Nothing here reads the measuring data (dev.jsonl, tests/data/answers):
tests/test_claim_grader.py checks the built pairs share no sentence with them.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.corpus import Category, Corpus, Question, RubricPoint
from bot.text import clauses, content_stems, point_claim, sentences

NEUTRAL, ENTAILS, CONTRADICTS = 0, 1, 2
STATEMENTS_PATH = Path(__file__).with_name("claim_statements.jsonl")
FLAG_STATEMENTS_PATH = Path(__file__).with_name("flag_statements.jsonl")
REVERSALS_PATH = Path(__file__).with_name("reversal_statements.jsonl")
GRADED_PAIRS_PATH = Path(__file__).with_name("graded_pairs.jsonl")  # `grader graded-pairs` (devtools/graded_pairs.py)
LABELS = ("neutral", "entails", "contradicts")
# pairs trained towards a share of each label instead of one (probabilities in LABELS' order), by source: a point both
# raters call half made, at its most entailing span, aims inside the app's partial band (P(entails) 0.35-0.5; session
# 47, `grader graded-pairs --partial`); saved with the label of its largest share
SOFT_TARGETS = {"graded-partial": (0.58, 0.42, 0.0)}


@dataclass(frozen=True)
class Pair:
    hypothesis: str
    premise: str
    label: int
    question_id: str
    source: str  # which rule made it (for counts in the training record)


# word swaps that turn a statement false; applied one at a time, both directions
_SWAPS = [
    ("increases", "decreases"), ("increase", "decrease"), ("higher", "lower"), ("more", "fewer"),
    ("larger", "smaller"), ("faster", "slower"), ("before", "after"), ("always", "never"),
    ("improves", "hurts"), ("reduces", "increases"), ("reduce", "increase"), ("rare", "frequent"),
    ("local", "global"), ("same", "different"), ("independent", "dependent"), ("longer", "shorter"),
    ("cheaper", "more expensive"), ("easier", "harder"), ("better", "worse"), ("most", "least"),
    ("many", "few"), ("large", "small"), ("high", "low"), ("early", "late"), ("less", "more"),
    ("supervised", "unsupervised"), ("overfitting", "underfitting"), ("add", "remove"),
    ("adds", "removes"), ("training", "inference"), ("positive", "negative"), ("dense", "sparse"),
    ("static", "contextual"), ("input", "output"), ("first", "last"), ("maximise", "minimise"),
    ("maximize", "minimize"), ("with", "without"), ("shared", "separate"), ("fixed", "variable"),
]
_NEGATE = [
    (r"\bis not\b", "is"), (r"\bare not\b", "are"), (r"\bdoes not\b", "does"), (r"\bdo not\b", "do"),
    (r"\bcannot\b", "can"), (r"\bisn't\b", "is"), (r"\baren't\b", "are"), (r"\bdoesn't\b", "does"),
    (r"\bdon't\b", "do"), (r"\bcan't\b", "can"), (r"\bnever\b", "always"),
    (r"\bis\b", "is not"), (r"\bare\b", "are not"), (r"\bcan\b", "cannot"), (r"\bshould\b", "should not"),
    (r"\bwill\b", "will not"), (r"\bmust\b", "need not"),
]
_QUANT = [
    (r"\bonly (?:a few|a handful of|some|a small number of)\b", "every one of the"),
    (r"\b(?:every|all(?: the| of the)?)\b", "only a few"), (r"\bonly\b", "all"),
    (r"\bnone of\b", "all of"), (r"\ball\b", "none of the"),
]
_FILLERS = ["um", "uh", "you know", "like", "so basically", "I mean", "kind of", "right", "so yeah"]
_VAGUE = [
    "{t} is really important and you have to think about it holistically across the whole pipeline.",
    "It depends on the use case, but {t} is key to getting good results at scale.",
    "Best practice is to leverage {t} in a robust, scalable and data-driven way.",
    "I would say {t} is a big topic, there are many trade-offs and you need to balance them carefully.",
    "Basically you want to optimise {t} end to end and keep iterating with the stakeholders.",
    "{t} matters a lot in modern AI systems, and the right approach always depends on the context.",
    "You just apply the standard techniques for {t} and tune everything until it works well.",
    "In my experience {t} is all about following best practices and making sure the quality is high.",
]

# what a vague answer to a behavioral question says: a story's shape and its buzzwords, with no situation, cause,
# action or result in it that an interviewer could check (session 34; the project's own words, as `_VAGUE`)
_VAGUE_STORY = [
    "I took full ownership of the situation and made sure we stayed focused on what really mattered.",
    "We aligned with all the stakeholders and got everyone on the same page.",
    "I made sure communication stayed open and transparent the whole way through.",
    "We took a data-driven, agile approach and kept iterating until it worked.",
    "I collaborated closely with the team and leveraged everyone's strengths.",
    "We reprioritized, adjusted the plan and got things back on track.",
    "In the end we delivered a great result and the business was really happy with it.",
    "It taught me a lot about resilience, adaptability and teamwork.",
    "I stepped back, looked at the bigger picture and worked out what needed to change.",
    "I worked cross-functionally to understand the needs and drive the right outcome.",
    "We identified the key issues and addressed them in a structured way.",
    "I listened to everyone and made sure their concerns were taken into account.",
    "We followed best practices and made sure the quality was high at every step.",
    "I kept everyone informed and managed expectations proactively.",
    "It was a challenging project, but by staying positive and proactive we overcame the obstacles.",
    "We put the right processes in place so that it would not happen again.",
]


def spoken(text: str, rng: random.Random) -> str:
    """The text as a speech-to-text transcript might give it: lower case, no punctuation, fillers, a restart."""
    words = re.sub(r"[^\w\s'%-]", " ", text.lower()).split()
    out: list[str] = []
    for i, w in enumerate(words):
        if rng.random() < 0.12:
            out.append(rng.choice(_FILLERS))
        if i and rng.random() < 0.04:
            out.append(words[i - 1])  # a restart: "the the"
        out.append(w)
    return " ".join(out)


def falsify(text: str, rng: random.Random) -> str | None:
    """A false version of a true statement by one rule (swap, negation, quantifier, number), or None."""
    rules = ["swap", "negate", "quant", "number"]
    rng.shuffle(rules)
    for rule in rules:
        out = _apply(rule, text, rng)
        if out and out != text:
            return out
    return None


def _apply(rule: str, text: str, rng: random.Random) -> str | None:
    if rule == "swap":
        found = [(a, b) for a, b in _SWAPS if re.search(rf"\b{a}\b", text, re.I)]
        found += [(b, a) for a, b in _SWAPS if re.search(rf"\b{b}\b", text, re.I)]
        if found:
            a, b = rng.choice(found)
            return re.sub(rf"\b{a}\b", b, text, count=1, flags=re.I)
    elif rule == "negate" or rule == "quant":
        for pattern, repl in _NEGATE if rule == "negate" else _QUANT:
            if re.search(pattern, text, re.I):
                return re.sub(pattern, repl, text, count=1, flags=re.I)
    elif rule == "number":
        nums = re.findall(r"\b\d+(?:\.\d+)?\b", text)
        if nums:
            n = rng.choice(nums)
            value = float(n)
            new = value * rng.choice([10, 0.1, 3]) if value else 100
            new_s = f"{new:g}" if "." in n else str(int(round(new)) or 1)
            if new_s != n:
                return re.sub(rf"\b{re.escape(n)}\b", new_s, text, count=1)
    return None


def _questions(corpus: Corpus) -> list[Question]:
    return [q for q in sorted(corpus.questions.values(), key=lambda q: q.id)
            if q.category is not Category.mcq and q.id in corpus.rubrics]


def _hypothesis(p: RubricPoint) -> str:
    return point_claim(" ".join(p.text.split()))


def _aligned_questions(corpus: Corpus):
    """Each question with its rubric, its points without cues, its model answer's sentences and the sentences aligned
    to each point (`_align`): what the passes that pair points with model-answer sentences read."""
    for q in _questions(corpus):
        rubric = corpus.rubrics[q.id]
        points = [p for p in rubric.points if not p.cues]
        sents = sentences(rubric.model_answer)
        yield q, rubric, points, sents, _align(points, sents)


def _align(points: list[RubricPoint], sents: list[str]) -> list[list[int]]:
    """For each point, the model-answer sentences that state it, best first: the sentences whose
    largest share of point words is this point's (model answers are written point by point, in
    the points' words, so word overlap aligns them well; no model is needed to build the data)."""
    keys = [content_stems(_hypothesis(p)) for p in points]
    if not sents or not points:
        return [[] for _ in points]
    share = np.array([[len(k & content_stems(s)) / max(1, len(k)) for s in sents] for k in keys])
    owner = share.argmax(axis=0)
    out = []
    for i in range(len(points)):
        mine = [int(j) for j in np.argsort(-share[i], kind="stable") if owner[j] == i and share[i, j] >= 0.3]
        out.append(mine[:2])
    return out


@dataclass(frozen=True)
class Statements:
    """Hand-written statements about one rubric point (claim_statements.jsonl)."""

    says: tuple[str, ...] = ()  # state the point in other words
    false: tuple[str, ...] = ()  # a fluent misconception that contradicts it
    near: tuple[str, ...] = ()  # true and on its subject, but not the point


def load_statements(path: Path = STATEMENTS_PATH) -> dict[tuple[str, str], Statements]:
    """{(question id, point id): Statements}; one JSON object per question and line, as written."""
    if not path.is_file():
        return {}
    out = {}
    with open(path, encoding="utf-8") as f:
        for row in map(json.loads, filter(str.strip, f)):
            for pid, st in row["points"].items():
                out[row["question_id"], pid] = Statements(*(tuple(st.get(k, ())) for k in ("says", "false", "near")))
    return out


def load_flag_statements(path: Path = FLAG_STATEMENTS_PATH, field: str = "says") -> dict[tuple[str, str], tuple[str, ...]]:
    """{(question id, red flag's claim): statements}; one JSON object per question and line (flag_statements.jsonl,
    written by the project). `field` "says": statements that assert that false claim in other words (session 27);
    "rights": right statements in the flag's own words, negated or corrected (session 28)."""
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return {(row["question_id"], flag["claim"]): tuple(flag.get(field, ()))
                for row in map(json.loads, filter(str.strip, f)) for flag in row["flags"]}


def _with_spoken(h: str, text: str, label: int, question_id: str, source: str, rng: random.Random) -> list[Pair]:
    """A refining pass's new pair and, for 15% of them, its spoken copy too."""
    pairs = [Pair(h, text, label, question_id, source)]
    if rng.random() < 0.15:
        pairs.append(Pair(h, spoken(text, rng), label, question_id, source + "+spoken"))
    return pairs


def _others(sents: list[str], aligned: list[list[int]], i: int) -> list[str]:
    """The model-answer sentences aligned to the points other than point i (and not to it)."""
    return [sents[j] for k, js in enumerate(aligned) if k != i for j in js if j not in aligned[i]]


def _beside(text: str, others: list[str], rng: random.Random) -> str:
    """`text`, ended as a sentence, with one of `others` before or after it: a point stated among an answer's others."""
    other, text = rng.choice(others), text if text.rstrip()[-1:] in ".!?" else text.rstrip() + "."
    return f"{other} {text}" if rng.random() < 0.5 else f"{text} {other}"


def flag_pairs(corpus: Corpus, statements: dict[tuple[str, str], tuple[str, ...]], seed: int = 0,
               balance: dict[tuple[str, str], Statements] | None = None, facts: bool = False,
               rights: dict[tuple[str, str], tuple[str, ...]] | None = None, said: bool = False) -> list[Pair]:
    """A red flag's claim said in other words: entails its flag and contradicts the flag's point. Until session 27 the
    only premise that stated a flag was the flag itself, and the checker read a flag said otherwise as contradicted.
    With `balance` (the points' written statements), also each flag against every right statement of its point
    (contradicts) and two of the question's other points (neutral): without them the checker learnt that a flag beside
    any confident sentence on its point is stated. With `facts` too, each flag against its own fact and its point's
    examples (contradicts): right statements the balanced checker still read as stating the flag (session 27). With
    `rights`, each flag against its right statements in its own words (contradicts): the balanced checker read right
    sentences that share a flag's words as stating it (session 28). With `said` too, each statement as the hypothesis,
    as `Limits.flag_statements` reads it: its flag's claim and its other statement entail it, two of its point's right
    statements and its flag's rights contradict it, one of the other points' statements is neutral (session 29)."""
    rng, pairs = random.Random(f"{seed}:flags"), []
    for q in _questions(corpus):
        points = {p.id: p for p in corpus.rubrics[q.id].points if not p.cues}
        for flag in corpus.rubrics[q.id].red_flags:
            if flag.point not in points:
                continue
            made = [pair for text in statements.get((q.id, flag.claim), ()) for pair in (
                (flag.claim, text, ENTAILS, "flag-written"),
                (_hypothesis(points[flag.point]), text, CONTRADICTS, "flag-written-vs-point"))]
            if balance is not None and made:
                made += [(flag.claim, text, CONTRADICTS, "flag-vs-says")
                         for text in balance.get((q.id, flag.point), Statements()).says]
                if facts:
                    made += [(flag.claim, text, CONTRADICTS, "flag-vs-fact-examples")
                             for text in ([flag.fact] if flag.fact else []) + list(points[flag.point].examples)]
                if rights is not None:
                    made += [(flag.claim, text, CONTRADICTS, "flag-vs-right") for text in rights.get((q.id, flag.claim), ())]
                theirs = [t for o in points if o != flag.point for t in balance.get((q.id, o), Statements()).says]
                made += [(flag.claim, text, NEUTRAL, "flag-vs-other-says") for text in rng.sample(theirs, min(2, len(theirs)))]
                if said:
                    mine = statements.get((q.id, flag.claim), ())
                    right = list(balance.get((q.id, flag.point), Statements()).says) + list(
                        (rights or {}).get((q.id, flag.claim), ()))
                    for h in mine:
                        made += [(h, flag.claim, ENTAILS, "said-vs-flag")]
                        made += [(h, text, ENTAILS, "said-vs-said") for text in mine if text != h]
                        made += [(h, text, CONTRADICTS, "said-vs-right") for text in rng.sample(right, min(2, len(right)))]
                        made += [(h, text, NEUTRAL, "said-vs-other-says") for text in rng.sample(theirs, min(1, len(theirs)))]
            for h, text, label, source in made:
                pairs += _with_spoken(h, text, label, q.id, source, rng)
    return pairs


def cross_pairs(corpus: Corpus, statements: dict[tuple[str, str], Statements],
                flag_says: dict[tuple[str, str], tuple[str, ...]], seed: int = 0) -> list[Pair]:
    """A false statement about one of the question's other points does not state this one (session 30): wrong answers
    were credited with points from their own false sentences on the topic. Per point, two false statements of the
    question's other points (their red flags, written false statements, flags said otherwise) are neutral; one of the
    point's own written right statements entails it and one of its own false statements contradicts it, so that the
    pass does not teach the checker that every confident sentence on the topic is neutral."""
    rng, pairs = random.Random(f"{seed}:cross"), []
    for q in _questions(corpus):
        rubric = corpus.rubrics[q.id]
        points = [p for p in rubric.points if not p.cues]
        flags_of = {p.id: [f.claim for f in rubric.red_flags if f.point == p.id] for p in points}
        false_of = {pid: [*claims, *statements.get((q.id, pid), Statements()).false,
                          *(t for c in claims for t in flag_says.get((q.id, c), ()))]
                    for pid, claims in flags_of.items()}
        for p in points:
            h = _hypothesis(p)
            theirs = [t for o in points if o.id != p.id for t in false_of[o.id]]
            made = [(text, NEUTRAL, "cross-other-false") for text in rng.sample(theirs, min(2, len(theirs)))]
            says = statements.get((q.id, p.id), Statements()).says
            made += [(text, ENTAILS, "cross-says") for text in rng.sample(says, min(1, len(says)))]
            own = false_of[p.id]
            made += [(text, CONTRADICTS, "cross-own-false") for text in rng.sample(own, min(1, len(own)))]
            for text, label, source in made:
                pairs += _with_spoken(h, text, label, q.id, source, rng)
    return pairs


def clause_pairs(corpus: Corpus, statements: dict[tuple[str, str], Statements],
                 flag_says: dict[tuple[str, str], tuple[str, ...]], reader, seed: int = 0,
                 made_false: bool = True) -> list[Pair]:
    """A point against clauses (bot.text.clauses) of its own statements (session 32). Read alone, a clause of a right
    sentence lost the words that made it true, and the checker read it as contradicting the point (session 31).
    Per point, two clauses of its right statements (examples, aligned model-answer sentences, written statements) are
    entails where `reader` (the checker being refined) reads them more entailing than neutral, else neutral, never
    contradicts; one clause that carries the point, made false by a rule (`falsify`), contradicts it, alone and in its
    sentence (not with `made_false` False); one clause of its false statements (red flags, written false statements,
    flags said otherwise) that `reader` already reads as contradicting it, contradicts it.
    `reader(hypotheses, premises)` gives rows of P(neutral, entails, contradicts)."""
    rng, pairs = random.Random(f"{seed}:clauses"), []
    for q, rubric, points, sents, aligned in _aligned_questions(corpus):
        for p, mine in zip(points, aligned, strict=True):
            h, st = _hypothesis(p), statements.get((q.id, p.id), Statements())
            right = [(t, c) for t in [*p.examples, *(sents[j] for j in mine), *st.says] for c in clauses(t)]
            flags = [f.claim for f in rubric.red_flags if f.point == p.id]
            false = [c for t in [*flags, *st.false, *(x for f in flags for x in flag_says.get((q.id, f), ()))]
                     for c in clauses(t)]
            right, false = rng.sample(right, min(4, len(right))), rng.sample(false, min(3, len(false)))
            read = reader([h] * (len(right) + len(false)), [c for _, c in right] + false) if right or false else []
            made, carriers = [], []
            for (text, c), row in zip(right, read[:len(right)], strict=True):
                label = ENTAILS if row[ENTAILS] > row[NEUTRAL] else NEUTRAL
                made.append((c, label, "clause-of-right"))
                if label == ENTAILS:
                    carriers.append((text, c))
            made = made[:2]
            for text, c in carriers[:1] if made_false else []:
                wrong = falsify(c, rng)
                if wrong:
                    made += [(wrong, CONTRADICTS, "clause-made-false"),
                             (text.replace(c, wrong, 1), CONTRADICTS, "clause-made-false-in-sentence")]
            sure = [c for c, row in zip(false, read[len(right):], strict=True)
                    if row[CONTRADICTS] > max(row[ENTAILS], row[NEUTRAL])]
            made += [(c, CONTRADICTS, "clause-of-false") for c in sure[:1]]
            for text, label, source in made:
                pairs += _with_spoken(h, text, label, q.id, source, rng)
    return pairs


def context_pairs(corpus: Corpus, statements: dict[tuple[str, str], Statements],
                  flag_says: dict[tuple[str, str], tuple[str, ...]], seed: int = 0) -> list[Pair]:
    """A point stated beside another sentence of an answer (session 33). Answers state a point in a sentence or a
    window among others; the checker learned its points mostly from statements alone, and missed points stated in
    a window beside another point's sentence. Per point: two of its right statements (written statements, examples),
    each beside a model-answer sentence aligned to another point (before or after it), entail it; one of its false
    statements (red flags, written false statements, flags said otherwise) beside one contradicts it; one right
    statement of another point beside one is neutral."""
    rng, pairs = random.Random(f"{seed}:context"), []
    for q, rubric, points, sents, aligned in _aligned_questions(corpus):
        for i, p in enumerate(points):
            others = _others(sents, aligned, i)
            if not others:
                continue
            h, st = _hypothesis(p), statements.get((q.id, p.id), Statements())
            flags = [f.claim for f in rubric.red_flags if f.point == p.id]
            right = [*st.says, *p.examples]
            false = [*flags, *st.false, *(x for f in flags for x in flag_says.get((q.id, f), ()))]
            theirs = [t for o in points if o.id != p.id
                      for t in (*statements.get((q.id, o.id), Statements()).says, *o.examples)]
            made = [(t, ENTAILS, "context-right") for t in rng.sample(right, min(2, len(right)))]
            made += [(t, CONTRADICTS, "context-false") for t in rng.sample(false, min(1, len(false)))]
            made += [(t, NEUTRAL, "context-other") for t in rng.sample(theirs, min(1, len(theirs)))]
            for text, label, source in made:
                pairs += _with_spoken(h, _beside(text, others, rng), label, q.id, source, rng)
    return pairs


def story_pairs(corpus: Corpus, statements: dict[tuple[str, str], Statements], seed: int = 0) -> list[Pair]:
    """Vague stories against behavioral questions' points (session 34). A story made of buzzwords ("I took ownership,
    we aligned with the stakeholders, communication stayed transparent") reads like the generic points of a behavioral
    question, and its STAR points are covered by their cues whatever it says. Per point of a behavioral question
    (without cues): three buzzword sentences (`_VAGUE_STORY`) and one two of them make are neutral; two of its right
    statements (written statements, examples), each beside a buzzword sentence, entail it."""
    rng, pairs = random.Random(f"{seed}:stories"), []
    for q in _questions(corpus):
        if q.category is not Category.behavioral:
            continue
        for p in (p for p in corpus.rubrics[q.id].points if not p.cues):
            h, st = _hypothesis(p), statements.get((q.id, p.id), Statements())
            made = [(t, NEUTRAL, "story-vague") for t in rng.sample(_VAGUE_STORY, 3)]
            made.append((" ".join(rng.sample(_VAGUE_STORY, 2)), NEUTRAL, "story-vague-window"))
            right = [*st.says, *p.examples]
            made += [(_beside(t, _VAGUE_STORY, rng), ENTAILS, "story-right")
                     for t in rng.sample(right, min(2, len(right)))]
            for text, label, source in made:
                pairs += _with_spoken(h, text, label, q.id, source, rng)
    return pairs


def load_reversals(path: Path = REVERSALS_PATH) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """{(question id, point id): ((right, reversed), ...)}: per point, a sentence that states it and the same sentence
    with two things' roles swapped or a direction flipped, so that it says the opposite (reversal_statements.jsonl,
    written by the project from the rubrics alone; session 37)."""
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return {(row["question_id"], pid): tuple((pr["right"], pr["reversed"]) for pr in point["pairs"])
                for row in map(json.loads, filter(str.strip, f)) for pid, point in row["points"].items()}


def reversal_pairs(corpus: Corpus, reversals: dict[tuple[str, str], tuple[tuple[str, str], ...]],
                   seed: int = 0, rights: dict[tuple[str, str], Statements] | None = None) -> list[Pair]:
    """A point against its minimal pairs (session 37). Wrong answers that state every point in reverse (the roles of
    two compared things swapped, a direction flipped) share nearly all their words with right ones, and the checker
    read them as stating the points. Per point: each pair's right sentence entails it and its reversed sentence
    contradicts it; one pair's two sentences again, each beside a model-answer sentence aligned to another point
    (before or after it), since answers state a point among others. With `rights` (the points' written statements),
    also two of the point's written right statements and one of its examples, the first of them beside another point's
    sentence, entail it: the pairs alone taught the checker to read right answers in other words as contradicted
    (session 38)."""
    rng, pairs = random.Random(f"{seed}:reversals"), []
    for q, _, points, sents, aligned in _aligned_questions(corpus):
        for i, p in enumerate(points):
            h, mine = _hypothesis(p), reversals.get((q.id, p.id), ())
            made = [(t, label, source) for right, wrong in mine
                    for t, label, source in ((right, ENTAILS, "reversal-right"), (wrong, CONTRADICTS, "reversal"))]
            others = _others(sents, aligned, i)
            if mine and others:
                right, wrong = rng.choice(mine)
                made += [(_beside(right, others, rng), ENTAILS, "reversal-right-beside"),
                         (_beside(wrong, others, rng), CONTRADICTS, "reversal-beside")]
            if mine and rights is not None:
                says = rights.get((q.id, p.id), Statements()).says
                other_words = rng.sample(says, min(2, len(says))) + rng.sample(p.examples, min(1, len(p.examples)))
                made += [(_beside(t, others, rng) if k == 0 and others else t, ENTAILS, "reversal-other-words")
                         for k, t in enumerate(other_words)]
            for text, label, source in made:
                pairs += _with_spoken(h, text, label, q.id, source, rng)
    return pairs


def with_more_statements(path: Path) -> dict[tuple[str, str], Statements]:
    """The shipped statements with those of another file of the same form added to each point's: how a
    batch written but not shipped is tried (`grader pairs --add-statements`)."""
    out = load_statements()
    for key, more in load_statements(path).items():
        have = out.get(key, Statements())
        out[key] = Statements(have.says + more.says, have.false + more.false, have.near + more.near)
    return out


def build_pairs(corpus: Corpus, seed: int = 0, statements: dict[tuple[str, str], Statements] | None = None) -> list[Pair]:
    """Every training pair for the claim checker, from the corpus's rubrics and the hand-written
    statements about their points (by default the shipped claim_statements.jsonl)."""
    statements = load_statements() if statements is None else statements
    says_of: dict[str, list[str]] = {}
    for (qid, _), st in sorted(statements.items()):
        says_of.setdefault(qid, []).extend(st.says)
    rng = random.Random(seed)
    questions = _questions(corpus)
    by_topic: dict[str, list[str]] = {}
    all_sents: dict[str, list[str]] = {}
    for q in questions:
        all_sents[q.id] = sentences(corpus.rubrics[q.id].model_answer)
        for t in q.topics:
            by_topic.setdefault(t, []).append(q.id)
    pairs: list[Pair] = []

    def add(h: str, p: str, label: int, qid: str, source: str, speak: float = 0.25) -> None:
        pairs.append(Pair(h, p, label, qid, source))
        if rng.random() < speak * 0.5:
            pairs.append(Pair(h, spoken(p, rng), label, qid, source + "+spoken"))

    for q in questions:
        rng.seed(f"{seed}:{q.id}")  # each question's pairs depend on its own rubric only: an edit elsewhere changes nothing here
        rubric = corpus.rubrics[q.id]
        points = [p for p in rubric.points if not p.cues]
        sents = all_sents[q.id]
        aligned = _align(points, sents)
        mine = {j for a in aligned for j in a}
        neighbours = sorted({o for t in q.topics for o in by_topic[t] if o != q.id})
        others = [s for o in rng.sample(neighbours, min(3, len(neighbours))) for s in all_sents[o]]
        if len(others) < 4:  # a topic of its own: sentences from anywhere else
            others += [s for o in rng.sample([x.id for x in questions if x.id != q.id], 3) for s in all_sents[o]]
        topic = rng.choice(q.topics).replace("-", " ")
        for i, p in enumerate(points):
            h = _hypothesis(p)
            true_texts = [h, *p.examples, *(sents[j] for j in aligned[i])]
            add(h, h, ENTAILS, q.id, "point", speak=0.5)
            for e in p.examples:
                add(h, e, ENTAILS, q.id, "example", speak=0.6)
            for j in aligned[i]:
                add(h, sents[j], ENTAILS, q.id, "model-answer", speak=0.4)
                if j + 1 < len(sents):  # a window: the statement among other words
                    add(h, f"{sents[j]} {sents[j + 1]}", ENTAILS, q.id, "model-answer-window", speak=0.2)
            for text in true_texts[:3]:
                false = falsify(text, rng)
                if false:
                    add(h, false, CONTRADICTS, q.id, "rule-false", speak=0.3)
            for flag in rubric.red_flags:
                if flag.point == p.id:
                    add(h, flag.claim, CONTRADICTS, q.id, "red-flag", speak=0.4)
            # neutral: the question, other points' sentences, other questions, buzzwords
            add(h, q.text, NEUTRAL, q.id, "question", speak=0.2)
            theirs = [s for j, s in enumerate(sents) if j not in aligned[i] and j in mine]
            for s in rng.sample(theirs, min(2, len(theirs))):
                add(h, s, NEUTRAL, q.id, "other-point", speak=0.15)
            rest = [o for o in points if o.id != p.id]
            for other in rng.sample(rest, min(2, len(rest))):
                add(h, _hypothesis(other), NEUTRAL, q.id, "other-point-text", speak=0.1)
                for e in other.examples[:1]:
                    add(h, e, NEUTRAL, q.id, "other-example", speak=0.1)
            for s in rng.sample(others, min(2, len(others))):
                add(h, s, NEUTRAL, q.id, "other-question", speak=0.15)
            add(h, rng.choice(_VAGUE).format(t=topic), NEUTRAL, q.id, "vague", speak=0.3)
            st = statements.get((q.id, p.id), Statements())
            for text in st.says:
                add(h, text, ENTAILS, q.id, "written-says", speak=0.3)
            for text in st.false:
                add(h, text, CONTRADICTS, q.id, "written-false", speak=0.3)
            for text in st.near:
                add(h, text, NEUTRAL, q.id, "written-near", speak=0.2)
            # on the question's topic but another claim: what a checker that only matches topics gets wrong
            beside = [statements.get((q.id, o.id), Statements()) for o in rest]
            theirs = [t for o in beside for t in o.says]
            for text in rng.sample(theirs, min(4, len(theirs))):
                add(h, text, NEUTRAL, q.id, "written-other-point", speak=0.1)
            wrong_there = [t for o in beside for t in o.false]
            for text in rng.sample(wrong_there, min(1, len(wrong_there))):
                add(h, text, NEUTRAL, q.id, "written-other-false", speak=0.1)
            nearby = [t for o in neighbours[:6] for t in says_of.get(o, [])]
            for text in rng.sample(nearby, min(2, len(nearby))):
                add(h, text, NEUTRAL, q.id, "written-other-question", speak=0.1)
        by_id = {p.id: p for p in points}
        for flag in rubric.red_flags:
            if flag.point not in by_id:
                continue
            i = points.index(by_id[flag.point])
            add(flag.claim, flag.claim, ENTAILS, q.id, "flag-self", speak=0.5)
            add(flag.claim, _hypothesis(by_id[flag.point]), CONTRADICTS, q.id, "flag-vs-point", speak=0.2)
            if flag.fact:
                add(flag.claim, flag.fact, CONTRADICTS, q.id, "flag-vs-fact", speak=0.2)
            for j in aligned[i][:1]:
                add(flag.claim, sents[j], CONTRADICTS, q.id, "flag-vs-model-answer", speak=0.2)
            for text in statements.get((q.id, flag.point), Statements()).says[:1]:
                add(flag.claim, text, CONTRADICTS, q.id, "flag-vs-written", speak=0.2)
            for other in [o for o in points if o.id != flag.point][:2]:
                add(flag.claim, _hypothesis(other), NEUTRAL, q.id, "flag-vs-other-point", speak=0.1)
            add(flag.claim, q.text, NEUTRAL, q.id, "flag-vs-question", speak=0.1)
    return pairs


HELD_OUT_SEED = 0  # which questions are held out: fixed, whatever seed a checker is trained with


def held_out_questions(question_ids, share: float = 0.15) -> set[str]:
    """The questions whose pairs the checker never trains on. They do not follow the training seed: the choosing
    sets (devtools/data/choosing_answers*.jsonl) and the synthetic answers are answers to them, so a checker
    trained with another seed must not learn them."""
    qids = sorted(set(question_ids))
    return set(random.Random(HELD_OUT_SEED).sample(qids, max(1, round(share * len(qids)))))


def split_by_question(pairs: list[Pair], share: float = 0.15) -> tuple[list[Pair], list[Pair]]:
    """Training and validation pairs; a validation question's pairs are all held out (epochs and
    thresholds are chosen on them): `held_out_questions`."""
    held = held_out_questions((p.question_id for p in pairs), share)
    return [p for p in pairs if p.question_id not in held], [p for p in pairs if p.question_id in held]


def save_pairs(pairs: list[Pair], path) -> None:
    """The pairs as JSON lines (to read, or to train from with `grader train --pairs`)."""
    with open(path, "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps({"hypothesis": p.hypothesis, "premise": p.premise, "label": LABELS[p.label],
                                "question_id": p.question_id, "source": p.source}, ensure_ascii=False) + "\n")


def load_pairs(path) -> list[Pair]:
    with open(path, encoding="utf-8") as f:
        return [Pair(r["hypothesis"], r["premise"], LABELS.index(r["label"]), r["question_id"], r["source"])
                for r in map(json.loads, f) if r]


def pairs_digest(pairs: list[Pair]) -> str:
    """sha256 of the pairs as JSON lines (the training record names the data by it)."""
    h = hashlib.sha256()
    for p in pairs:
        h.update(json.dumps([p.hypothesis, p.premise, p.label, p.question_id]).encode() + b"\n")
    return h.hexdigest()


def model_answers(corpus: Corpus) -> list[dict]:
    """Every open bank question's own model answer as an `eval` record scored 10 (style "model"): how often
    the grader tells the bank's own answer that it said something false (`marked_incorrect`). The checker
    learnt from these answers' sentences, so this is no measure of agreement."""
    out = []
    for q in _questions(corpus):
        points = corpus.rubrics[q.id].expected_points(q.level)
        out.append({"question_id": q.id, "question": q.text, "answer": corpus.rubrics[q.id].model_answer,
                    "score": 10.0, "score_max": 10, "rubric": [p.text for p in points], "style": "model"})
    return out


def synthetic_answers(corpus: Corpus, seed: int = 0) -> list[dict]:
    """Whole answers to the claim checker's held-out questions, each with the score it should get, as
    `python -m bot eval` records: every point's example (10), the same spoken (10), the model answer
    (10), half of the points and one point (their share of the weight), the red flags and rule-made
    false versions of the examples (0), another question's model answer (0), vague buzzwords (0).
    Written from the rubrics alone; the grader's decision rules were chosen on these, never on the
    measuring data (docs/grading.md)."""
    questions = _questions(corpus)
    held_ids = held_out_questions(q.id for q in questions)  # the questions every pair is built for
    others = [q.id for q in questions]
    rng = random.Random(seed)
    out: list[dict] = []

    def add(q: Question, points: list[RubricPoint], answer: str, score: float, style: str) -> None:
        out.append({"question_id": q.id, "question": q.text, "answer": answer, "score": round(score, 3),
                    "score_max": 10, "rubric": [p.text for p in points], "style": style})

    for q in (q for q in questions if q.id in held_ids):
        rubric = corpus.rubrics[q.id]
        points = rubric.expected_points(q.level)
        total = sum(p.weight for p in points)
        ex = [rng.choice(p.examples) if p.examples else p.text for p in points]

        add(q, points, " ".join(ex), 10.0, "full")
        add(q, points, spoken(" ".join(ex), rng), 10.0, "full-spoken")
        add(q, points, rubric.model_answer, 10.0, "model")
        half = sorted(rng.sample(range(len(points)), max(1, len(points) // 2)))
        add(q, points, " ".join(ex[i] for i in half), 10.0 * sum(points[i].weight for i in half) / total, "half")
        one = rng.randrange(len(points))
        add(q, points, ex[one], 10.0 * points[one].weight / total, "one")
        if rubric.red_flags:
            add(q, points, " ".join(f.claim for f in rubric.red_flags), 0.0, "flags")
        false = [f for f in (falsify(e, rng) for e in ex) if f]
        if false:
            add(q, points, " ".join(false), 0.0, "falsified")
        add(q, points, corpus.rubrics[rng.choice([i for i in others if i != q.id])].model_answer, 0.0, "offtopic")
        add(q, points, " ".join(t.format(t=q.topics[0]) for t in rng.sample(_VAGUE, 3)), 0.0, "vague")
    return out


def one_false_answers(corpus: Corpus, seed: int = 0) -> list[dict]:
    """Right answers with one fluent false statement, to the claim checker's held-out questions, as `eval` records:
    every point's example with one point's replaced by a written misconception of it ("one-false"), and the model
    answer with that misconception added ("model-one-false"), scored as if that point earned nothing. What they
    measure is whether the false statement is still found in an answer otherwise right (`marked_incorrect`)."""
    held_ids = held_out_questions(q.id for q in _questions(corpus))
    statements = load_statements()
    rng = random.Random(seed)
    out: list[dict] = []
    for q in (q for q in _questions(corpus) if q.id in held_ids):
        rubric = corpus.rubrics[q.id]
        points = rubric.expected_points(q.level)
        wrong = [i for i, p in enumerate(points) if statements.get((q.id, p.id), Statements()).false]
        if not wrong:
            continue
        total = sum(p.weight for p in points)
        i = rng.choice(wrong)
        false = rng.choice(statements[q.id, points[i].id].false)
        ex = [rng.choice(p.examples) if p.examples else p.text for p in points]
        score = round(10.0 * (total - points[i].weight) / total, 3)
        for style, answer in (("one-false", " ".join(ex[:i] + [false] + ex[i + 1:])),
                              ("model-one-false", f"{rubric.model_answer} {false}")):
            out.append({"question_id": q.id, "question": q.text, "answer": answer, "score": score, "score_max": 10,
                        "rubric": [p.text for p in points], "style": style, "false_point": points[i].id})
    return out

