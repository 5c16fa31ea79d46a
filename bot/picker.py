"""Choose the next question for a role and level, given what the session already asked."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection

from bot.corpus import Corpus, Level, Question


def eligible(question: Question, rubric_levels: set[Level], level: Level) -> bool:
    """At the candidate's level, or a lower-level question whose rubric grows with level."""
    if question.level is level:
        return True
    return question.level.rank < level.rank and any(lv.rank > question.level.rank for lv in rubric_levels)


def pick_question(corpus: Corpus, role: str, level: Level, asked: list[str], rng: random.Random,
                  topics: set[str] | None = None, earlier: Collection[str] = ()) -> Question | None:
    """No repeats within the session, and none of `earlier` (the candidate's earlier sessions)
    until the role's questions at this level are used up; favour categories and topics the session
    has seen least; fall back to neighbouring levels when the candidate's own level is used up.
    None when all are asked."""
    asked_set = set(asked)
    pool = [q for q in corpus.by_role(role) if q.id not in asked_set]
    if topics:
        pool = [q for q in pool if topics & set(q.topics)] or pool
    if not pool:
        return None

    def levels_of(q: Question) -> set[Level]:
        return {p.min_level for p in corpus.rubrics[q.id].points if p.min_level}

    at_level = [q for q in pool if eligible(q, levels_of(q), level)]
    fresh = [q for q in at_level if q.id not in earlier]
    candidates = fresh or at_level
    if not candidates:
        pool = [q for q in pool if q.id not in earlier] or pool
        distance = min(abs(q.level.rank - level.rank) for q in pool)
        candidates = [q for q in pool if abs(q.level.rank - level.rank) == distance]

    seen = [corpus.questions[qid] for qid in asked if qid in corpus.questions]
    categories = Counter(q.category for q in seen)
    seen_topics = Counter(t for q in seen for t in q.topics)

    def novelty(q: Question) -> tuple[int, int]:
        return categories[q.category], sum(seen_topics[t] for t in q.topics)

    best = min(novelty(q) for q in candidates)
    return rng.choice(sorted((q for q in candidates if novelty(q) == best), key=lambda q: q.id))
