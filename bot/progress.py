"""A candidate's progress from their stored sessions: pure functions, no database, no UI.

Every figure uses the *final* score and point verdicts of a turn and counts a point as missed
as bot/records.py defines them (the end-of-session summary reads the same definitions).

Two views of the same answers guide what to practise:
- by **topic** (the question's topics): the average final score of the answers on it;
- by **skill** (rubric points grouped): a point shared by many questions (the parts of an
  interview story: situation, task, action, result, reflection) is a skill of its own; any
  other point counts for the topics of its question. The share of those points covered.
Nothing is called weak or strong on fewer than MIN_ANSWERS answers: one bad answer is not a pattern.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.corpus import Corpus
from bot.records import (
    average,
    final_points,
    final_score,
    is_missed,
    overridden,
    short_question,
    turn_numbers,
)

MIN_ANSWERS = 2  # answers needed before a topic or skill is called weak or strong
WEAK_BELOW = 6.0  # a topic whose average final score is below this is weak ...
STRONG_FROM = 8.0  # ... at or above this, strong
WEAK_SHARE = 0.5  # a skill with less than half of its points covered is weak ...
STRONG_SHARE = 0.8  # ... with at least this share covered, strong
SHARED_POINT_QUESTIONS = 3  # a point (by its text) in at least this many rubrics is a skill of its own


@dataclass(frozen=True)
class Progress:
    sessions: list[dict]  # session_id, started_at, role, level, mode, answered, average
    turns: list[dict]  # n, session_id, started_at, turn_number, number, question_id, question, kind, score
    topics: list[dict]  # topic, answered, average — weakest first
    categories: list[dict]  # category, answered, average — weakest first
    skills: list[dict]  # skill, answered, covered, asked — least covered first
    missed: list[dict]  # point, missed, asked — most often missed first (as the session summary counts)
    reviews: list[dict]  # a coach's review of one answer: session_id, started_at, number, question, coach,
    #                      score, note, created_at — newest first
    overridden: int  # graded turns whose score a coach replaced

    def weak_topics(self, count: int = 3) -> list[str]:
        """Up to `count` topics called weak (enough answers, average below WEAK_BELOW), weakest first."""
        return [t["topic"] for t in self.topics if topic_call(t) == "weak"][:count]


def topic_call(row: dict) -> str:
    """"weak", "strong", "" (in between) or "too early" (fewer than MIN_ANSWERS answers)."""
    if row["answered"] < MIN_ANSWERS:
        return "too early"
    return "weak" if row["average"] < WEAK_BELOW else "strong" if row["average"] >= STRONG_FROM else ""


def skill_call(row: dict) -> str:
    if row["answered"] < MIN_ANSWERS:
        return "too early"
    share = row["covered"] / row["asked"]
    return "weak" if share < WEAK_SHARE else "strong" if share >= STRONG_SHARE else ""


def shared_points(corpus: Corpus) -> set[str]:
    """The texts of rubric points that many questions share: skills in their own right."""
    counts = Counter(text for r in corpus.rubrics.values() for text in {p.text for p in r.points})
    return {text for text, n in counts.items() if n >= SHARED_POINT_QUESTIONS}


def _mean(values: list[float]) -> float:
    return average(values)  # type: ignore[return-value]  (never called without values)


def _weakest_first(groups: dict[str, list[float]], key: str) -> list[dict]:
    rows = [{key: name, "answered": len(scores), "average": _mean(scores)} for name, scores in groups.items()]
    return sorted(rows, key=lambda r: (r["average"], -r["answered"], r[key]))


def compute(records: list[dict], corpus: Corpus, modes: dict[str, str] | None = None) -> Progress:
    """Figures over `records` (SessionStore.session_records), taken in order of start time;
    `modes`: session id -> "practice" or "interview" (SessionSummary.mode)."""
    sessions, turns, reviews, n_overridden = [], [], [], 0
    by_topic: dict[str, list[float]] = {}
    by_category: dict[str, list[float]] = {}
    by_skill: dict[str, list[int]] = {}  # skill -> [answers, covered, asked]
    missed: dict[str, list[int]] = {}  # point text -> [missed, asked]
    shared = shared_points(corpus)
    for record in sorted(records, key=lambda r: r["started_at"] or ""):
        scores = []
        numbers = turn_numbers(record["turns"])
        for turn in record["turns"]:
            score = final_score(turn)
            if score is None:
                continue
            scores.append(score)
            n_overridden += overridden(turn)
            question = corpus.questions.get(turn["question_id"])
            turns.append({"n": len(turns) + 1, "session_id": record["session_id"],
                          "started_at": record["started_at"], "turn_number": turn["turn_number"],
                          "number": numbers[turn["turn_id"]], "question_id": turn["question_id"],
                          "question": short_question(turn["question"]), "kind": turn["kind"], "score": score})
            if turn["override"]:
                o = turn["override"]
                reviews.append({"session_id": record["session_id"], "started_at": record["started_at"],
                                "number": numbers[turn["turn_id"]], "question": short_question(turn["question"]),
                                "coach": o["coach"], "score": o["score"], "note": o["note"],
                                "created_at": o["created_at"]})
            topics = question.topics if question is not None else []
            for topic in topics:
                by_topic.setdefault(topic, []).append(score)
            if question is not None:
                by_category.setdefault(question.category.value, []).append(score)
            seen: set[str] = set()
            for point in final_points(turn):
                m = missed.setdefault(point["text"], [0, 0])
                m[0] += is_missed(point["verdict"])
                m[1] += 1
                for skill in ([point["text"]] if point["text"] in shared else topics):
                    counts = by_skill.setdefault(skill, [0, 0, 0])
                    counts[0] += skill not in seen
                    counts[1] += not is_missed(point["verdict"])
                    counts[2] += 1
                    seen.add(skill)
        if scores:
            sessions.append({"session_id": record["session_id"], "started_at": record["started_at"],
                             "role": record["role"], "level": record["level"],
                             "mode": (modes or {}).get(record["session_id"]) or record.get("mode") or "practice",
                             "answered": len(scores), "average": _mean(scores)})
    skills = [{"skill": name, "answered": a, "covered": c, "asked": n} for name, (a, c, n) in by_skill.items()]
    skills.sort(key=lambda r: (r["covered"] / r["asked"], -r["answered"], r["skill"]))
    often = [{"point": text, "missed": m, "asked": a} for text, (m, a) in missed.items() if m]
    often.sort(key=lambda r: (-r["missed"], -r["missed"] / r["asked"], r["point"]))
    reviews.sort(key=lambda r: r["created_at"], reverse=True)
    return Progress(sessions, turns, _weakest_first(by_topic, "topic"), _weakest_first(by_category, "category"),
                    skills, often, reviews, n_overridden)
